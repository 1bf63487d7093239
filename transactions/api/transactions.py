"""REST API for transactions (charging sessions): read only, they are written by the chargers (OCPP)."""

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.filters import OrderingFilter
from rest_framework.parsers import JSONParser

from portal.pagination import PortalCursorPagination
from transactions import selectors
from transactions.filters import TransactionFilter
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
