"""Firmware rollouts: create one (firmware, charge_point_ids or a filter, batch_size, start_time, retries,
max_failure_rate), follow its progress per charger, pause and resume it (PATCH its status)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.fields import get_error_detail
from rest_framework.request import Request
from rest_framework.response import Response

from chargers.files import services, tasks
from chargers.files.models import FirmwareRollout, HostedFirmware, RolloutCharger, RolloutStatus


class RolloutChargerSerializer(serializers.ModelSerializer):
    charge_point_id = serializers.CharField(source="charge_point.charge_point_id", read_only=True)
    command_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = RolloutCharger
        fields = ["charge_point_id", "status", "attempts", "detail", "command_id", "updated_at"]
        read_only_fields = fields


class FirmwareRolloutSerializer(serializers.ModelSerializer):
    chargers = RolloutChargerSerializer(many=True, read_only=True)

    class Meta:
        model = FirmwareRollout
        fields = [
            "id",
            "firmware",
            "target",
            "batch_size",
            "start_time",
            "retries",
            "max_failure_rate",
            "status",
            "reason",
            "created_at",
            "chargers",
        ]
        read_only_fields = fields


class FirmwareRolloutRequestSerializer(serializers.Serializer):
    firmware = serializers.PrimaryKeyRelatedField(queryset=HostedFirmware.objects.all())
    charge_point_ids = serializers.ListField(child=serializers.CharField(), required=False, allow_empty=False)
    filter = serializers.DictField(required=False, help_text="As bulk commands take it: model, firmware_version, site…")
    batch_size = serializers.IntegerField(min_value=1)
    start_time = serializers.DateTimeField(required=False, help_text="Default: now")
    retries = serializers.IntegerField(min_value=0, max_value=10, default=0)
    max_failure_rate = serializers.FloatField(min_value=0, max_value=1, default=1.0)

    def validate(self, attrs: dict) -> dict:
        if ("charge_point_ids" in attrs) == ("filter" in attrs):
            raise serializers.ValidationError({"charge_point_ids": ["give charge_point_ids or a filter (one of them)"]})
        return attrs


class RolloutStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[RolloutStatus.PAUSED, RolloutStatus.RUNNING])


def _advance_at(rollout: FirmwareRollout) -> None:
    """The rollout's first wave at its start time (beat's housekeeping repeats it, should this message be lost)."""
    transaction.on_commit(lambda: tasks.rollout_advance.apply_async((rollout.pk,), eta=rollout.start_time))


class FirmwareRolloutViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    queryset = FirmwareRollout.objects.prefetch_related("chargers__charge_point")
    serializer_class = FirmwareRolloutSerializer
    filterset_fields = ["status", "firmware"]

    @extend_schema(request=FirmwareRolloutRequestSerializer, responses={201: FirmwareRolloutSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        body = FirmwareRolloutRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        target = {"charge_point_ids": data["charge_point_ids"]} if "charge_point_ids" in data else data["filter"]
        try:
            with transaction.atomic():
                rollout = services.rollout_create(
                    firmware=data["firmware"],
                    target=target,
                    batch_size=data["batch_size"],
                    start_time=data.get("start_time") or timezone.now(),
                    retries=data["retries"],
                    max_failure_rate=data["max_failure_rate"],
                    created_by=request.user,
                )
                _advance_at(rollout)
        except DjangoValidationError as error:
            raise serializers.ValidationError(get_error_detail(error)) from error
        return Response(FirmwareRolloutSerializer(self._fresh(rollout.pk)).data, status=status.HTTP_201_CREATED)

    def _fresh(self, pk: int) -> FirmwareRollout:
        return self.get_queryset().get(pk=pk)

    @extend_schema(request=RolloutStatusSerializer, responses={200: FirmwareRolloutSerializer})
    def partial_update(self, request: Request, pk: str) -> Response:
        """PATCH {"status": "paused"} stops new waves; {"status": "running"} goes on after a pause."""
        body = RolloutStatusSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        rollout = self.get_object()
        if body.validated_data["status"] == RolloutStatus.PAUSED:
            rollout = services.rollout_pause(rollout=rollout)
        else:
            rollout = services.rollout_resume(rollout=rollout)
            _advance_at(rollout)
        return Response(FirmwareRolloutSerializer(self._fresh(rollout.pk)).data)
