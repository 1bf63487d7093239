"""The load loop's writes: share a site's limit among its running sessions (the allocator), keep each session's
share (LoadAllocation) and send the chargers the changes as TxProfiles through the command pipeline, which keeps
to one outstanding CALL per charger; and keep each charger's safe TxDefaultProfile (defaults.py) in step with its
site: on connecting, and whenever a limit, the chargers or their connectors change (the same round, one poke).

Lower before raising: the decreases (TxProfiles and defaults) go out first; an increase waits until no TxProfile of
the site is on its way (the answers bring a new round: transactions/load/subscribers.py), so the sum in force never
passes the limit because one charger heard its raise before another heard its cut.
"""

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from celery import current_app
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from chargers.commands.dispatch import commands_dispatch_on_commit
from chargers.commands.services import PayloadCheck
from chargers.models import ChargePoint, Command, CommandStatus
from chargers.profiles.vocabulary import LoadRole
from transactions.load.allocator import allocate, amps_from_kw
from transactions.load.defaults import (
    LoadProfiles,
    default_send,
    defaults_due,
    defaults_release,
    defaults_resend,
    defaults_settle,
    profile_problem,
)
from transactions.load.models import BuildingReading, LoadAllocation, LoadRound
from transactions.load.selectors import (
    SiteInputs,
    defaults_stranded,
    load_round_latest,
    site_inputs,
    site_is_managed,
    site_limit_a,
    site_measured_a,
    site_root,
    site_tree,
)
from transactions.readings import Sample
from transactions.sites.models import Site

logger = logging.getLogger(__name__)

THRESHOLD_A = Decimal(1)  # a raise of this or less is not worth a CALL (a cut always is)
# By name: the tasks module is an edge this layer may not import (.importlinter); the worker runs it anyway.
BALANCE_TASK = "transactions.load.tasks.site_load_balance"
# History: a round is written when a figure moved, else once in this time (beat's rounds every few seconds on a
# quiet site would write the same row over and over).
HISTORY_EVERY = timedelta(seconds=60)
TENTH = Decimal("0.1")


def site_load_balance(
    *, site: Site, resend_defaults_to: Collection[int] = (), check_payload: PayloadCheck = profile_problem
) -> list[Command]:
    """One round for the site (a circuit: its whole site): allocate, store the shares, send what changed (the
    TxProfiles, and the defaults whose plan moved or whose charger is in `resend_defaults_to`).
    Returns the commands queued."""
    root = site_root(site=site)
    with transaction.atomic():
        # Two rounds of one site (an event's and beat's) wait for each other: neither sends what the other did.
        # Read afresh under the lock: the caller's row may be older than the limit an operator just set.
        root = Site.objects.select_for_update().get(pk=root.pk)
        tree = site_tree(root=root)
        if not site_is_managed(tree=tree):
            LoadAllocation.objects.filter(site=root).delete()
            return []
        defaults_settle(charge_point_pks=ChargePoint.objects.filter(site__in=tree).values_list("pk", flat=True))
        inputs = site_inputs(root=root, tree=tree)
        limits = allocate(circuits=inputs.circuits, sessions=inputs.sessions)
        rows = _allocations_store(root=root, inputs=inputs, limits=limits)
        _round_record(root=root, inputs=inputs, limits=limits)
        return _changes_send(rows=rows, inputs=inputs, resend=set(resend_defaults_to), check_payload=check_payload)


def load_defaults_release(*, check_payload: PayloadCheck = profile_problem) -> list[Command]:
    """Clear the defaults of the chargers that left load management (beat's round); one poke for them all."""
    with transaction.atomic():
        commands = defaults_release(rows=defaults_stranded(), check_payload=check_payload)
        if commands:
            commands_dispatch_on_commit(command_ids=[c.pk for c in commands], not_before=None, poke_here=True)
    return commands


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


def _in_force(row: LoadAllocation, inputs: SiteInputs) -> Decimal:
    """What the session may draw now: its last TxProfile, else its charger's default (the figure the allocator
    reserved for it)."""
    if row.sent_limit_a is not None:
        return row.sent_limit_a
    # A charger not in the site's list (moved between two reads of this round): as if paused, so that its first
    # profile counts as a raise and waits for the cuts.
    return inputs.defaults.held.get(row.charge_point_id, Decimal(0))


def _needs_sending(row: LoadAllocation) -> bool:
    if row.command is not None:
        return False  # its last profile is on its way: one change in flight per session
    if row.sent_limit_a is None:
        return True
    in_force = row.sent_limit_a
    # A cut goes out however small: the others' shares count on it (ten skipped cuts of 0.7 A are 7 A over the
    # limit). A raise goes out when it is worth a CALL, or when it resumes a paused session.
    return row.limit_a < in_force or row.limit_a - in_force > THRESHOLD_A or (in_force == 0 < row.limit_a)


def _changes_send(
    *, rows: list[LoadAllocation], inputs: SiteInputs, resend: set[int], check_payload: PayloadCheck
) -> list[Command]:
    chargers = ChargePoint.objects.in_bulk(
        {row.charge_point_id for row in rows} | set(inputs.defaults.planned) | set(inputs.unmanaged)
    )
    due = [row for row in rows if _needs_sending(row)]
    # A first profile at or below the default is no raise: it may go with the decreases.
    decreases = [row for row in due if row.limit_a <= _in_force(row, inputs)]
    increases = [row for row in due if row.limit_a > _in_force(row, inputs)]
    for pk in resend & set(inputs.unmanaged):  # said once a connect, not every round
        logger.warning("load: %s cannot be managed: %s", chargers.get(pk) or pk, inputs.unmanaged[pk])
    resend = defaults_resend(defaults=inputs.defaults, chargers=chargers, connected=resend)
    lowered, raised = defaults_due(defaults=inputs.defaults, resend=resend)
    phases = {session.key: session.phases for session in inputs.sessions}
    # The rows of only the chargers that may be sent something this round (a quiet round reads none).
    touched = {row.charge_point_id for row in decreases + increases} | set(lowered) | set(raised)
    sender = _Sender(inputs, chargers, LoadProfiles.of(charge_point_pks=touched), check_payload, phases)
    sent = [sender.tx(row) for row in decreases] + [sender.default(pk) for pk in lowered]
    # Raises wait while any cut is due (sent now, or unsendable: its charger offline) or any profile is on its way.
    if not decreases and not any(row.command_id for row in rows):
        sent += [sender.tx(row) for row in increases] + [sender.default(pk) for pk in raised]
    sender.profiles.save()
    commands = [command for command in sent if command is not None]
    if commands:
        # One poke for the round's commands (a round may queue hundreds), once they are committed.
        commands_dispatch_on_commit(command_ids=[c.pk for c in commands], not_before=None, poke_here=True)
    return commands


@dataclass
class _Sender:
    """Queues a round's profiles to the chargers that are online (one offline keeps what it holds; beat's next
    round, or its connecting, brings them)."""

    inputs: SiteInputs
    chargers: dict[int, ChargePoint]
    profiles: LoadProfiles
    check_payload: PayloadCheck
    phases: dict[int, int]  # transaction pk -> the phases its car uses

    def tx(self, row: LoadAllocation) -> Command | None:
        if not self.chargers[row.charge_point_id].is_online:
            return None
        command = self.profiles.queue(
            charge_point=self.chargers[row.charge_point_id],
            connector_id=self.inputs.running[row.transaction_id].connector_id,
            limit_a=row.limit_a,
            phases=self.phases[row.transaction_id],
            purpose="TxProfile",
            check_payload=self.check_payload,
            transaction_pk=row.transaction_id,
            max_stack_level=self.inputs.stack_levels.get(row.charge_point_id),
        )
        if command is not None:
            row.command, row.sent_limit_a = command, row.limit_a
            row.save(update_fields=["command", "sent_limit_a"])
        return command

    def default(self, pk: int) -> Command | None:
        if not self.chargers[pk].is_online:
            return None
        return default_send(
            charge_point=self.chargers[pk], defaults=self.inputs.defaults, profiles=self.profiles,
            check_payload=self.check_payload,
        )  # fmt: skip


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


@dataclass(frozen=True)
class MeteredLoad:
    """Sampled values a charger sent that its model profile takes for the building's draw (`role` "building": of
    the charger's site) or its circuit's ("cluster": of the circuit it stands in); read by the MeterValues handler
    from its cached profile traits, stored in a group commit (chargers/ocpp/writers.py)."""

    charge_point_pk: int
    role: str
    samples: tuple[Sample, ...]


_PHASE_INDEX = {"L1": 0, "L2": 1, "L3": 2}


def building_readings_from_meters(*, loads: Sequence[MeteredLoad]) -> list[BuildingReading]:
    """Store the loads the chargers metered as BuildingReadings (each charger's newest moment) and bring one round
    per site. One query for the chargers' sites and one for the sites, whatever the batch. A "cluster" value of a
    charger that stands in the site itself is not stored: which circuit it measures is not known."""
    charger_sites = dict(
        ChargePoint.objects.filter(pk__in={load.charge_point_pk for load in loads}, site__isnull=False).values_list(
            "pk", "site_id"
        )
    )
    sites = Site.objects.in_bulk(set(charger_sites.values()))
    readings, roots = [], set()
    for load in loads:
        site = sites.get(charger_sites.get(load.charge_point_pk))
        if site is None or (load.role == LoadRole.CLUSTER and site.parent_id is None):
            continue
        target = site_root(site=site) if load.role == LoadRole.BUILDING else site
        newest = max(sample.timestamp for sample in load.samples)
        phases = _phases_a([s for s in load.samples if s.timestamp == newest], target.nominal_voltage_v)
        if phases is None:
            continue
        readings.append(
            BuildingReading(site=target, measured_at=newest, l1_a=phases[0], l2_a=phases[1], l3_a=phases[2])
        )
        roots.add(site_root(site=target).pk)
    BuildingReading.objects.bulk_create(readings)
    transaction.on_commit(lambda: [current_app.send_task(BALANCE_TASK, args=[pk]) for pk in sorted(roots)])
    return readings


def _phases_a(samples: Sequence[Sample], voltage_v: int) -> list[Decimal] | None:
    """A per phase from A (a phase's, or each phase's when none is named) or W (a phase's, or the total over three
    phases when none is named). A phase not reported counts as the largest reported (a fuse on the safe side);
    a negative value (a building that feeds in) as 0. None when no value is in A or W."""
    named: dict[int, float] = {}
    each: list[float] = []
    for sample in samples:
        if sample.value is None or sample.si_unit not in ("A", "W"):
            continue
        amps = max(0.0, float(sample.value)) / (voltage_v if sample.si_unit == "W" else 1)
        index = _PHASE_INDEX.get(sample.phase[:2])
        if index is not None:
            named[index] = max(named.get(index, 0.0), amps)
        else:
            each.append(amps / 3 if sample.si_unit == "W" else amps)
    if not named and not each:
        return None
    largest = max([*named.values(), *each])
    return [Decimal(str(named.get(i, max(each) if each else largest))).quantize(TENTH) for i in range(3)]
