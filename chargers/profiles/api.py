"""REST API for charger model profiles (urls in chargers/urls.py): read them, export one as the document the
profile pages export, import such a document (new, or replacing the profile of the same vendor and model).

The document is the pages' export format (`{"format": "charger-model", "version", ...}`); its decimals are
strings on purpose: it is a file format, read back exactly (chargers/profiles/services.py).
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.fields import get_error_detail
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from chargers.profiles import selectors, services
from chargers.profiles.models import ChargerModel


class ChargerModelSerializer(serializers.ModelSerializer):
    firmware_versions = serializers.SerializerMethodField(help_text="The firmware versions the profile lists")

    class Meta:
        model = ChargerModel
        fields = [
            "id",
            "vendor",
            "model",
            "status",
            "boot_vendor_pattern",
            "boot_model_pattern",
            "match_priority",
            "firmware_versions",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_firmware_versions(self, profile: ChargerModel) -> list[str]:
        return [firmware.version for firmware in profile.firmware_versions.all()]


def _holds_nul(node: object) -> bool:
    if isinstance(node, str):
        return "\x00" in node
    if isinstance(node, dict):
        return any(_holds_nul(key) or _holds_nul(value) for key, value in node.items())
    if isinstance(node, list):
        return any(_holds_nul(item) for item in node)
    return False


class ChargerModelImportSerializer(serializers.Serializer):
    document = serializers.DictField(
        help_text="A profile as `charger-models/<id>/export/` (or the profile pages) export it: "
        '{"format": "charger-model", "version": 1, "vendor": …, "model": …, "connectors": [...], ...}'
    )
    replace = serializers.BooleanField(
        default=False, help_text="Overwrite the profile of the same vendor and model instead of refusing"
    )

    def validate_document(self, document: dict) -> dict:
        # What a text field of the form refuses (PostgreSQL cannot store it); the model's checks do not look.
        if _holds_nul(document):
            raise serializers.ValidationError("Null characters are not allowed.")
        return document


@extend_schema_view(
    list=extend_schema(summary="List charger model profiles"),
    retrieve=extend_schema(summary="A charger model profile"),
)
class ChargerModelViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Charger model profiles (from the integration questionnaire): what a model supports and how to read it."""

    parser_classes = [JSONParser]
    serializer_class = ChargerModelSerializer
    filterset_fields = ["vendor", "model", "status"]
    ordering_fields = ["id", "vendor", "model", "created_at", "updated_at"]
    ordering = ["vendor", "model", "id"]
    # Importing adds a profile (or replaces one): the permission of adding one.
    action_permissions = {"import_document": "add"}

    def get_queryset(self) -> QuerySet[ChargerModel]:
        return selectors.charger_model_list()

    @extend_schema(summary="Export a profile as a document", responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"], pagination_class=None, filterset_fields=[])
    def export(self, request: Request, pk: str) -> Response:
        return Response(services.charger_model_export(profile=self.get_object()))

    @extend_schema(
        summary="Import a profile document",
        request=ChargerModelImportSerializer,
        responses={201: ChargerModelSerializer},
    )
    @action(detail=False, methods=["post"], url_path="import", url_name="import")
    def import_document(self, request: Request) -> Response:
        """Every field is checked as the questionnaire page checks it; all problems come at once, each under
        its path (`connectors[0].max_power_kw`), and nothing is saved unless all is valid."""
        serializer = ChargerModelImportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            profile = services.charger_model_import(**serializer.validated_data)
        except DjangoValidationError as error:
            raise serializers.ValidationError(get_error_detail(error)) from error
        created = self.get_queryset().get(pk=profile.pk)
        return Response(ChargerModelSerializer(created).data, status=status.HTTP_201_CREATED)
