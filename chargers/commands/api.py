"""REST API for remote commands: queue one (202), queue many (a list or a filter), follow them, cancel, schedule.

Views are thin: the serializer checks the shape, the commands service checks everything else (the OCPP schema
of the payload, through the protocol room's check handed to it; the charger's registration and model profile)
and names the field at fault.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.fields import get_error_detail
from rest_framework.generics import ListCreateAPIView
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chargers.actions import CENTRAL_ACTIONS
from chargers.commands import selectors
from chargers.commands import services as command_services
from chargers.commands.models import Command, CommandBatch, CommandStatus
from chargers.models import ChargePoint
from chargers.ocpp.results import request_problem
from chargers.redaction import redact
from portal.filters import IsoDateTimeFilter
from portal.pagination import PortalCursorPagination


def _as_drf_error(error: DjangoValidationError) -> serializers.ValidationError:
    return serializers.ValidationError(get_error_detail(error))


class RedactedJSONField(serializers.JSONField):
    """A command's payload or answer as stored, with any AuthorizationKey masked: the row keeps one only until
    the command is sent (chargers/commands/secrets.py), and no reader ever sees it."""

    def __init__(self, *, attribute: str, **kwargs) -> None:
        self.attribute = attribute
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, command: Command) -> object:
        return super().to_representation(redact(command.action, getattr(command, self.attribute)))


class CommandSerializer(serializers.ModelSerializer):
    charge_point_id = serializers.CharField(source="charge_point.charge_point_id", read_only=True)
    requested_by = serializers.CharField(source="requested_by.username", read_only=True, allow_null=True)
    batch_id = serializers.IntegerField(read_only=True, allow_null=True)
    transaction_id = serializers.IntegerField(read_only=True, allow_null=True)
    payload = RedactedJSONField(attribute="payload", help_text="The OCPP request payload (secrets masked)")
    response = RedactedJSONField(attribute="response", allow_null=True, help_text="The charger's CALLRESULT payload")

    class Meta:
        model = Command
        fields = [
            "id",
            "charge_point_id",
            "action",
            "payload",
            "status",
            "response",
            "error_code",
            "error_description",
            "requested_by",
            "requested_via",
            "unique_id",
            "attempts",
            "created_at",
            "not_before",
            "expires_at",
            "sent_at",
            "answered_at",
            "batch_id",
            "transaction_id",
        ]
        read_only_fields = fields


class CommandRequestSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=sorted(CENTRAL_ACTIONS), help_text="An OCPP 1.6 operation")
    payload = serializers.JSONField(default=dict, help_text="The OCPP request payload, as in the 1.6 specification")
    not_before = serializers.DateTimeField(required=False, allow_null=True, help_text="Schedule for later")
    expires_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Give up if not sent by then (default: OCPP_COMMAND_EXPIRY)"
    )


class TargetSerializer(serializers.Serializer):
    """Which chargers a bulk command or a schedule is for; at least one filter."""

    charge_point_ids = serializers.ListField(child=serializers.CharField(), required=False, allow_empty=False)
    vendor = serializers.CharField(required=False)
    model = serializers.CharField(required=False)
    firmware_version = serializers.CharField(required=False)
    charger_model = serializers.IntegerField(required=False, help_text="A charger model profile id")
    registration_status = serializers.CharField(required=False)
    is_online = serializers.BooleanField(required=False)

    def validate(self, attrs: dict) -> dict:
        if not attrs:
            raise serializers.ValidationError("Name at least one filter: the whole fleet is never implied.")
        return attrs


class BulkCommandRequestSerializer(CommandRequestSerializer):
    target = TargetSerializer()


class CommandBatchSerializer(serializers.ModelSerializer):
    requested_by = serializers.CharField(source="requested_by.username", read_only=True, allow_null=True)
    progress = serializers.SerializerMethodField(help_text="Commands of the batch by status")
    refused = serializers.SerializerMethodField(help_text="Chargers skipped at creation, with the reasons")

    class Meta:
        model = CommandBatch
        fields = ["id", "action", "payload", "description", "requested_by", "created_at", "progress", "refused"]
        read_only_fields = fields

    def get_progress(self, batch: CommandBatch) -> dict[str, int]:
        return selectors.command_batch_progress(batch=batch)

    def get_refused(self, batch: CommandBatch) -> dict[str, list[str]]:
        return self.context.get("refused", {})


class CommandFilter(filters.FilterSet):
    charge_point_id = filters.CharFilter(field_name="charge_point__charge_point_id")
    batch = filters.NumberFilter(field_name="batch_id")
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte", help_text="ISO 8601")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt", help_text="ISO 8601")

    class Meta:
        model = Command
        fields = ["status", "action", "requested_via"]


# Commands grow without end: cursors (portal/pagination.py), so only fields that are never null.
COMMAND_ORDERING_FIELDS = ["id", "created_at", "status"]


class ChargerCommandsView(ListCreateAPIView):
    """GET a charger's commands (newest first); POST queues one."""

    # For the permission check, without looking the charger up first (portal.permissions).
    permission_model = Command
    parser_classes = [JSONParser]
    serializer_class = CommandSerializer
    filterset_class = CommandFilter
    pagination_class = PortalCursorPagination
    ordering_fields = COMMAND_ORDERING_FIELDS
    ordering = ["-created_at", "-id"]

    def _charge_point(self) -> ChargePoint:
        return get_object_or_404(ChargePoint, charge_point_id=self.kwargs["charge_point_id"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no charger in the URL
            return Command.objects.none()
        return selectors.command_list().filter(charge_point=self._charge_point())

    @extend_schema(
        summary="Send a command to a charger",
        request=CommandRequestSerializer,
        responses={202: CommandSerializer, 400: OpenApiResponse(description="The field at fault")},
    )
    def post(self, request: Request, charge_point_id: str) -> Response:
        """Queued at once and sent to the charger now, or when it reconnects (until `expires_at`). Follow it at
        `commands/<id>/`."""
        charge_point = self._charge_point()
        serializer = CommandRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            command = command_services.command_create(
                charge_point=charge_point,
                check_payload=request_problem,
                requested_by=request.user,
                requested_via="api",
                **serializer.validated_data,
            )
        except DjangoValidationError as error:
            raise _as_drf_error(error) from error
        body = CommandSerializer(selectors.command_list().get(pk=command.pk)).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": f"/api/v1/commands/{command.pk}/"})


@extend_schema_view(
    list=extend_schema(summary="List commands"),
    retrieve=extend_schema(summary="A command: its status and the charger's answer"),
)
class CommandViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    # Cancelling changes a command; `bulk` adds commands, as POST implies.
    action_permissions = {"cancel": "change"}
    parser_classes = [JSONParser]
    serializer_class = CommandSerializer
    filterset_class = CommandFilter
    pagination_class = PortalCursorPagination
    ordering_fields = COMMAND_ORDERING_FIELDS
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return selectors.command_list()

    @extend_schema(
        summary="Cancel a command that has not been sent",
        request=None,
        responses={200: CommandSerializer, 409: OpenApiResponse(description="Already sent or finished")},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        command = self.get_object()
        if not command_services.command_cancel(command=command):
            return Response(
                {"status": [f"The command is {command.status}: only a queued command can be cancelled."]},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(self.get_serializer(selectors.command_list().get(pk=command.pk)).data)

    @extend_schema(
        summary="Send one command to many chargers",
        request=BulkCommandRequestSerializer,
        responses={202: CommandBatchSerializer, 400: OpenApiResponse(description="The field at fault")},
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request: Request) -> Response:
        """One command per charger the target names (a list of ids, or filters such as
        `{"vendor": "Etrel", "firmware_version": "1.12"}`). Chargers that cannot take it are listed in
        `refused` with the reason; the others' progress is in `progress` and at `command-batches/<id>/`."""
        serializer = BulkCommandRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            chargers = list(selectors.charge_points_matching(target=data["target"]))
        except ValueError as error:
            raise serializers.ValidationError({"target": [str(error)]}) from error
        if not chargers:
            raise serializers.ValidationError({"target": ["No charger matches."]})
        try:
            batch, refused = command_services.command_batch_create(
                charge_points=chargers,
                action=data["action"],
                payload=data["payload"],
                check_payload=request_problem,
                requested_by=request.user,
                requested_via="api",
                description=_describe(data["target"]),
                not_before=data.get("not_before"),
                expires_at=data.get("expires_at"),
            )
        except DjangoValidationError as error:
            raise _as_drf_error(error) from error
        body = CommandBatchSerializer(batch, context={"refused": refused}).data
        return Response(body, status=status.HTTP_202_ACCEPTED)


def _describe(target: dict) -> str:
    return ", ".join(f"{key}={value}" for key, value in target.items())[:200]


@extend_schema_view(
    list=extend_schema(summary="List bulk commands"),
    retrieve=extend_schema(summary="A bulk command and its progress"),
)
class CommandBatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = CommandBatchSerializer
    queryset = CommandBatch.objects.select_related("requested_by").order_by("-created_at")


class ScheduleSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=200)
    cron = serializers.CharField(help_text="minute hour day-of-month month day-of-week, e.g. '0 3 * * *'")
    action = serializers.ChoiceField(choices=sorted(CENTRAL_ACTIONS))
    payload = serializers.JSONField(default=dict)
    target = TargetSerializer()
    enabled = serializers.BooleanField(read_only=True)


class CommandScheduleView(APIView):
    """Recurring commands (e.g. a nightly Reset of all chargers on one firmware)."""

    # A schedule sends commands: reading and making one take the permissions of commands.
    permission_model = Command
    parser_classes = [JSONParser]

    @extend_schema(summary="List recurring commands", responses={200: ScheduleSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return Response(ScheduleSerializer(selectors.command_schedule_list(), many=True).data)

    @extend_schema(
        summary="Schedule a recurring command",
        request=ScheduleSerializer,
        responses={201: ScheduleSerializer, 400: OpenApiResponse(description="The field at fault")},
    )
    def post(self, request: Request) -> Response:
        serializer = ScheduleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            task = command_services.command_schedule_create(
                check_payload=request_problem, requested_by=request.user, **serializer.validated_data
            )
        except DjangoValidationError as error:
            raise _as_drf_error(error) from error
        (created,) = selectors.command_schedule_list(pk=task.pk)
        return Response(ScheduleSerializer(created).data, status=status.HTTP_201_CREATED)


__all__ = ["ChargerCommandsView", "CommandBatchViewSet", "CommandScheduleView", "CommandStatus", "CommandViewSet"]
