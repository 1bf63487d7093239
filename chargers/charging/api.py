"""REST API of charging profiles (urls in chargers/charging/urls.py, mounted under /api/v1/):
`chargers/<id>/charging-profiles/` GET lists, POST validates and sends (SetChargingProfile),
`chargers/<id>/charging-profiles/<pk>/` GET one, DELETE clears (ClearChargingProfile);
`chargers/<id>/composite-schedule/` POST asks (GetCompositeSchedule), GET the last answer. Thin: services write,
selectors read, the serializers format."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.fields import get_error_detail
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chargers.charging import selectors, services
from chargers.charging.models import ChargingProfile
from chargers.charging.vocabulary import RateUnit
from chargers.commands.models import Command
from chargers.models import ChargePoint
from chargers.ocpp.results import request_problem
from portal.models import ApiScope


def _charge_point(view: APIView) -> ChargePoint:
    return get_object_or_404(ChargePoint, charge_point_id=view.kwargs["charge_point_id"])


def _with_replaced(view: generics.GenericAPIView, context: dict) -> dict:
    # One pass over the charger's profiles tells which ones a newer accepted profile replaced.
    if not getattr(view, "swagger_fake_view", False) and "charge_point_id" in view.kwargs:
        context["replaced"] = selectors.profiles_replaced(profiles=view.get_queryset())
    return context


def _as_drf_error(error: DjangoValidationError) -> serializers.ValidationError:
    return serializers.ValidationError(get_error_detail(error))


class AnswerSerializer(serializers.ModelSerializer):
    """A command the profile went out with, and what the charger answered."""

    class Meta:
        model = Command
        fields = ["id", "action", "status", "response", "error_code", "created_at", "answered_at"]
        read_only_fields = fields


class ChargingProfileSerializer(serializers.ModelSerializer):
    state = serializers.SerializerMethodField(
        help_text="queued, sent, accepted, rejected, ..., clear <status>, cleared"
    )
    min_charging_rate = serializers.FloatField(allow_null=True, read_only=True)
    set_command = AnswerSerializer(read_only=True)
    clear_command = AnswerSerializer(read_only=True)

    class Meta:
        model = ChargingProfile
        fields = [
            "id",
            "connector_id",
            "purpose",
            "stack_level",
            "kind",
            "recurrency_kind",
            "transaction_id",
            "valid_from",
            "valid_to",
            "rate_unit",
            "start_schedule",
            "duration_s",
            "min_charging_rate",
            "periods",
            "state",
            "set_command",
            "clear_command",
            "created_at",
        ]
        read_only_fields = fields

    def get_state(self, profile: ChargingProfile) -> str:
        return selectors.profile_state(profile=profile, replaced=self.context.get("replaced"))


class ProfileRequestSerializer(serializers.Serializer):
    """The SetChargingProfile request without chargingProfileId (the portal assigns it); the 1.6 rules are
    checked by chargers/charging/validation.py, each problem naming its field."""

    connectorId = serializers.IntegerField(min_value=0)
    csChargingProfiles = serializers.JSONField()


class ChargingProfilesView(generics.ListCreateAPIView):
    """GET a charger's charging profiles; POST validates one and sends it (202)."""

    permission_model = ChargingProfile
    api_scope = ApiScope.COMMANDS  # sending a profile is a command to the charger
    parser_classes = [JSONParser]
    serializer_class = ChargingProfileSerializer
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no charger in the URL
            return ChargingProfile.objects.none()
        return selectors.profiles_of_charge_point(charge_point=_charge_point(self))

    def get_serializer_context(self) -> dict:
        return _with_replaced(self, super().get_serializer_context())

    @extend_schema(
        request=ProfileRequestSerializer,
        responses={202: ChargingProfileSerializer, 400: OpenApiResponse(description="The rule broken, by field")},
    )
    def post(self, request: Request, charge_point_id: str) -> Response:
        charge_point = _charge_point(self)
        body = ProfileRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            profile = services.charging_profile_create(
                charge_point=charge_point,
                connector_id=body.validated_data["connectorId"],
                profile=body.validated_data["csChargingProfiles"],
                check_payload=request_problem,
                requested_by=request.user,
            )
        except DjangoValidationError as error:
            raise _as_drf_error(error) from error
        profile = selectors.profiles_of_charge_point(charge_point=charge_point).get(pk=profile.pk)
        return Response(ChargingProfileSerializer(profile).data, status=status.HTTP_202_ACCEPTED)


class ChargingProfileView(generics.RetrieveDestroyAPIView):
    """GET one profile; DELETE clears it from the charger (ClearChargingProfile, 202); the row stays."""

    permission_model = ChargingProfile
    api_scope = ApiScope.COMMANDS
    serializer_class = ChargingProfileSerializer
    # Not {pk}: under chargers/{charge_point_id}/ that names a diagnostics upload (the schema's one name per path).
    lookup_url_kwarg = "profile_id"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ChargingProfile.objects.none()
        return selectors.profiles_of_charge_point(charge_point=_charge_point(self))

    def get_serializer_context(self) -> dict:
        return _with_replaced(self, super().get_serializer_context())

    @extend_schema(responses={202: ChargingProfileSerializer})
    def delete(self, request: Request, charge_point_id: str, profile_id: int) -> Response:
        profile = self.get_object()
        try:
            services.charging_profile_clear(profile=profile, check_payload=request_problem, requested_by=request.user)
        except DjangoValidationError as error:
            raise _as_drf_error(error) from error
        profile = self.get_queryset().get(pk=profile.pk)
        return Response(ChargingProfileSerializer(profile).data, status=status.HTTP_202_ACCEPTED)


class CompositeRequestSerializer(serializers.Serializer):
    connectorId = serializers.IntegerField(min_value=0)
    duration = serializers.IntegerField(min_value=1, help_text="seconds")
    chargingRateUnit = serializers.ChoiceField(choices=RateUnit.values, required=False)


class CompositeSerializer(AnswerSerializer):
    series = serializers.SerializerMethodField(help_text="The answer as a step chart: unit, t (epoch s), limit")

    class Meta(AnswerSerializer.Meta):
        fields = [*AnswerSerializer.Meta.fields, "payload", "series"]
        read_only_fields = fields

    def get_series(self, command: Command) -> dict:
        return selectors.composite_series(response=command.response)


class CompositeScheduleView(APIView):
    """POST asks the charger for its composite schedule (202, the command); GET the last one asked, with the
    charger's answer (404 before any)."""

    permission_model = Command
    parser_classes = [JSONParser]

    @extend_schema(responses={200: CompositeSerializer})
    def get(self, request: Request, charge_point_id: str) -> Response:
        command = selectors.composite_last(charge_point=_charge_point(self))
        if command is None:
            return Response({"detail": "No composite schedule asked yet."}, status=status.HTTP_404_NOT_FOUND)
        return Response(CompositeSerializer(command).data)

    @extend_schema(request=CompositeRequestSerializer, responses={202: CompositeSerializer})
    def post(self, request: Request, charge_point_id: str) -> Response:
        charge_point = _charge_point(self)
        body = CompositeRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            command = services.composite_request(
                charge_point=charge_point,
                connector_id=body.validated_data["connectorId"],
                duration_s=body.validated_data["duration"],
                rate_unit=body.validated_data.get("chargingRateUnit", ""),
                check_payload=request_problem,
                requested_by=request.user,
            )
        except DjangoValidationError as error:
            raise _as_drf_error(error) from error
        return Response(CompositeSerializer(command).data, status=status.HTTP_202_ACCEPTED)
