"""REST: a site's load (GET /api/v1/sites/<id>/load/, INTERFACES.md): its limit, the current drawn and each
running session's share, in A per phase. Read scope; operators with transactions.view_site.

Also its history (GET .../load/history/?since=, same rights) and the building's draw an integrator posts
(POST .../load/building/): operators with transactions.add_buildingreading, and an API key needs the `commands`
scope, not `admin`: a reading steers the chargers' limits as commands do, and a meter's integrator should not hold
a key that may change chargers or webhooks."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.models import ApiScope
from transactions.load import selectors, services
from transactions.load.models import BuildingReading
from transactions.sites.models import Site

HISTORY_DEFAULT = timedelta(hours=6)  # the site page's chart


class AllocationSerializer(serializers.Serializer):
    charge_point_id = serializers.CharField()
    transaction_id = serializers.IntegerField()
    limit_a = serializers.DecimalField(max_digits=5, decimal_places=1, help_text="The session's share now")
    sent_limit_a = serializers.DecimalField(
        max_digits=5, decimal_places=1, allow_null=True, help_text="The limit of the last profile sent"
    )
    accepted_limit_a = serializers.DecimalField(
        max_digits=5, decimal_places=1, allow_null=True, help_text="The last limit the charger accepted"
    )


class BuildingSerializer(serializers.Serializer):
    current_a = serializers.ListField(child=serializers.FloatField(), help_text="L1, L2, L3 (A)")
    measured_at = serializers.DateTimeField()
    stale = serializers.BooleanField(help_text="Too old: the allocator assumes the building takes the whole limit")


class UnmanagedSerializer(serializers.Serializer):
    charge_point_id = serializers.CharField()
    reason = serializers.CharField(help_text="Why load management cannot steer it (its profile capacity)")


class SiteLoadSerializer(serializers.Serializer):
    limit_a = serializers.DecimalField(max_digits=7, decimal_places=1, allow_null=True)
    measured_a = serializers.DecimalField(max_digits=7, decimal_places=1, allow_null=True)
    allocations = AllocationSerializer(many=True)
    building = BuildingSerializer(allow_null=True, help_text="The latest building reading (null: not metered)")
    unmanaged = UnmanagedSerializer(many=True, help_text="Chargers of the site counted at their maximum current")


class SiteLoadView(APIView):
    permission_model = Site

    @extend_schema(responses=SiteLoadSerializer)
    def get(self, request: Request, pk: int) -> Response:
        site = get_object_or_404(Site, pk=pk)
        return Response(SiteLoadSerializer(selectors.site_load(site=site)).data)


class BuildingReadingSerializer(serializers.Serializer):
    current_a = serializers.ListField(
        child=serializers.DecimalField(max_digits=7, decimal_places=1, min_value=0),
        min_length=3,
        max_length=3,
        required=False,
        help_text="The building's draw on L1, L2, L3 (A), without the chargers",
    )
    power_kw = serializers.DecimalField(
        max_digits=8, decimal_places=2, min_value=0, required=False, help_text="Or its power, spread over 3 phases"
    )
    measured_at = serializers.DateTimeField(required=False, help_text="When it was measured (default: now)")

    def validate(self, attrs: dict) -> dict:
        if ("current_a" in attrs) == ("power_kw" in attrs):
            raise serializers.ValidationError("Give either current_a (three phases) or power_kw.")
        return attrs


class SiteBuildingLoadView(APIView):
    permission_model = BuildingReading
    api_scope = ApiScope.COMMANDS

    @extend_schema(request=BuildingReadingSerializer, responses={202: BuildingSerializer})
    def post(self, request: Request, pk: int) -> Response:
        site = get_object_or_404(Site, pk=pk)
        data = BuildingReadingSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            with transaction.atomic():
                reading = services.building_reading_create(
                    site=site,
                    measured_at=data.validated_data.get("measured_at") or timezone.now(),
                    current_a=data.validated_data.get("current_a"),
                    power_kw=data.validated_data.get("power_kw"),
                )
        except ValidationError as error:
            return Response({"detail": error.messages}, status=status.HTTP_400_BAD_REQUEST)
        building = selectors.building_load(site=site)
        # 202: stored; the load round it brings runs in a worker.
        return Response(BuildingSerializer(building).data | {"id": reading.pk}, status=status.HTTP_202_ACCEPTED)


class LoadRoundSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    limit_a = serializers.DecimalField(max_digits=7, decimal_places=1)
    measured_a = serializers.DecimalField(max_digits=7, decimal_places=1, allow_null=True)
    allocated_a = serializers.DecimalField(max_digits=7, decimal_places=1, help_text="The sum of the shares")
    building_a = serializers.DecimalField(
        max_digits=7, decimal_places=1, allow_null=True, help_text="The building's load assumed (largest phase)"
    )


class SiteLoadHistoryView(APIView):
    permission_model = Site

    @extend_schema(
        parameters=[OpenApiParameter("since", str, description="ISO 8601 date-time (default: 6 hours ago)")],
        responses=LoadRoundSerializer(many=True),
    )
    def get(self, request: Request, pk: int) -> Response:
        site = get_object_or_404(Site, pk=pk)
        since = serializers.DateTimeField().to_internal_value if "since" in request.query_params else None
        try:
            start = since(request.query_params["since"]) if since else timezone.now() - HISTORY_DEFAULT
        except serializers.ValidationError as error:
            return Response({"since": error.detail}, status=status.HTTP_400_BAD_REQUEST)
        rounds = selectors.load_history(site=site, since=start)
        return Response(LoadRoundSerializer(rounds, many=True).data)
