"""Writing charging profiles: validate by the 1.6 rules, keep the row, and send it (SetChargingProfile) or take it
off the charger (ClearChargingProfile) through the command pipeline; ask for the composite schedule
(GetCompositeSchedule). The charger's answers stay on the Command rows (status, response).

Like the command services, these never import the protocol room: the edges hand over `check_payload`."""

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from chargers.charging.models import ChargingProfile
from chargers.charging.validation import parse_moment, profile_problems
from chargers.charging.vocabulary import RateUnit
from chargers.commands.models import OPEN_COMMAND_STATUSES, Command, CommandStatus
from chargers.commands.services import PayloadCheck, command_create
from chargers.models import ChargePoint

__all__ = ["charging_profile_clear", "charging_profile_create", "charging_profile_payload", "composite_request"]

VIA = "api"


def charging_profile_create(
    *,
    charge_point: ChargePoint,
    connector_id: object,
    profile: object,
    check_payload: PayloadCheck,
    requested_by: Any = None,
    requested_via: str = VIA,
) -> ChargingProfile:
    """Refuse a profile that breaks a 1.6 rule (naming the field); else keep it and queue its
    SetChargingProfile, whose chargingProfileId is the row's id."""
    problems = profile_problems(connector_id=connector_id, profile=profile)
    if problems:
        raise ValidationError({"chargingProfile": problems})
    with transaction.atomic():
        row = ChargingProfile.objects.create(
            charge_point=charge_point,
            connector_id=connector_id,
            requested_by=requested_by if getattr(requested_by, "is_authenticated", False) else None,
            **_fields(profile),
        )
        row.set_command = command_create(
            charge_point=charge_point,
            action="SetChargingProfile",
            payload=charging_profile_payload(profile=row),
            check_payload=check_payload,
            requested_by=requested_by,
            requested_via=requested_via,
        )
        row.save(update_fields=["set_command"])
    return row


def _fields(profile: dict) -> dict:
    schedule = profile["chargingSchedule"]
    rate = schedule.get("minChargingRate")
    return {
        "purpose": profile["chargingProfilePurpose"],
        "stack_level": profile["stackLevel"],
        "kind": profile["chargingProfileKind"],
        "recurrency_kind": profile.get("recurrencyKind") or "",
        "transaction_id": profile.get("transactionId"),
        "valid_from": parse_moment(profile.get("validFrom")),
        "valid_to": parse_moment(profile.get("validTo")),
        "rate_unit": schedule["chargingRateUnit"],
        "start_schedule": parse_moment(schedule.get("startSchedule")),
        "duration_s": schedule.get("duration"),
        # str() first: Decimal(8.1) would keep the float's binary tail.
        "min_charging_rate": None if rate is None else Decimal(str(rate)),
        "periods": [
            {k: period[k] for k in ("startPeriod", "limit", "numberPhases") if k in period}
            for period in schedule["chargingSchedulePeriod"]
        ],
    }


def _moment(value: Any) -> str | None:
    # OCPP timestamps go out in UTC with a Z (OCPP-NOTES).
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def _without_none(values: dict) -> dict:
    return {k: v for k, v in values.items() if v is not None and v != ""}


def charging_profile_payload(*, profile: ChargingProfile) -> dict:
    """The SetChargingProfile request of a kept profile."""
    schedule = _without_none(
        {
            "duration": profile.duration_s,
            "startSchedule": _moment(profile.start_schedule),
            "chargingRateUnit": profile.rate_unit,
            "chargingSchedulePeriod": profile.periods,
            "minChargingRate": None if profile.min_charging_rate is None else float(profile.min_charging_rate),
        }
    )
    body = _without_none(
        {
            "chargingProfileId": profile.pk,
            "transactionId": profile.transaction_id,
            "stackLevel": profile.stack_level,
            "chargingProfilePurpose": profile.purpose,
            "chargingProfileKind": profile.kind,
            "recurrencyKind": profile.recurrency_kind,
            "validFrom": _moment(profile.valid_from),
            "validTo": _moment(profile.valid_to),
        }
    )
    body["chargingSchedule"] = schedule
    return {"connectorId": profile.connector_id, "csChargingProfiles": body}


def charging_profile_clear(
    *, profile: ChargingProfile, check_payload: PayloadCheck, requested_by: Any = None, requested_via: str = VIA
) -> Command:
    """Queue the ClearChargingProfile of this profile (by its id); the row stays, with the answer. A profile
    being cleared or cleared already is refused (a failed or refused clear may be tried again)."""
    done = profile.clear_command
    if done is not None and done.status in (*OPEN_COMMAND_STATUSES, CommandStatus.ACCEPTED):
        raise ValidationError({"profile": [f"profile {profile.pk} is already {done.status} for clearing"]})
    with transaction.atomic():
        profile.clear_command = command_create(
            charge_point=profile.charge_point,
            action="ClearChargingProfile",
            payload={"id": profile.pk},
            check_payload=check_payload,
            requested_by=requested_by,
            requested_via=requested_via,
        )
        profile.save(update_fields=["clear_command"])
    return profile.clear_command


def composite_request(
    *,
    charge_point: ChargePoint,
    connector_id: int,
    duration_s: int,
    rate_unit: str = "",
    check_payload: PayloadCheck,
    requested_by: Any = None,
    requested_via: str = VIA,
) -> Command:
    """Ask the charger for its composite schedule; its answer is the command's response."""
    if rate_unit and rate_unit not in RateUnit.values:
        raise ValidationError({"chargingRateUnit": ["A or W"]})
    payload = {"connectorId": connector_id, "duration": duration_s}
    if rate_unit:
        payload["chargingRateUnit"] = rate_unit
    return command_create(
        charge_point=charge_point,
        action="GetCompositeSchedule",
        payload=payload,
        check_payload=check_payload,
        requested_by=requested_by,
        requested_via=requested_via,
    )
