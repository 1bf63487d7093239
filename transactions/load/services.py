"""The load loop's writes: share a site's limit among its running sessions (the allocator), keep each session's
share (LoadAllocation) and send the chargers the changes as TxProfiles through the command pipeline, which keeps
to one outstanding CALL per charger; and the safe TxDefaultProfile a charger of a managed site gets on connecting.

Lower before raising: the decreases go out first; an increase waits until no profile of the site is on its way
(the answers bring a new round: transactions/load/subscribers.py), so the sum in force never passes the limit
because one charger heard its raise before another heard its cut.
"""

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from celery import current_app
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from chargers.commands.dispatch import commands_dispatch_on_commit
from chargers.commands.services import PayloadCheck, command_create
from chargers.models import ChargePoint, Command, CommandStatus
from transactions.load.allocator import allocate, amps_from_kw
from transactions.load.models import BuildingReading, LoadAllocation, LoadPoint, LoadRound
from transactions.load.selectors import (
    SiteInputs,
    load_round_latest,
    site_inputs,
    site_is_managed,
    site_limit_a,
    site_measured_a,
    site_root,
    site_tree,
)
from transactions.sites.models import Site

logger = logging.getLogger(__name__)

THRESHOLD_A = Decimal(1)  # a raise of this or less is not worth a CALL (a cut always is)
DEFAULT_LIMIT_A = Decimal(6)  # the TxDefaultProfile: what a session draws before its own profile arrives
# Profile ids load management owns: a profile with the same id replaces the one before on the charger, so each
# charger holds at most one of each (its profile capacity is never filled up by us).
TX_PROFILE_ID = 9100
DEFAULT_PROFILE_ID = 9000
TX_STACK_LEVEL = 1
DEFAULT_STACK_LEVEL = 0
# A profile that has not reached the charger in this time is stale (the next round computes a fresh one), and an
# open one holds the site's increases back: it must not wait for the pipeline's long default expiry.
PROFILE_EXPIRY = timedelta(seconds=30)
REQUESTED_VIA = "load"
# By name: the tasks module is an edge this layer may not import (.importlinter); the worker runs it anyway.
BALANCE_TASK = "transactions.load.tasks.site_load_balance"
# History: a round is written when a figure moved, else once in this time (beat's rounds every few seconds on a
# quiet site would write the same row over and over).
HISTORY_EVERY = timedelta(seconds=60)
TENTH = Decimal("0.1")


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
    *, connector_id: int, limit_a: Decimal, phases: int, purpose: str, transaction_pk: int | None = None
) -> dict:
    """A one-period SetChargingProfile in A (relative: from the start of the session, or of each session)."""
    profile = {
        "chargingProfileId": TX_PROFILE_ID if purpose == "TxProfile" else DEFAULT_PROFILE_ID,
        "stackLevel": TX_STACK_LEVEL if purpose == "TxProfile" else DEFAULT_STACK_LEVEL,
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


def site_load_balance(*, site: Site, check_payload: PayloadCheck = profile_problem) -> list[Command]:
    """One round for the site (a circuit: its whole site): allocate, store the shares, send what changed.
    Returns the commands queued."""
    root = site_root(site=site)
    with transaction.atomic():
        # Two rounds of one site (an event's and beat's) wait for each other: neither sends what the other did.
        # Read afresh under the lock: the caller's row may be older than the limit an operator just set.
        root = Site.objects.select_for_update().get(pk=root.pk)
        inputs = site_inputs(root=root)
        if not site_is_managed(tree=site_tree(root=root)):
            LoadAllocation.objects.filter(site=root).delete()
            return []
        limits = allocate(circuits=inputs.circuits, sessions=inputs.sessions)
        rows = _allocations_store(root=root, inputs=inputs, limits=limits)
        _round_record(root=root, inputs=inputs, limits=limits)
        return _changes_send(rows=rows, inputs=inputs, check_payload=check_payload)


def _allocations_store(*, root: Site, inputs: SiteInputs, limits: dict[int, Decimal]) -> list[LoadAllocation]:
    LoadAllocation.objects.filter(site=root).exclude(transaction_id__in=list(limits)).delete()
    existing = {
        row.transaction_id: row
        for row in LoadAllocation.objects.select_related("command").filter(transaction_id__in=list(limits))
    }
    now = timezone.now()
    rows = []
    for pk, limit in limits.items():
        row = existing.get(pk) or LoadAllocation(
            transaction_id=pk, site=root, charge_point_id=inputs.running[pk].charge_point_pk
        )
        # Saved only when something moved: beat's round every few seconds writes nothing on a quiet site.
        changed = row.pk is None or _settle(row) or row.limit_a != limit or row.site_id != root.pk
        if changed:
            row.site, row.limit_a, row.updated_at = root, limit, now
            row.save()
        rows.append(row)
    return rows


def _settle(row: LoadAllocation) -> bool:
    """Take in the answer to the row's last profile: accepted, it is in force; refused or lost, the one before
    it still is (and the round sends it again). True when there was an answer to take in."""
    if row.command is None or row.command.is_open:
        return False
    if row.command.status == CommandStatus.ACCEPTED:
        row.accepted_limit_a = row.sent_limit_a
    else:
        row.sent_limit_a = row.accepted_limit_a
    row.command = None
    return True


def _in_force(row: LoadAllocation) -> Decimal:
    return row.sent_limit_a if row.sent_limit_a is not None else DEFAULT_LIMIT_A


def _needs_sending(row: LoadAllocation) -> bool:
    if row.command is not None:
        return False  # its last profile is on its way: one change in flight per session
    if row.sent_limit_a is None:
        return True
    in_force = row.sent_limit_a
    # A cut goes out however small: the others' shares count on it (ten skipped cuts of 0.7 A are 7 A over the
    # limit). A raise goes out when it is worth a CALL, or when it resumes a paused session.
    return row.limit_a < in_force or row.limit_a - in_force > THRESHOLD_A or (in_force == 0 < row.limit_a)


def _changes_send(*, rows: list[LoadAllocation], inputs: SiteInputs, check_payload: PayloadCheck) -> list[Command]:
    chargers = ChargePoint.objects.in_bulk({row.charge_point_id for row in rows})
    due = [row for row in rows if _needs_sending(row)]
    # A first profile at the default is no raise: it may go with the decreases.
    decreases = [row for row in due if row.limit_a <= _in_force(row)]
    increases = [row for row in due if row.limit_a > _in_force(row)]
    phases = {session.key: session.phases for session in inputs.sessions}

    def send(row: LoadAllocation) -> Command | None:
        if not chargers[row.charge_point_id].is_online:
            return None  # it keeps what it holds; beat's next round tries again once it is back
        connector_id = inputs.running[row.transaction_id].connector_id
        return _send(row, chargers[row.charge_point_id], connector_id, phases[row.transaction_id], check_payload)

    sent = [send(row) for row in decreases]
    # Raises wait while any cut is due (sent now, or unsendable: its charger offline) or any profile is on its way.
    if not decreases and not any(row.command_id for row in rows):
        sent += [send(row) for row in increases]
    commands = [command for command in sent if command is not None]
    if commands:
        # One poke for the round's commands (a round may queue hundreds), once they are committed.
        commands_dispatch_on_commit(command_ids=[c.pk for c in commands], not_before=None, poke_here=True)
    return commands


def _send(
    row: LoadAllocation, charge_point: ChargePoint, connector_id: int, phases: int, check_payload: PayloadCheck
) -> Command | None:
    payload = profile_payload(
        connector_id=connector_id,
        limit_a=row.limit_a,
        phases=phases,
        purpose="TxProfile",
        transaction_pk=row.transaction_id,
    )
    try:
        command = command_create(
            charge_point=charge_point,
            action="SetChargingProfile",
            payload=payload,
            check_payload=check_payload,
            requested_via=REQUESTED_VIA,
            expires_at=timezone.now() + PROFILE_EXPIRY,
            dispatch=False,  # the round pokes once for all its commands
        )
    except ValidationError as error:
        logger.warning("load: no profile for %s: %s", charge_point, error.messages)
        return None
    row.command, row.sent_limit_a = command, row.limit_a
    row.save(update_fields=["command", "sent_limit_a"])
    return command


def charger_default_profile_send(
    *, charge_point_pk: int, check_payload: PayloadCheck = profile_problem
) -> Command | None:
    """A charger of a managed site gets the safe TxDefaultProfile (6 A on every connector) when it connects: a
    session it starts draws no more before its own TxProfile arrives, nor after it loses the portal."""
    charge_point = ChargePoint.objects.select_related("site").filter(pk=charge_point_pk).first()
    if charge_point is None or charge_point.site is None:
        return None
    if not site_is_managed(tree=site_tree(root=site_root(site=charge_point.site))):
        return None
    point = LoadPoint.objects.filter(charge_point=charge_point).first()
    payload = profile_payload(
        connector_id=0, limit_a=DEFAULT_LIMIT_A, phases=point.phases if point else 3, purpose="TxDefaultProfile"
    )
    try:
        return command_create(
            charge_point=charge_point,
            action="SetChargingProfile",
            payload=payload,
            check_payload=check_payload,
            requested_via=REQUESTED_VIA,
            expires_at=timezone.now() + PROFILE_EXPIRY,
        )
    except ValidationError as error:
        logger.warning("load: no default profile for %s: %s", charge_point, error.messages)
        return None


def _round_record(*, root: Site, inputs: SiteInputs, limits: dict[int, Decimal]) -> LoadRound | None:
    """Keep the round's figures for the history (a site whose limit is only on its circuits has none to chart)."""
    limit = site_limit_a(site=root)
    if limit is None:
        return None
    building = next(c.building_a for c in inputs.circuits if c.key == root.pk)
    figures = {
        "limit_a": Decimal(str(limit)).quantize(TENTH),
        "measured_a": site_measured_a(site=root, tree=site_tree(root=root)),
        "allocated_a": sum(limits.values(), Decimal("0.0")),
        "building_a": Decimal(str(max(building))).quantize(TENTH) if any(building) else None,
    }
    last = load_round_latest(site=root)
    now = timezone.now()
    recent = last is not None and now - last.at < HISTORY_EVERY
    if recent and all(getattr(last, name) == value for name, value in figures.items()):
        return None
    return LoadRound.objects.create(site=root, at=now, **figures)


def load_history_prune(*, now: datetime | None = None) -> int:
    """Drop the rounds older than settings.LOAD_HISTORY_DAYS and the building readings as old (the allocator only
    reads the latest). Returns the rows deleted."""
    oldest = (now or timezone.now()) - timedelta(days=settings.LOAD_HISTORY_DAYS)
    rounds, _ = LoadRound.objects.filter(at__lt=oldest).delete()
    readings, _ = BuildingReading.objects.filter(measured_at__lt=oldest).delete()
    return rounds + readings


def building_reading_create(
    *,
    site: Site,
    measured_at: datetime,
    current_a: Sequence[Decimal] | None = None,
    power_kw: Decimal | None = None,
) -> BuildingReading:
    """Store a building reading (A on each of three phases, or kW spread evenly over them at the site's nominal
    voltage) and bring a load round for the site's tree once it is committed."""
    if (current_a is None) == (power_kw is None):
        raise ValidationError("Give either current_a (three phases) or power_kw, not both.")
    if current_a is not None:
        if len(current_a) != 3 or any(value < 0 for value in current_a):
            raise ValidationError("current_a: three currents (L1, L2, L3), none below 0 A.")
        phases = [Decimal(value).quantize(TENTH) for value in current_a]
    else:
        if power_kw < 0:
            raise ValidationError("power_kw: at least 0 kW.")
        amps = amps_from_kw(power_kw=float(power_kw), voltage_v=site.nominal_voltage_v)
        phases = [Decimal(str(amps)).quantize(TENTH)] * 3
    if measured_at > timezone.now() + timedelta(seconds=60):
        raise ValidationError("measured_at: in the future (is the meter's clock right?).")
    reading = BuildingReading.objects.create(
        site=site, measured_at=measured_at, l1_a=phases[0], l2_a=phases[1], l3_a=phases[2]
    )
    root_pk = site_root(site=site).pk
    transaction.on_commit(lambda: current_app.send_task(BALANCE_TASK, args=[root_pk]))
    return reading
