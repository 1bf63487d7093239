"""REST API for sites: where chargers stand and the grid limit load management shares among them (CRUD).

Views are thin: the serializer checks the shape, `site_save` (the same service as the site pages) the rest.
"""

import zoneinfo
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.fields import get_error_detail
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from chargers.models import ChargePoint
from transactions.sites import selectors, services
from transactions.sites.models import Site
from transactions.sites.services import SITE_FIELDS

GRID_LIMIT_A_HELP = "The grid connection's limit in A per phase (a JSON number; null: none)."
GRID_LIMIT_KW_HELP = "The grid connection's limit in kW (a JSON number; null: none)."
CHARGERS_HELP = "The charge point ids of the chargers that stand here (a charger named here leaves its old site)."


class SiteSerializer(serializers.ModelSerializer):
    charge_point_ids = serializers.SerializerMethodField(help_text=CHARGERS_HELP)

    class Meta:
        model = Site
        fields = ["id", *SITE_FIELDS, "charge_point_ids", "created_at"]
        read_only_fields = fields
        extra_kwargs = {
            "grid_limit_a": {"help_text": GRID_LIMIT_A_HELP},
            "grid_limit_kw": {"help_text": GRID_LIMIT_KW_HELP},
            "parent": {"help_text": "The id of the site this circuit is fed from (null: a site of its own)"},
        }

    def get_charge_point_ids(self, site: Site) -> list[str]:
        return sorted(charger.charge_point_id for charger in site.charge_points.all())


class SiteWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True)
    parent = serializers.PrimaryKeyRelatedField(queryset=Site.objects.all(), required=False, allow_null=True)
    grid_limit_a = serializers.DecimalField(
        max_digits=7, decimal_places=1, min_value=Decimal("0.1"), required=False, allow_null=True,
        help_text=GRID_LIMIT_A_HELP,
    )  # fmt: skip
    grid_limit_kw = serializers.DecimalField(
        max_digits=9, decimal_places=2, min_value=Decimal("0.01"), required=False, allow_null=True,
        help_text=GRID_LIMIT_KW_HELP,
    )  # fmt: skip
    nominal_voltage_v = serializers.IntegerField(min_value=100, max_value=1000, required=False)
    timezone = serializers.CharField(max_length=64, required=False, allow_blank=True, help_text="IANA name")
    charge_point_ids = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=10_000, help_text=CHARGERS_HELP
    )

    def validate_timezone(self, value: str) -> str:
        if value and value not in zoneinfo.available_timezones():
            raise serializers.ValidationError(f"{value!r} is not an IANA time zone (e.g. Europe/Ljubljana).")
        return value

    def validate_charge_point_ids(self, value: list[str]) -> list[ChargePoint]:
        found = {cp.charge_point_id: cp for cp in ChargePoint.objects.filter(charge_point_id__in=value)}
        unknown = sorted(set(value) - set(found))
        if unknown:
            raise serializers.ValidationError(f"Unknown charger(s): {', '.join(unknown[:20])}.")
        return list(found.values())

    def validate(self, attrs: dict) -> dict:
        name, parent = attrs.get("name"), attrs.get("parent")
        site = self.context.get("site")
        if site is not None:
            name = attrs.get("name", site.name)
            parent = attrs.get("parent", site.parent)
        # The database would say "unique_top_site_name is violated"; say it in words first.
        same = Site.objects.filter(name=name, parent=None).exclude(pk=getattr(site, "pk", None))
        if name and parent is None and same.exists():
            raise serializers.ValidationError({"name": [f"A site named {name!r} exists already."]})
        return attrs


@extend_schema_view(
    list=extend_schema(summary="List sites"),
    retrieve=extend_schema(summary="A site, its grid limit and its chargers"),
    destroy=extend_schema(summary="Delete a site and its circuits (the chargers stay, at no site)"),
)
class SiteViewSet(viewsets.ModelViewSet):
    """Sites (a depot, a car park) and circuits inside them (a site with a parent), each with its grid limit in
    A per phase or in kW, and the chargers that stand there."""

    parser_classes = [JSONParser]
    serializer_class = SiteSerializer
    filterset_fields = ["parent", "name"]
    ordering_fields = ["id", "name", "created_at"]
    ordering = ["name", "id"]
    # PATCH only: a PUT would have to resend the whole site for nothing.
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Site]:
        return selectors.site_list().prefetch_related("charge_points")

    def _save(self, *, site: Site | None, data: dict) -> Site:
        if site is not None:
            data = {name: getattr(site, name) for name in SITE_FIELDS} | data
        charge_points = data.pop("charge_point_ids", None)
        try:
            saved = services.site_save(site=site, charge_points=charge_points, **data)
        except DjangoValidationError as error:
            raise serializers.ValidationError(get_error_detail(error)) from error
        except IntegrityError as error:
            # Two sites of one name at once: the loser hears what the validator would have said.
            raise serializers.ValidationError({"name": ["A site of this name exists already."]}) from error
        return self.get_queryset().get(pk=saved.pk)

    @extend_schema(summary="Create a site", request=SiteWriteSerializer, responses={201: SiteSerializer})
    def create(self, request: Request) -> Response:
        serializer = SiteWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        site = self._save(site=None, data=dict(serializer.validated_data))
        return Response(SiteSerializer(site).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a site (only the fields given)",
        request=SiteWriteSerializer(partial=True),
        responses={200: SiteSerializer},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        site = self.get_object()
        serializer = SiteWriteSerializer(data=request.data, partial=True, context={"site": site})
        serializer.is_valid(raise_exception=True)
        return Response(SiteSerializer(self._save(site=site, data=dict(serializer.validated_data))).data)

    def destroy(self, request: Request, pk: str) -> Response:
        services.site_delete(site=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
