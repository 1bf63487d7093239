"""The profiles load management sends, and the safe TxDefaultProfile of each charger of a managed site: built,
checked and queued here (the loop in services.py decides when), with what each charger accepted kept on its
LoadDefault row. Why the defaults are safe: allocator.default_limits.
"""

import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone

from chargers.charging.models import ChargingProfile
from chargers.charging.services import charging_profile_payload
from chargers.commands.services import PayloadCheck, command_create
from chargers.models import ChargePoint, Command, CommandStatus
from transactions.load.models import LoadDefault
from transactions.load.selectors import SiteDefaults

logger = logging.getLogger(__name__)

# The chargingProfileId of what load management sends is the id of its ChargingProfile row (one per charger,
# connector and purpose, updated in place: LoadProfiles), so each new one replaces the one before on the charger,
# which holds at most one default and one TxProfile per connector of ours (its profile capacity is never filled).
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
    if action == "ClearChargingProfile":  # only to take back its own default (defaults_release)
        return None if isinstance(payload.get("id"), int) else "id: the chargingProfileId to clear"
    if action != "SetChargingProfile":
        return f"action: load management sends SetChargingProfile or ClearChargingProfile, not {action}"
    if not isinstance(payload.get("connectorId"), int) or payload["connectorId"] < 0:
        return "connectorId: a connector number (0 or more)"
    for period in payload["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"]:
        limit = Decimal(str(period["limit"]))
        if limit < 0 or limit != limit.quantize(Decimal("0.1")):
            return "limit: at least 0 A, with at most one decimal"
    return None


PROFILE_SOURCE = "load"  # ChargingProfile.source of load management's rows
_RECORDED = ("stack_level", "transaction_id", "periods", "set_command", "created_at")


@dataclass
class LoadProfiles:
    """The ChargingProfile rows load management keeps, so that the charger's page shows what it set: read in one
    query a round, written back in one (a row is inserted only the first time a charger's connector gets one)."""

    rows: dict[tuple[int, int, str], ChargingProfile]
    changed: list[ChargingProfile] = field(default_factory=list)

    @classmethod
    def of(cls, *, charge_point_pks: Collection[int]) -> "LoadProfiles":
        found = ChargingProfile.objects.filter(charge_point_id__in=list(charge_point_pks), source=PROFILE_SOURCE)
        return cls({(row.charge_point_id, row.connector_id, row.purpose): row for row in found})

    def queue(
        self,
        *,
        charge_point: ChargePoint,
        connector_id: int,
        limit_a: Decimal,
        phases: int,
        purpose: str,
        check_payload: PayloadCheck,
        transaction_pk: int | None = None,
        max_stack_level: int | None = None,
    ) -> Command | None:
        """Queue a one-period profile in A (relative: from the start of the session, or of each session) without a
        poke (the round pokes once for all), at our stack level or the highest the charger takes
        (ChargingProfileMaxStackLevel: a TxProfile outranks the default by its purpose, so level 0 serves as well
        while nobody else's TxProfile is on the charger). None, logged, when refused."""
        level = TX_STACK_LEVEL if purpose == "TxProfile" else DEFAULT_STACK_LEVEL
        row = self.rows.get((charge_point.pk, connector_id, purpose))
        created = row is None
        if created:
            row = ChargingProfile.objects.create(
                charge_point=charge_point, connector_id=connector_id, purpose=purpose, source=PROFILE_SOURCE,
                stack_level=level, kind="Relative", rate_unit="A", periods=[],
            )  # fmt: skip
        row.stack_level = level if max_stack_level is None else min(level, max_stack_level)
        row.transaction_id, row.created_at = transaction_pk, timezone.now()
        row.periods = [{"startPeriod": 0, "limit": float(limit_a), "numberPhases": phases}]
        command = profile_command_create(
            charge_point=charge_point, payload=charging_profile_payload(profile=row), check_payload=check_payload
        )
        if command is None:
            if created:
                row.delete()
            return None
        row.set_command = command
        self.rows[(charge_point.pk, connector_id, purpose)] = row
        self.changed.append(row)
        return command

    def save(self) -> None:
        ChargingProfile.objects.bulk_update(self.changed, _RECORDED)
        self.changed = []


def profile_command_create(*, charge_point: ChargePoint, payload: dict, check_payload: PayloadCheck) -> Command | None:
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
    *, charge_point: ChargePoint, defaults: SiteDefaults, profiles: LoadProfiles, check_payload: PayloadCheck
) -> Command | None:
    """Queue the charger's planned default (connector 0: each of its connectors) and note it as sent."""
    limit = defaults.planned[charge_point.pk]
    command = profiles.queue(
        charge_point=charge_point,
        connector_id=0,
        limit_a=limit,
        phases=defaults.phases[charge_point.pk],
        purpose="TxDefaultProfile",
        check_payload=check_payload,
    )
    if command is None:
        return None
    LoadDefault.objects.update_or_create(
        charge_point=charge_point,
        defaults={"sent_limit_a": limit, "command": command, "updated_at": timezone.now()},
    )
    return command


def defaults_release(*, rows: Collection[LoadDefault], check_payload: PayloadCheck) -> list[Command]:
    """Take back the defaults of chargers that left load management (selectors.defaults_stranded): a charger moved
    off a full site keeps a 0 A default, and every session it starts would wait paused for a TxProfile that no
    round sends it any more. Each default of ours is cleared by its id (the operator's own profiles stay); an
    offline charger gets the ClearChargingProfile when it is back (the pipeline keeps it queued)."""
    commands = []
    for row in rows:
        profiles = ChargingProfile.objects.filter(
            charge_point_id=row.charge_point_id, source=PROFILE_SOURCE, purpose="TxDefaultProfile"
        )
        for profile in profiles:
            try:
                commands.append(
                    command_create(
                        charge_point=row.charge_point,
                        action="ClearChargingProfile",
                        payload={"id": profile.pk},
                        check_payload=check_payload,
                        requested_via=REQUESTED_VIA,
                        dispatch=False,
                    )
                )
            except ValidationError as error:
                logger.warning("load: cannot clear the default of %s: %s", row.charge_point, error.messages)
        profiles.delete()
        row.delete()
    return commands
