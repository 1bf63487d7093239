"""REST API of the transactions app: serializers and views (urls in transactions/urls.py).

Read-only: transactions are written by the chargers (OCPP), never through the API.
"""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers, viewsets
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser

from transactions import selectors
from transactions.filters import TransactionFilter
from transactions.models import MeterValue, Transaction

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


class MeterValueSerializer(serializers.ModelSerializer):
    class Meta:
        model = MeterValue
        fields = [
            "id",
            "connector_id",
            "timestamp",
            "received_at",
            "measurand",
            "phase",
            "location",
            "context",
            "format",
            "raw_value",
            "unit",
            "value",
            "si_unit",
            "source",
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
    ordering_fields = ["id", "started_at", "stopped_at", "connector_id", "meter_start_wh", "meter_stop_wh"]
    ordering = ["-started_at", "-id"]

    def get_queryset(self) -> QuerySet[Transaction]:
        return selectors.transaction_list()


class MeterValuePagination(PageNumberPagination):
    # A long session holds thousands of samples: let clients fetch bigger pages.
    page_size_query_param = "page_size"
    max_page_size = 1000


class MeterValueFilter(filters.FilterSet):
    class Meta:
        model = MeterValue
        fields = ["measurand", "phase", "context", "location", "connector_id"]


@extend_schema_view(get=extend_schema(summary="The meter values of a transaction"))
class TransactionMeterValueList(generics.ListAPIView):
    """Every sampled value stored for the transaction, as sent (raw_value, unit) and normalised (value,
    si_unit), oldest first."""

    # For the permission check, without looking the transaction up first (portal.permissions).
    permission_model = MeterValue
    serializer_class = MeterValueSerializer
    pagination_class = MeterValuePagination
    filter_backends = [filters.DjangoFilterBackend, OrderingFilter]
    filterset_class = MeterValueFilter
    ordering_fields = ["timestamp", "measurand"]

    def get_queryset(self) -> QuerySet[MeterValue]:
        if getattr(self, "swagger_fake_view", False):
            # Schema generation has no transaction id; it only needs the model.
            return MeterValue.objects.none()
        # An unknown transaction is a 404, not an empty page.
        transaction = get_object_or_404(selectors.transaction_list(), pk=self.kwargs["pk"])
        return selectors.meter_value_list(transaction=transaction)
