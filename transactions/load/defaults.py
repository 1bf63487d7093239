"""The profiles load management sends, and the safe TxDefaultProfile of each charger of a managed site: built,
checked and queued here (the loop in services.py decides when), with what each charger accepted kept on its
LoadDefault row. Why the defaults are safe: allocator.default_limits.
"""

import logging
from collections.abc import Collection
from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone

from chargers.commands.services import PayloadCheck, command_create
from chargers.models import ChargePoint, Command, CommandStatus
from transactions.load.models import LoadDefault
from transactions.load.selectors import SiteDefaults

logger = logging.getLogger(__name__)

# Profile ids load management owns: a profile with the same id replaces the one before on the charger, so each
# charger holds at most one default and one TxProfile per connector (TX_PROFILE_ID + the connector: a TxProfile
# for connector 2 must not replace connector 1's) and its profile capacity is never filled up by us.
TX_PROFILE_ID = 9100
DEFAULT_PROFILE_ID = 9000
TX_STACK_LEVEL = 1
DEFAULT_STACK_LEVEL = 0
# A profile that has not reached the charger in this time is stale (the next round computes a fresh one), and an
# open one holds the site's increases back: it must not wait for the pipeline's long default expiry.
PROFILE_EXPIRY = timedelta(seconds=30)
REQUESTED_VIA = "load"


def profile_problem(action: str, payload: dict) -> str | None:
    """What is wrong with a profile this module built ("field: reason"), or None.

    The protocol room's schema check (chargers.ocpp.results.request_problem) is sealed from the transactions app
    (.importlinter), so the loop checks the few rules its own payloads could break; the e2e test runs them past
    the simulated chargers' answers."""
    if action != "SetChargingProfile":
        return f"action: load management sends SetChargingProfile, not {action}"
    if not isinstance(payload.get("connectorId"), int) or payload["connectorId"] < 0:
        return "connectorId: a connector number (0 or more)"
    for period in payload["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"]:
        limit = Decimal(str(period["limit"]))
        if limit < 0 or limit != limit.quantize(Decimal("0.1")):
            return "limit: at least 0 A, with at most one decimal"
    return None


def profile_payload(
    *,
    connector_id: int,
    limit_a: Decimal,
    phases: int,
    purpose: str,
    transaction_pk: int | None = None,
    max_stack_level: int | None = None,
) -> dict:
    """A one-period SetChargingProfile in A (relative: from the start of the session, or of each session), at our
    stack level or the highest the charger takes (ChargingProfileMaxStackLevel: a TxProfile outranks the default
    by its purpose, so level 0 serves as well while nobody else's TxProfile is on the charger)."""
    level = TX_STACK_LEVEL if purpose == "TxProfile" else DEFAULT_STACK_LEVEL
    profile = {
        "chargingProfileId": TX_PROFILE_ID + connector_id if purpose == "TxProfile" else DEFAULT_PROFILE_ID,
        "stackLevel": level if max_stack_level is None else min(level, max_stack_level),
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": "Relative",
        "chargingSchedule": {
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": float(limit_a), "numberPhases": phases}],
        },
    }
    if transaction_pk is not None:
        profile["transactionId"] = transaction_pk
    return {"connectorId": connector_id, "csChargingProfiles": profile}


def profile_command_create(*, charge_point: ChargePoint, payload: dict, check_payload: PayloadCheck) -> Command | None:
    """Queue a profile without a poke (the round pokes once for all its commands); None, logged, when refused."""
    try:
        return command_create(
            charge_point=charge_point,
            action="SetChargingProfile",
            payload=payload,
            check_payload=check_payload,
            requested_via=REQUESTED_VIA,
            expires_at=timezone.now() + PROFILE_EXPIRY,
            dispatch=False,
        )
    except ValidationError as error:
        logger.warning("load: no profile for %s: %s", charge_point, error.messages)
        return None


def defaults_settle(*, charge_point_pks: Collection[int]) -> None:
    """Take in the answers to the chargers' last default profiles: accepted, it is in force; refused or lost, the
    one before it still is (and the next round sends the plan again)."""
    rows = LoadDefault.objects.select_related("command").filter(
        charge_point_id__in=list(charge_point_pks), command__isnull=False
    )
    for row in rows:
        if row.command.is_open:
            continue
        if row.command.status == CommandStatus.ACCEPTED:
            row.accepted_limit_a = row.sent_limit_a
        elif row.accepted_limit_a is not None:
            row.sent_limit_a = row.accepted_limit_a
        row.command = None
        row.save(update_fields=["accepted_limit_a", "sent_limit_a", "command"])


def defaults_resend(
    *, defaults: SiteDefaults, chargers: dict[int, ChargePoint], connected: Collection[int]
) -> set[int]:
    """Of the chargers that just connected, those whose default was last sent before they connected (a charger
    swapped for a new one holds none); one that got it meanwhile (another round of its site) is not sent it twice."""
    resend = set()
    for pk in connected:
        row, charger = defaults.rows.get(pk), chargers.get(pk)
        if charger is not None and row is not None and charger.connected_at and row.updated_at < charger.connected_at:
            resend.add(pk)
    return resend


def defaults_due(*, defaults: SiteDefaults, resend: Collection[int] = ()) -> tuple[list[int], list[int]]:
    """The chargers whose default must go out, as (lowered, raised): one whose plan moved, one never sent one, and
    those in `resend` (defaults_resend). One in flight waits."""
    lowered, raised = [], []
    for pk, planned in defaults.planned.items():
        row = defaults.rows.get(pk)
        if row is not None and row.command_id is not None:
            continue
        if row is None or row.sent_limit_a != planned or pk in resend:
            held = row.held_a if row is not None else None
            (raised if held is not None and planned > held else lowered).append(pk)
    return lowered, raised


def default_send(
    *, charge_point: ChargePoint, defaults: SiteDefaults, check_payload: PayloadCheck = profile_problem
) -> Command | None:
    """Queue the charger's planned default (connector 0: each of its connectors) and note it as sent."""
    limit = defaults.planned[charge_point.pk]
    payload = profile_payload(
        connector_id=0, limit_a=limit, phases=defaults.phases[charge_point.pk], purpose="TxDefaultProfile"
    )
    command = profile_command_create(charge_point=charge_point, payload=payload, check_payload=check_payload)
    if command is None:
        return None
    LoadDefault.objects.update_or_create(
        charge_point=charge_point,
        defaults={"sent_limit_a": limit, "command": command, "updated_at": timezone.now()},
    )
    return command
