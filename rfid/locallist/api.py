"""REST API of the local lists: `chargers/<charge point id>/local-list/` (the version the portal owns, when the
charger last confirmed it, the entries, what is pending) and `…/local-list/sync/` (send the whole list again).

Permissions are the charger's: reading needs chargers.view_chargepoint (viewers too), a resync
chargers.change_chargepoint and, for an API key, the `commands` scope (it queues commands).
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chargers.models import ChargePoint
from portal.models import ApiScope
from rfid.locallist.selectors import local_list_status, local_list_supported
from rfid.locallist.services import local_list_resync


class PendingSerializer(serializers.Serializer):
    commands = serializers.IntegerField(help_text="SendLocalList commands queued or sent, not answered yet")
    entries = serializers.IntegerField(help_text="Entries they carry")
    full = serializers.BooleanField(help_text="Whether a Full update is on its way or due")


class LocalListSerializer(serializers.Serializer):
    charge_point_id = serializers.CharField()
    supported = serializers.BooleanField(help_text="Whether the charger's model profile takes SendLocalList")
    version = serializers.IntegerField(allow_null=True, help_text="The listVersion last sent (null: none yet)")
    confirmed_version = serializers.IntegerField(allow_null=True, help_text="The last version the charger accepted")
    confirmed_at = serializers.DateTimeField(allow_null=True, help_text="When the charger last accepted a version")
    entries = serializers.IntegerField(help_text="Entries on the list once every pending update is applied")
    pending = PendingSerializer()
    problem = serializers.CharField(allow_blank=True, help_text="What the operator should know (a list too long…)")


def _shape(charge_point: ChargePoint) -> dict:
    state = local_list_status(charge_point=charge_point)
    return {
        "charge_point_id": state.charge_point_id,
        "supported": state.supported,
        "version": state.version,
        "confirmed_version": state.confirmed_version,
        "confirmed_at": state.confirmed_at,
        "entries": state.entries,
        "pending": {"commands": state.pending_commands, "entries": state.pending_entries, "full": state.pending_full},
        "problem": state.problem,
    }


def _charge_point(charge_point_id: str) -> ChargePoint:
    return get_object_or_404(ChargePoint.objects.select_related("charger_model"), charge_point_id=charge_point_id)


class LocalListView(APIView):
    permission_model = ChargePoint

    @extend_schema(
        summary="A charger's local list: version, confirmation, entries, pending",
        responses={200: LocalListSerializer, 404: OpenApiResponse(description="No such charger")},
    )
    def get(self, request: Request, charge_point_id: str) -> Response:
        return Response(LocalListSerializer(_shape(_charge_point(charge_point_id))).data)


class LocalListSyncView(APIView):
    permission_model = ChargePoint
    # Writing here changes the charger (a resync), not adds one; it queues commands.
    action_permissions = {None: "change"}
    api_scope = ApiScope.COMMANDS

    @extend_schema(
        summary="Send a charger its whole local list again (a Full update)",
        request=None,
        responses={
            202: LocalListSerializer,
            404: OpenApiResponse(description="No such charger"),
            409: OpenApiResponse(description="The charger's model does not take a local list"),
        },
    )
    def post(self, request: Request, charge_point_id: str) -> Response:
        charge_point = _charge_point(charge_point_id)
        if not local_list_supported(charge_point=charge_point):
            return Response(
                {"charge_point_id": [f"{charge_point_id}'s model profile does not take SendLocalList"]},
                status=status.HTTP_409_CONFLICT,
            )
        local_list_resync(charge_point=charge_point)
        return Response(LocalListSerializer(_shape(charge_point)).data, status=status.HTTP_202_ACCEPTED)
