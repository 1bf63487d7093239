"""REST API for charge points: serializers and views (urls in chargers/urls.py).

Views are thin: parse with a serializer, call one service (writes) or selector (reads), format.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.fields import get_error_detail
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from chargers import selectors, services
from chargers.models import ChargePoint, Connector, RegistrationStatus

# AuthorizationKey bounds from the OCPP 1.6 security whitepaper (Basic auth password: 16 to 40 characters).
AUTH_KEY_MIN_LENGTH = 16
AUTH_KEY_MAX_LENGTH = 40

DUPLICATE_ID_MESSAGE = "A charger with this charge_point_id already exists."

# --- Serializers ------------------------------------------------------------------------------------------


class ConnectorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Connector
        fields = [
            "connector_id",
            "status",
            "availability",
            "availability_scheduled",
            "error_code",
            "vendor_error_code",
            "info",
            "status_timestamp",
            "power_w",
            "energy_wh",
            "meter_timestamp",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "power_w": {"help_text": "The outlet's latest power reading in W (a JSON number); null if none."},
            "energy_wh": {"help_text": "The outlet's latest energy register in Wh (a JSON number); null if none."},
        }


class ChargePointSerializer(serializers.ModelSerializer):
    """A charger as operators see it."""

    # Not shown, on purpose: the key hash (a secret) and the channel name (which process holds the socket).

    online = serializers.BooleanField(source="is_online", read_only=True)
    has_authorization_key = serializers.BooleanField(source="has_auth_key", read_only=True)
    live_power_w = serializers.DecimalField(
        max_digits=17,
        decimal_places=3,
        read_only=True,
        allow_null=True,
        help_text="Sum of the outlets' latest power readings in W (a JSON number); null when no connector reports "
        "power.",
    )
    connectors = ConnectorSerializer(many=True, read_only=True)

    class Meta:
        model = ChargePoint
        fields = [
            "charge_point_id",
            "name",
            "registration_status",
            "online",
            "last_seen",
            "connected_at",
            "disconnected_at",
            "last_heartbeat_at",
            "last_boot_at",
            "vendor",
            "model",
            "firmware_version",
            "serial_number",
            "charge_box_serial_number",
            "meter_type",
            "meter_serial_number",
            "iccid",
            "imsi",
            "heartbeat_interval_s",
            "firmware_status",
            "diagnostics_status",
            "has_authorization_key",
            "security_profile",
            "transport",
            "live_power_w",
            "connectors",
            "created_at",
        ]
        read_only_fields = fields


def _validate_charge_point_id(value: str) -> str:
    # The id is the last segment of ws://host/ocpp/<id> and of the API's own URLs.
    if "/" in value:
        raise serializers.ValidationError("A charge point id cannot contain '/'.")
    return value


class ChargePointRegisterSerializer(serializers.Serializer):
    charge_point_id = serializers.CharField(
        max_length=100, validators=[_validate_charge_point_id], help_text="The OCPP identity (any characters but '/')."
    )
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    authorization_key = serializers.CharField(
        min_length=AUTH_KEY_MIN_LENGTH,
        max_length=AUTH_KEY_MAX_LENGTH,
        required=False,
        write_only=True,
        # A key is a secret compared byte for byte: never trim it silently.
        trim_whitespace=False,
        help_text="The charger's Basic auth password (16 to 40 characters). Omit it to have one generated.",
    )
    registration_status = serializers.ChoiceField(
        choices=RegistrationStatus.choices, default=RegistrationStatus.ACCEPTED
    )
    security_profile = serializers.ChoiceField(
        choices=ChargePoint._meta.get_field("security_profile").choices,
        default=1,
        help_text="OCPP security profile the charger must use: 1 Basic auth (ws or wss), 2 Basic auth over TLS only, "
        "3 TLS client certificate whose CN is the charge point id. A weaker connection is refused and logged.",
    )

    def validate_charge_point_id(self, value: str) -> str:
        if selectors.charge_point_id_exists(charge_point_id=value):
            raise serializers.ValidationError(DUPLICATE_ID_MESSAGE)
        return value


class ChargePointRegisteredSerializer(ChargePointSerializer):
    authorization_key = serializers.CharField(
        read_only=True,
        help_text="The plain AuthorizationKey: shown in this response only, the portal keeps a hash of it.",
    )

    class Meta(ChargePointSerializer.Meta):
        fields = [*ChargePointSerializer.Meta.fields, "authorization_key"]
        read_only_fields = fields


class ChargePointUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    registration_status = serializers.ChoiceField(
        choices=RegistrationStatus.choices,
        required=False,
        help_text="Accept or reject a pending charger; a connected charger is told at once.",
    )
    authorization_key = serializers.CharField(
        min_length=AUTH_KEY_MIN_LENGTH,
        max_length=AUTH_KEY_MAX_LENGTH,
        required=False,
        write_only=True,
        trim_whitespace=False,
        help_text=(
            "A new Basic auth password (write-only). Only the portal's copy changes: give the charger the same "
            "key (ChangeConfiguration AuthorizationKey) or its next connection is refused."
        ),
    )
    security_profile = serializers.ChoiceField(
        choices=ChargePoint._meta.get_field("security_profile").choices,
        required=False,
        help_text="OCPP security profile the charger must use: 1 Basic auth (ws or wss), 2 Basic auth over TLS only, "
        "3 TLS client certificate whose CN is the charge point id. A weaker connection is refused and logged.",
    )

    def validate(self, attrs: dict) -> dict:
        # A PATCH whose keys are all misspelt would otherwise answer 200 and change nothing.
        if not attrs:
            raise serializers.ValidationError(
                "Nothing to change: give name, registration_status, authorization_key or security_profile.",
                code="empty",
            )
        return attrs


# --- Views ------------------------------------------------------------------------------------------------


class ChargePointFilter(filters.FilterSet):
    class Meta:
        model = ChargePoint
        fields = ["registration_status", "is_online", "vendor", "model", "firmware_version"]


@extend_schema_view(
    list=extend_schema(summary="List chargers"),
    retrieve=extend_schema(summary="A charger, its connectors and live power"),
)
class ChargePointViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Chargers, looked up by their OCPP charge point id. No DELETE: a charger's transactions are billing records."""

    # A JSON API: form bodies would only blur the schema.
    parser_classes = [JSONParser]
    serializer_class = ChargePointSerializer
    lookup_field = "charge_point_id"
    # Charge point ids may hold '.', ':' and the like: anything but the path separator.
    lookup_value_regex = "[^/]+"
    filter_backends = [filters.DjangoFilterBackend, SearchFilter, OrderingFilter]
    filterset_class = ChargePointFilter
    search_fields = ["charge_point_id", "name"]
    ordering_fields = [
        "charge_point_id",
        "name",
        "registration_status",
        "is_online",
        "last_seen",
        "connected_at",
        "vendor",
        "model",
        "firmware_version",
        "live_power_w",
        "created_at",
    ]
    ordering = ["charge_point_id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.charge_point_list()

    def _read_back(self, charge_point: ChargePoint) -> ChargePoint:
        # Through the selector, so that connectors and live power come with it.
        return selectors.charge_point_get(charge_point_id=charge_point.charge_point_id)

    @extend_schema(
        summary="Register a charger",
        request=ChargePointRegisterSerializer,
        responses={201: ChargePointRegisteredSerializer, 400: OpenApiResponse(description="Invalid field(s)")},
    )
    def create(self, request: Request) -> Response:
        """Register a charger ahead of its first connection. The AuthorizationKey (given or generated) is
        returned once, in this response; afterwards only `has_authorization_key` tells that there is one."""
        serializer = ChargePointRegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        key = data.get("authorization_key") or services.auth_key_generate()
        try:
            charge_point = services.charge_point_register(
                charge_point_id=data["charge_point_id"],
                auth_key=key,
                registration_status=data["registration_status"],
                name=data["name"],
                security_profile=data["security_profile"],
            )
        except DjangoValidationError as exc:
            raise serializers.ValidationError(get_error_detail(exc)) from exc
        except IntegrityError as exc:
            # Two registrations of one id at once: the loser hears what the validator would have said.
            raise serializers.ValidationError({"charge_point_id": [DUPLICATE_ID_MESSAGE]}) from exc
        registered = self._read_back(charge_point)
        registered.authorization_key = key
        body = ChargePointRegisteredSerializer(registered, context=self.get_serializer_context()).data
        # The only copy of the key: no cache may keep it.
        return Response(body, status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"})

    @extend_schema(
        summary="Rename, accept/reject or re-key a charger",
        request=ChargePointUpdateSerializer,
        responses={200: ChargePointSerializer, 400: OpenApiResponse(description="Invalid field(s)")},
    )
    def partial_update(self, request: Request, charge_point_id: str) -> Response:
        charge_point = self.get_object()
        serializer = ChargePointUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            services.charge_point_update(charge_point=charge_point, **serializer.validated_data)
        except ValueError as exc:
            # The services' own rules; the serializer checks the same, so this is a safety net.
            raise serializers.ValidationError([str(exc)]) from exc
        updated = self._read_back(charge_point)
        return Response(self.get_serializer(updated).data)
