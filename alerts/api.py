"""REST API of the alerts app: read them, filter them, acknowledge one (urls in alerts/api_urls.py)."""

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from alerts import selectors, services
from alerts.models import Alert, AlertKind
from portal.models import ApiScope


class AlertSerializer(serializers.ModelSerializer):
    charge_point_id = serializers.CharField(
        source="charge_point.charge_point_id", read_only=True, allow_null=True, help_text="The charger, if any."
    )
    acknowledged_by = serializers.CharField(source="acknowledged_by.username", read_only=True, allow_null=True)
    open = serializers.SerializerMethodField(help_text="True until the cause went away (cleared_at is set).")

    class Meta:
        model = Alert
        fields = [
            "id",
            "kind",
            "message",
            "open",
            "charge_point_id",
            "site",
            "connector_id",
            "transaction",
            "raised_at",
            "cleared_at",
            "acknowledged_by",
            "acknowledged_at",
        ]
        read_only_fields = fields

    def get_open(self, alert: Alert) -> bool:
        return alert.cleared_at is None


class AlertFilter(filters.FilterSet):
    open = filters.BooleanFilter(field_name="cleared_at", lookup_expr="isnull", help_text="Only open (or cleared).")
    kind = filters.ChoiceFilter(choices=AlertKind.choices)
    charge_point = filters.CharFilter(field_name="charge_point__charge_point_id", help_text="A charge point id.")
    acknowledged = filters.BooleanFilter(field_name="acknowledged_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Alert
        fields = ["open", "kind", "charge_point", "site", "acknowledged"]


@extend_schema_view(list=extend_schema(summary="List alerts, newest first"), retrieve=extend_schema(summary="An alert"))
class AlertViewSet(viewsets.ReadOnlyModelViewSet):
    """Alerts the portal raised (a charger offline, a connector faulted, a session silent, a whole site down, a
    local list that does not fit); the same as `alert.raised` webhooks and the live event stream carry."""

    serializer_class = AlertSerializer
    filterset_class = AlertFilter
    ordering_fields = ["raised_at", "cleared_at", "id"]
    # Acknowledging changes the alert: the model's change permission, and a key's `commands` scope (an
    # operator's action, not the portal's configuration).
    action_permissions = {"acknowledge": "change"}
    api_scope = ApiScope.COMMANDS

    def get_queryset(self) -> QuerySet[Alert]:
        return selectors.alert_list()

    @extend_schema(summary="Acknowledge an alert (the first acknowledgement stands)", request=None)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str) -> Response:
        alert = services.alert_acknowledge(alert=self.get_object(), user=request.user)
        return Response(AlertSerializer(alert).data)
