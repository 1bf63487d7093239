"""REST API for what installers read when a charger misbehaves: the OCPP message log and the refused connection
attempts, for the fleet (`message-log/`, `connection-attempts/`) and per charger
(`chargers/<id>/message-log/`, `chargers/<id>/connection-attempts/`). Read only; cursor pages (they grow without
end); filters by charger, action, direction and time."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.filters import OrderingFilter

from chargers import selectors
from chargers.models import ChargePoint, ConnectionAttempt, MessageLog
from portal.filters import IsoDateTimeFilter
from portal.pagination import PortalCursorPagination

# --- Serializers ------------------------------------------------------------------------------------------


class MessageLogSerializer(serializers.ModelSerializer):
    charge_point_id = serializers.CharField(
        source="charge_point_ident", read_only=True, help_text="The charge point id the frame came with"
    )
    message_type = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="2 CALL, 3 CALLRESULT, 4 CALLERROR; null for an unreadable frame"
    )
    payload = serializers.JSONField(read_only=True, allow_null=True, help_text="The frame's payload as JSON")

    class Meta:
        model = MessageLog
        fields = [
            "id",
            "charge_point_id",
            "direction",
            "message_type",
            "unique_id",
            "action",
            "payload",
            "raw",
            "error_code",
            "problems",
            "created_at",
        ]
        read_only_fields = fields


class ConnectionAttemptSerializer(serializers.ModelSerializer):
    charge_point_id = serializers.CharField(
        source="charge_point_ident", read_only=True, help_text="The id the charger gave (blank if none)"
    )
    known_charger = serializers.SerializerMethodField(help_text="Whether the id belongs to a registered charger")

    class Meta:
        model = ConnectionAttempt
        fields = ["id", "charge_point_id", "known_charger", "remote_addr", "path", "reason", "created_at"]
        read_only_fields = fields

    def get_known_charger(self, attempt: ConnectionAttempt) -> bool:
        return attempt.charge_point_id is not None


# --- Filters ----------------------------------------------------------------------------------------------


class MessageLogFilter(filters.FilterSet):
    charge_point_id = filters.CharFilter(field_name="charge_point_ident", help_text="Charge point id")
    since = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte", help_text="At or after (ISO 8601)")
    until = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt", help_text="Before (ISO 8601)")

    class Meta:
        model = MessageLog
        fields = ["charge_point_id", "action", "direction", "message_type", "unique_id", "since", "until"]


class ConnectionAttemptFilter(filters.FilterSet):
    charge_point_id = filters.CharFilter(field_name="charge_point_ident", help_text="The id the charger gave")
    since = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte", help_text="At or after (ISO 8601)")
    until = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt", help_text="Before (ISO 8601)")

    class Meta:
        model = ConnectionAttempt
        fields = ["charge_point_id", "remote_addr", "since", "until"]


# --- Views ------------------------------------------------------------------------------------------------


class _NewestFirstList(generics.ListAPIView):
    pagination_class = PortalCursorPagination
    filter_backends = [filters.DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["id", "created_at"]
    ordering = ["-created_at", "-id"]

    def _charge_point(self) -> ChargePoint | None:
        charge_point_id = self.kwargs.get("charge_point_id")
        if charge_point_id is None or getattr(self, "swagger_fake_view", False):
            return None
        # An unknown charger is a 404, not an empty page.
        return get_object_or_404(ChargePoint, charge_point_id=charge_point_id)


@extend_schema_view(get=extend_schema(summary="OCPP frames in and out, newest first"))
class MessageLogList(_NewestFirstList):
    """Every OCPP frame the portal received or sent (payloads with secrets as stored), newest first."""

    serializer_class = MessageLogSerializer
    filterset_class = MessageLogFilter

    def get_queryset(self) -> QuerySet[MessageLog]:
        return selectors.message_log_list(charge_point=self._charge_point())


@extend_schema_view(get=extend_schema(summary="Refused connection attempts, newest first"))
class ConnectionAttemptList(_NewestFirstList):
    """Websocket handshakes the portal refused, with the reason: the first thing to read when a charger
    'does not connect'."""

    serializer_class = ConnectionAttemptSerializer
    filterset_class = ConnectionAttemptFilter

    def get_queryset(self) -> QuerySet[ConnectionAttempt]:
        return selectors.connection_attempt_list(charge_point=self._charge_point())
