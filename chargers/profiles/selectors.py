"""Reads for charger model profiles: matching, what a charger's model supports, what a profile changes in
reading a charger's messages, and what the operator pages show (labels, vendor error meanings, decoded
DataTransfer, firmware comparison)."""

import json
import re
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import jsonschema
from django.db.models import Prefetch, QuerySet

from chargers.actions import CENTRAL_ACTIONS, OCPP_MESSAGES
from chargers.models import (
    ByteOrder,
    ChargePoint,
    ChargerModel,
    DataTransferMessage,
    DataTransferSpec,
    FirmwareVersion,
    MeasurandSpec,
    MessageDirection,
    ProfileStatus,
    Transport,
    VendorErrorCode,
)


def charger_model_list() -> QuerySet[ChargerModel]:
    return ChargerModel.objects.prefetch_related("firmware_versions", "connector_specs")


def charger_model_get(*, pk: int) -> ChargerModel:
    return ChargerModel.objects.prefetch_related(
        "firmware_versions",
        "connector_specs",
        "measurands",
        "data_transfers",
        "vendor_error_codes",
        "interfaces",
    ).get(pk=pk)


# --- Matching ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _pattern(expression: str) -> re.Pattern:
    return re.compile(expression, re.IGNORECASE)


def _matches(expression: str, literal: str, value: str) -> bool:
    """The pattern, or the literal name when there is none, must match the whole value."""
    if expression:
        return _pattern(expression).fullmatch(value.strip()) is not None
    return literal.strip().casefold() == value.strip().casefold()


def charger_model_match(*, vendor: str, model: str) -> ChargerModel | None:
    """The active profile for what a charger calls itself in BootNotification; highest priority wins."""
    for profile in ChargerModel.objects.filter(status=ProfileStatus.ACTIVE).order_by("-match_priority", "id"):
        if _matches(profile.boot_vendor_pattern, profile.vendor, vendor) and _matches(
            profile.boot_model_pattern, profile.model, model
        ):
            return profile
    return None


# --- The charger's transport and what its model supports --------------------------------------------------


def charge_point_transport(*, charge_point: ChargePoint) -> str:
    """The transport the charger talks to the portal over, as its row says (its latest session's: 1.6J over a
    websocket, 1.6S over /ocpp/soap/)."""
    return charge_point.transport or Transport.OCPP16_JSON


def charge_point_supports_action(*, charge_point: ChargePoint, action: str) -> tuple[bool, str]:
    """Whether the charger's model profile supports `action` over the charger's transport.

    (True, "") when no profile is known (the charger may well support it: let it answer NotSupported) or when
    the profile lists it; (False, reason) otherwise, for the command pipeline to refuse before queuing.
    """
    profile = charge_point.charger_model
    if profile is None:
        return True, ""
    transport = charge_point_transport(charge_point=charge_point)
    if profile.supports(action, transport):
        return True, ""
    firmware = profile.latest_firmware
    name = f"{profile} (firmware {firmware.version})" if firmware else str(profile)
    label = Transport(transport).label
    if action not in OCPP_MESSAGES:
        return False, f"{action} is not an OCPP 1.6 message; {name} cannot be sent it"
    return False, f"{name} does not support {action} over {label} (vendor questionnaire)"


def charge_point_local_list_version_from_charger(*, charge_point: ChargePoint) -> bool:
    """Whether local-list sync may ask the charger its version (GetLocalListVersion). False for a model without
    it (the ETREL INCH): the portal then keeps the version it last sent itself and never asks."""
    supported, _reason = charge_point_supports_action(charge_point=charge_point, action="GetLocalListVersion")
    return supported


# --- What a profile changes in reading a charger's messages -----------------------------------------------


@dataclass(frozen=True)
class ProfileTraits:
    """What the OCPP handlers need of a charger's profile, loaded once and cached on the session."""

    profile_pk: int | None = None
    little_endian_rfid: bool = False
    # measurand -> the unit the model sends it in, for values that come without a unit
    default_units: dict[str, str] = field(default_factory=dict)
    # (measurand_key(measurand), location or "") -> LoadRole: the meter values load management reads
    load_roles: dict[tuple[str, str], str] = field(default_factory=dict)
    loaded_at: float = field(default_factory=time.monotonic)

    def load_role(self, *, measurand: str, location: str) -> str:
        """What a sampled value is to load management ("" when nothing): a spec of its location, else of any."""
        key = measurand_key(measurand)
        return self.load_roles.get((key, location)) or self.load_roles.get((key, ""), "")


def profile_traits(*, charge_point_pk: int) -> ProfileTraits:
    return profiles_traits(charge_point_pks=[charge_point_pk])[0]


def profiles_traits(*, charge_point_pks: list[int]) -> list[ProfileTraits]:
    """profile_traits of many chargers in two queries (the sessions of a busy moment ask together), in order."""
    chargers = ChargePoint.objects.filter(pk__in=set(charge_point_pks))
    rows = chargers.values_list("pk", "charger_model_id", "charger_model__rfid_byte_order")
    found = {pk: (model_pk, byte_order) for pk, model_pk, byte_order in rows}
    profile_pks = {model_pk for model_pk, _ in found.values() if model_pk is not None}
    units: dict[int, dict[str, str]] = {pk: {} for pk in profile_pks}
    roles: dict[int, dict[tuple[str, str], str]] = {pk: {} for pk in profile_pks}
    specs = MeasurandSpec.objects.filter(profile_id__in=profile_pks)
    for profile_pk, measurand, unit, location, role in specs.values_list(
        "profile_id", "measurand", "unit", "location", "load_role"
    ):
        if unit:
            units[profile_pk][measurand] = unit
        if role:
            roles[profile_pk][(measurand_key(measurand), location)] = role
    traits = []
    for pk in charge_point_pks:
        model_pk, byte_order = found.get(pk, (None, None))
        if model_pk is None:
            traits.append(ProfileTraits())
            continue
        little_endian = byte_order == ByteOrder.LITTLE_ENDIAN
        traits.append(
            ProfileTraits(
                profile_pk=model_pk,
                little_endian_rfid=little_endian,
                default_units=units[model_pk],
                load_roles=roles[model_pk],
            )
        )
    return traits


# --- What the operator pages show -------------------------------------------------------------------------


def measurand_key(name: str) -> str:
    """Vendors spell their own measurands loosely ("Building.Consumption", "building consumption")."""
    return re.sub(r"[^0-9a-z]", "", name.casefold())


def measurand_labels(*, profile: ChargerModel | None) -> dict[str, MeasurandSpec]:
    if profile is None:
        return {}
    return {measurand_key(m.measurand): m for m in profile.measurands.all()}


def measurand_label(*, labels: dict[str, MeasurandSpec], measurand: str) -> str:
    """How pages name a measurand: the profile's label for a vendor measurand, else the OCPP name."""
    spec = labels.get(measurand_key(measurand))
    if spec is None or not spec.label:
        return measurand
    return f"{spec.label} ({measurand})"


def vendor_error_meanings(*, profile: ChargerModel | None) -> dict[str, VendorErrorCode]:
    if profile is None:
        return {}
    return {c.code.casefold(): c for c in profile.vendor_error_codes.all()}


def vendor_error_meaning(*, charge_point: ChargePoint, code: str) -> str:
    """'E12: Residual current detected' style text for a vendorErrorCode, or the code alone."""
    if not code:
        return ""
    found = vendor_error_meanings(profile=charge_point.charger_model).get(code.casefold())
    return f"{code}: {found.meaning}" if found else code


@dataclass(frozen=True)
class DecodedDataTransfer:
    message: DataTransferMessage
    spec: DataTransferSpec | None
    data: Any  # parsed JSON, or None when `data` is not JSON
    is_json: bool

    @property
    def description(self) -> str:
        return self.spec.description if self.spec else ""

    @property
    def pretty(self) -> str:
        return json.dumps(self.data, indent=2, ensure_ascii=False) if self.is_json else self.message.data


def data_transfer_decode(*, message: DataTransferMessage, profile: ChargerModel | None) -> DecodedDataTransfer:
    spec = None
    if profile is not None:
        spec = next(
            (
                s
                for s in profile.data_transfers.all()
                if s.vendor_id.casefold() == message.vendor_id.casefold() and s.message_id == message.message_id
            ),
            None,
        )
    try:
        data, is_json = json.loads(message.data), True
    except (ValueError, TypeError):
        data, is_json = None, False
    return DecodedDataTransfer(message=message, spec=spec, data=data, is_json=is_json)


def data_transfer_problems(*, charge_point_pk: int, vendor_id: str, message_id: str, data: str) -> list[str]:
    """What in an incoming DataTransfer does not fit its spec in the charger's model profile (none when the
    profile does not know the message)."""
    spec = (
        DataTransferSpec.objects.filter(
            profile__charge_points__pk=charge_point_pk, vendor_id__iexact=vendor_id, message_id=message_id
        )
        .exclude(direction=MessageDirection.TO_CHARGER)
        .first()
    )
    if spec is None or not spec.data_schema:
        return []
    try:
        decoded = json.loads(data)
    except (ValueError, TypeError):
        return [f"data: not JSON, though {spec} expects a JSON string"]
    return [
        f"data{'.' + '.'.join(map(str, e.path)) if e.path else ''}: {e.message}"
        for e in jsonschema.Draft7Validator(spec.data_schema).iter_errors(decoded)
    ]


def data_transfers_decoded(*, charge_point: ChargePoint, limit: int = 50) -> list[DecodedDataTransfer]:
    profile = charge_point.charger_model
    return [
        data_transfer_decode(message=m, profile=profile)
        for m in DataTransferMessage.objects.filter(charge_point=charge_point)[:limit]
    ]


@dataclass(frozen=True)
class Operation:
    action: str
    supported: bool
    reason: str


def charge_point_operations(*, charge_point: ChargePoint) -> list[Operation]:
    """The central-system operations, each with whether the charger's model supports it (pages grey out the
    rest, and say why)."""
    operations = []
    for action in OCPP_MESSAGES:
        if action in CENTRAL_ACTIONS:
            supported, reason = charge_point_supports_action(charge_point=charge_point, action=action)
            operations.append(Operation(action, supported, reason))
    return operations


@dataclass(frozen=True)
class FirmwareMismatch:
    charge_point: ChargePoint
    profile: ChargerModel
    listed: list[str]


def charge_points_with_unlisted_firmware(*, profile: ChargerModel | None = None) -> list[FirmwareMismatch]:
    """Chargers whose reported firmware is not among their profile's firmware versions."""
    charge_points = (
        ChargePoint.objects.filter(charger_model__isnull=False)
        .select_related("charger_model")
        .prefetch_related(Prefetch("charger_model__firmware_versions", queryset=FirmwareVersion.objects.all()))
        .order_by("charger_model__vendor", "charger_model__model", "charge_point_id")
    )
    if profile is not None:
        charge_points = charge_points.filter(charger_model=profile)
    found = []
    for charge_point in charge_points:
        listed = [f.version for f in charge_point.charger_model.firmware_versions.all()]
        if charge_point.firmware_version.strip().casefold() not in {v.strip().casefold() for v in listed}:
            found.append(FirmwareMismatch(charge_point, charge_point.charger_model, listed))
    return found
