"""REST API for transactions (charging sessions): read only, they are written by the chargers (OCPP)."""

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.filters import OrderingFilter
from rest_framework.parsers import JSONParser

from portal.filters import IsoDateTimeFilter
from portal.pagination import PortalCursorPagination
from transactions import selectors
from transactions.models import Transaction

# --- Serializers ------------------------------------------------------------------------------------------


class TransactionSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, help_text="The OCPP transactionId the portal issued.")
    charge_point_id = serializers.CharField(source="charge_point.charge_point_id", read_only=True)
    active = serializers.BooleanField(source="is_active", read_only=True)
    energy_wh = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="meter_stop_wh - meter_start_wh; null while the session runs."
    )

    class Meta:
        model = Transaction
        fields = [
            "id",
            "charge_point_id",
            "connector_id",
            "id_tag",
            "id_tag_status",
            "active",
            "meter_start_wh",
            "started_at",
            "start_received_at",
            "reservation_id",
            "meter_stop_wh",
            "stopped_at",
            "stop_received_at",
            "stop_reason",
            "stop_id_tag",
            "energy_wh",
            "charger_transaction_id",
        ]
        read_only_fields = fields


# --- Views ------------------------------------------------------------------------------------------------


class TransactionFilter(filters.FilterSet):
    charge_point_id = filters.CharFilter(field_name="charge_point__charge_point_id", help_text="Charge point id")
    connector_id = filters.NumberFilter()
    # Chargers send idTags in their own case; OCPP compares them case-insensitively.
    id_tag = filters.CharFilter(lookup_expr="iexact", help_text="The idTag that started the session")
    active = filters.BooleanFilter(
        field_name="stopped_at", lookup_expr="isnull", help_text="true: still running; false: stopped"
    )
    started_after = IsoDateTimeFilter(
        field_name="started_at", lookup_expr="gte", help_text="Started at or after (ISO 8601)"
    )
    started_before = IsoDateTimeFilter(field_name="started_at", lookup_expr="lt", help_text="Started before (ISO 8601)")
    stopped_after = IsoDateTimeFilter(
        field_name="stopped_at", lookup_expr="gte", help_text="Stopped at or after (ISO 8601)"
    )
    stopped_before = IsoDateTimeFilter(field_name="stopped_at", lookup_expr="lt", help_text="Stopped before (ISO 8601)")
    site = filters.NumberFilter(field_name="charge_point__site", help_text="The id of the chargers' site")

    class Meta:
        model = Transaction
        fields = [
            "charge_point_id",
            "connector_id",
            "id_tag",
            "active",
            "started_after",
            "started_before",
            "stopped_after",
            "stopped_before",
            "site",
        ]


@extend_schema_view(
    list=extend_schema(summary="List transactions (charging sessions)"),
    retrieve=extend_schema(summary="A transaction"),
)
class TransactionViewSet(viewsets.ReadOnlyModelViewSet):
    """Charging sessions, newest first; the id is the OCPP transactionId."""

    # A JSON API: form bodies would only blur the schema.
    parser_classes = [JSONParser]
    serializer_class = TransactionSerializer
    filter_backends = [filters.DjangoFilterBackend, OrderingFilter]
    filterset_class = TransactionFilter
    # Sessions grow without end: cursors (portal/pagination.py), so only fields that are never null.
    pagination_class = PortalCursorPagination
    ordering_fields = ["id", "started_at", "start_received_at", "connector_id", "meter_start_wh"]
    ordering = ["-started_at", "-id"]

    def get_queryset(self) -> QuerySet[Transaction]:
        return selectors.transaction_list()
