"""Reads for load management: a managed site's tree (the site and its circuits), the allocator's inputs for it,
and the load as the API and the site page show it."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from chargers.models import ChargePoint, ChargerModel, ConfigurationKey
from chargers.profiles.selectors import charge_point_supports_action
from chargers.profiles.vocabulary import Transport
from chargers.selectors import charge_point_list
from transactions.load.allocator import (
    Charger,
    Circuit,
    Session,
    amps_from_kw,
    circuits_reserve,
    default_limits,
)
from transactions.load.models import BuildingReading, LoadAllocation, LoadDefault, LoadPoint, LoadRound
from transactions.models import Transaction
from transactions.sites.models import Site


@dataclass(frozen=True)
class RunningSession:
    """What the loop needs to send a session its limit."""

    transaction_pk: int
    charge_point_pk: int
    connector_id: int
    site_pk: int  # the site or circuit its charger stands in


@dataclass(frozen=True)
class SiteDefaults:
    """The safe TxDefaultProfiles of a site's chargers (A per phase, by charger pk): what they should hold (`planned`,
    allocator.default_limits), what the loop counts them at (`held`: the largest of the plan, the last sent and the
    last accepted), their rows and their phases (for the payload)."""

    planned: dict[int, Decimal]
    held: dict[int, Decimal]
    rows: dict[int, LoadDefault]
    phases: dict[int, int]


@dataclass(frozen=True)
class SiteInputs:
    root: Site
    circuits: list[Circuit]
    sessions: list[Session]
    running: dict[int, RunningSession]  # by transaction pk (the sessions of chargers it steers)
    defaults: SiteDefaults
    unmanaged: dict[int, str]  # charger pk -> why load management cannot steer it
    stack_levels: dict[int, int]  # charger pk -> the highest stack level it takes, where known


@dataclass(frozen=True)
class BuildingLoad:
    """A site's latest building reading (A per phase) and whether it is too old to trust."""

    current_a: tuple[float, float, float]
    measured_at: datetime
    stale: bool


def building_load(*, site: Site, now: datetime | None = None) -> BuildingLoad | None:
    """The latest reading posted for the site or circuit (None: it has none, it is not metered)."""
    reading = BuildingReading.objects.filter(site=site).order_by("-measured_at").first()
    if reading is None:
        return None
    oldest = (now or timezone.now()) - timedelta(seconds=settings.LOAD_BUILDING_MAX_AGE_S)
    current = (float(reading.l1_a), float(reading.l2_a), float(reading.l3_a))
    return BuildingLoad(current, reading.measured_at, reading.measured_at < oldest)


def building_assumed_a(*, building: BuildingLoad | None, limit_a: float | None) -> tuple[float, float, float]:
    """What the allocator takes off a circuit's limit for its building, per phase. Fail safe: a metered circuit
    whose reading went stale (the integrator's feed died) is assumed to be fully used by the building, so its
    sessions pause rather than risk the fuse; they resume with the next fresh reading. An unmetered one: nothing."""
    if building is None:
        return (0.0, 0.0, 0.0)
    if building.stale:
        return (limit_a or 0.0,) * 3
    return building.current_a


def site_limit_a(*, site: Site) -> float | None:
    """A site's limit in A per phase: given in A, or its kW as three phases at its nominal voltage (both given:
    the smaller)."""
    limits = []
    if site.grid_limit_a is not None:
        limits.append(float(site.grid_limit_a))
    if site.grid_limit_kw is not None:
        limits.append(amps_from_kw(power_kw=float(site.grid_limit_kw), voltage_v=site.nominal_voltage_v))
    return min(limits) if limits else None


def site_root(*, site: Site) -> Site:
    """The top site above a circuit (a circuit's sessions are balanced with its whole site)."""
    seen = {site.pk}
    while site.parent_id is not None and site.parent_id not in seen:
        seen.add(site.parent_id)
        site = Site.objects.get(pk=site.parent_id)
    return site


def site_tree(*, root: Site) -> list[Site]:
    """The site and every circuit below it, breadth first (one query per level)."""
    tree, level = [root], [root.pk]
    while level:
        below = list(Site.objects.filter(parent_id__in=level).exclude(pk__in=[s.pk for s in tree]))
        tree += below
        level = [s.pk for s in below]
    return tree


def site_is_managed(*, tree: Iterable[Site]) -> bool:
    return any(site_limit_a(site=site) is not None for site in tree)


def site_inputs(*, root: Site, tree: list[Site] | None = None) -> SiteInputs:
    """The allocator's inputs for a site: its circuits with their limits (less the defaults its idle connectors
    hold, and what the chargers it cannot steer may draw), the sessions it steers, and its chargers' defaults
    (`tree`: the site's, when the caller has read it)."""
    tree = tree if tree is not None else site_tree(root=root)
    chargers = site_chargers(tree=tree)
    capacities = profile_capacities(charge_point_pks=[c.key for c in chargers])
    unmanaged = {c.key: why for c in chargers if (why := unmanageable(capacity=capacities[c.key], charger=c))}
    rows = Transaction.objects.filter(stopped_at__isnull=True, charge_point__site__in=tree).values_list(
        "pk", "charge_point_id", "connector_id", "charge_point__site_id"
    )
    running = {pk: RunningSession(pk, cp, c, site) for pk, cp, c, site in rows if cp not in unmanaged}
    points = {p.charge_point_id: p for p in LoadPoint.objects.filter(charge_point_id__in=[c.key for c in chargers])}
    circuits = [_circuit(site, root) for site in tree]
    defaults = _defaults(circuits, chargers, points, unmanaged)
    busy: dict[int, int] = {}
    for session in running.values():
        busy[session.charge_point_pk] = busy.get(session.charge_point_pk, 0) + 1
    # A charger the loop cannot steer counts at its maximum on every connector, busy or not.
    circuits = circuits_reserve(circuits=circuits, chargers=chargers, busy=busy, defaults=defaults.held)
    sessions = [
        _session(session, points.get(session.charge_point_pk), defaults.held.get(session.charge_point_pk))
        for session in running.values()
    ]
    stack_levels = {pk: c.max_stack_level for pk, c in capacities.items() if c.max_stack_level is not None}
    return SiteInputs(root, circuits, sessions, running, defaults, unmanaged, stack_levels)


def site_chargers(*, tree: list[Site]) -> list[Charger]:
    """The chargers standing in the tree with their connectors (1 until a charger reports any: one that has more
    reports them in its StatusNotifications at boot, and the next round counts them) and their maximum."""
    rows = (
        ChargePoint.objects.filter(site__in=tree)
        .annotate(outlets=Count("connectors", filter=Q(connectors__connector_id__gte=1)))
        .values_list("pk", "site_id", "outlets", "load_point__max_current_a")
    )
    return [
        Charger(pk, site, max(1, outlets), float(max_a) if max_a is not None else 32.0)
        for pk, site, outlets, max_a in rows
    ]


def _defaults(
    circuits: list[Circuit], chargers: list[Charger], points: dict[int, LoadPoint], unmanaged: dict[int, str]
) -> SiteDefaults:
    steered = [c for c in chargers if c.key not in unmanaged]
    at_most = {c.key: Decimal(str(c.max_a)) for c in chargers if c.key in unmanaged}
    fixed = circuits_reserve(
        circuits=circuits, chargers=[c for c in chargers if c.key in unmanaged], busy={}, defaults=at_most
    )
    planned = default_limits(circuits=fixed, chargers=steered)
    rows = {row.charge_point_id: row for row in LoadDefault.objects.filter(charge_point_id__in=list(planned))}
    # The plan counts at once, a default on its way or refused until it is answered: the larger of all (a raise
    # goes out only after the TxProfiles made room for it, a cut counts only once the charger took it).
    held = {pk: max(limit, rows[pk].held_a) if pk in rows else limit for pk, limit in planned.items()}
    phases = {pk: points[pk].phases if pk in points else 3 for pk in planned}
    return SiteDefaults(planned, {**held, **at_most}, rows, phases)


# The keys a charger reports its profile capacity in (OCPP 1.6, 9.4 Smart Charging configuration keys).
MAX_STACK_LEVEL_KEY = "ChargingProfileMaxStackLevel"
MAX_INSTALLED_KEY = "MaxChargingProfilesInstalled"


@dataclass(frozen=True)
class ProfileCapacity:
    """A charger's charging-profile capacity: its configuration keys as the portal last read them, else its model
    profile's answers; None: not known (the loop then assumes what it needs: stack level 1, and room for a
    default and a TxProfile per connector)."""

    max_stack_level: int | None = None
    max_installed: int | None = None
    refused: str = ""  # why its model profile says it takes no SetChargingProfile at all


def profile_capacities(*, charge_point_pks: list[int]) -> dict[int, ProfileCapacity]:
    """charger pk -> its capacity, in three queries for any number of chargers (beat's round asks for every
    charger of the site: plain values, and each model profile read once)."""
    keys: dict[tuple[int, str], int] = {}
    configured = ConfigurationKey.objects.filter(
        charge_point_id__in=charge_point_pks, key__in=[MAX_STACK_LEVEL_KEY, MAX_INSTALLED_KEY]
    ).values_list("charge_point_id", "key", "value")
    for pk, key, value in configured:
        if value.strip().isdigit():  # a value the charger reported garbled counts as not known
            keys[(pk, key)] = int(value)
    rows = list(ChargePoint.objects.filter(pk__in=charge_point_pks).values_list("pk", "transport", "charger_model_id"))
    models = ChargerModel.objects.in_bulk({model_pk for _, _, model_pk in rows if model_pk is not None})
    refusals: dict[tuple[int, str], str] = {}
    capacities = {}
    for pk, transport, model_pk in rows:
        model = models.get(model_pk)
        refused = ""
        if model is not None and not model.supports("SetChargingProfile", transport or Transport.OCPP16_JSON):
            if (model_pk, transport) not in refusals:  # the reason depends on the model and transport only
                charger = ChargePoint.objects.select_related("charger_model").get(pk=pk)
                refusals[(model_pk, transport)] = charge_point_supports_action(
                    charge_point=charger, action="SetChargingProfile"
                )[1]
            refused = refusals[(model_pk, transport)]
        capacities[pk] = ProfileCapacity(
            keys.get((pk, MAX_STACK_LEVEL_KEY), model.charging_profile_max_stack_level if model else None),
            keys.get((pk, MAX_INSTALLED_KEY), model.max_charging_profiles_installed if model else None),
            refused,
        )
    return capacities


def unmanageable(*, capacity: ProfileCapacity, charger: Charger) -> str:
    """Why load management cannot steer the charger ("" when it can): it must hold the default and a TxProfile
    on each connector."""
    if capacity.refused:
        return f"{capacity.refused}; counted at its maximum current"
    needed = 1 + charger.connectors
    if capacity.max_installed is not None and capacity.max_installed < needed:
        return (
            f"{MAX_INSTALLED_KEY} is {capacity.max_installed}: load management needs {needed} (a default and a "
            "TxProfile per connector); counted at its maximum current"
        )
    return ""


def _circuit(site: Site, root: Site) -> Circuit:
    limit = site_limit_a(site=site)
    building = building_assumed_a(building=building_load(site=site), limit_a=limit)
    return Circuit(site.pk, limit, site.parent_id if site.pk != root.pk else None, building)


def _session(running: RunningSession, point: LoadPoint | None, default_a: Decimal | None) -> Session:
    default = float(default_a or 0)
    if point is None:
        return Session(key=running.transaction_pk, circuit=running.site_pk, default_a=default)
    return Session(
        key=running.transaction_pk,
        circuit=running.site_pk,
        phases=point.phases,
        phase=point.phase,
        priority=point.priority,
        max_a=float(point.max_current_a),
        default_a=default,
    )


def managed_site_pks() -> list[int]:
    """The top sites with a limit somewhere in their tree and a session running below them (beat's round)."""
    busy = Transaction.objects.filter(stopped_at__isnull=True, charge_point__site__isnull=False)
    roots: dict[int, Site] = {}
    for site in Site.objects.filter(pk__in=busy.values("charge_point__site_id")).distinct():
        root = site_root(site=site)
        roots[root.pk] = root
    return [pk for pk, root in roots.items() if site_is_managed(tree=site_tree(root=root))]


def site_of_charger(*, charge_point_pk: int) -> Site | None:
    site_pk = ChargePoint.objects.filter(pk=charge_point_pk).values_list("site_id", flat=True).first()
    return Site.objects.get(pk=site_pk) if site_pk is not None else None


@dataclass(frozen=True)
class SiteLoad:
    limit_a: Decimal | None
    measured_a: Decimal | None
    allocations: list[dict]
    building: BuildingLoad | None = None
    unmanaged: list[dict] = field(default_factory=list)  # the chargers it cannot steer, and why

    @property
    def allocated_a(self) -> Decimal:
        return sum((a["limit_a"] for a in self.allocations), Decimal("0.0"))


def site_load(*, site: Site) -> SiteLoad:
    """A site's load as the API shows it, in A per phase: its limit, the current its chargers draw (their live
    power as three balanced phases at the nominal voltage; None when none reports power) and each running
    session's share."""
    tree = site_tree(root=site)
    limit = site_limit_a(site=site)
    measured = site_measured_a(site=site, tree=tree)
    rows = (
        LoadAllocation.objects.filter(transaction__charge_point__site__in=tree, transaction__stopped_at__isnull=True)
        .select_related("charge_point")
        .order_by("transaction_id")
    )
    allocations = [
        {
            "charge_point_id": row.charge_point.charge_point_id,
            "transaction_id": row.transaction_id,
            "limit_a": row.limit_a,
            "sent_limit_a": row.sent_limit_a,
            "accepted_limit_a": row.accepted_limit_a,
        }
        for row in rows
    ]
    limit_a = Decimal(str(round(limit, 1))) if limit is not None else None
    return SiteLoad(limit_a, measured, allocations, building_load(site=site), site_unmanaged(tree=tree))


def site_unmanaged(*, tree: list[Site]) -> list[dict]:
    chargers = site_chargers(tree=tree)
    capacities = profile_capacities(charge_point_pks=[c.key for c in chargers])
    reasons = {c.key: why for c in chargers if (why := unmanageable(capacity=capacities[c.key], charger=c))}
    names = dict(ChargePoint.objects.filter(pk__in=list(reasons)).values_list("pk", "charge_point_id"))
    return [{"charge_point_id": names[pk], "reason": why} for pk, why in sorted(reasons.items())]


def site_measured_a(*, site: Site, tree: list[Site]) -> Decimal | None:
    """The current the site's chargers draw: their live power as three balanced phases at the nominal voltage
    (None when none reports power)."""
    powers = [
        cp.live_power_w for cp in charge_point_list().filter(site__in=tree).only("pk") if cp.live_power_w is not None
    ]
    if not powers:
        return None
    return (Decimal(sum(powers)) / (3 * site.nominal_voltage_v)).quantize(Decimal("0.1"))


HISTORY_FIELDS = ("at", "limit_a", "measured_a", "allocated_a", "building_a")  # the API's and the chart's columns
HISTORY_MAX_ROWS = 5000  # a day of one row a minute, three times over: enough for the chart's hours


def load_history(*, site: Site, since: datetime) -> list[dict]:
    """The site's rounds since `since`, oldest first (at most HISTORY_MAX_ROWS, the newest of them)."""
    rows = LoadRound.objects.filter(site=site, at__gte=since).order_by("-at").values(*HISTORY_FIELDS)
    return list(reversed(rows[:HISTORY_MAX_ROWS]))


def load_round_latest(*, site: Site) -> LoadRound | None:
    return LoadRound.objects.filter(site=site).order_by("-at").first()


def defaults_stranded() -> list[LoadDefault]:
    """The default profiles of ours held by chargers no longer on a managed site (moved elsewhere or off every site,
    their site's limits removed). Per distinct site, not per charger: beat asks every few seconds."""
    site_pks = set(LoadDefault.objects.values_list("charge_point__site_id", flat=True).distinct())
    unmanaged = [
        site.pk
        for site in Site.objects.filter(pk__in=site_pks - {None})
        if not site_is_managed(tree=site_tree(root=site_root(site=site)))
    ]
    # Only the stranded rows are read whole: on a fleet that stays put, none.
    stranded = Q(charge_point__site__isnull=True) | Q(charge_point__site_id__in=unmanaged)
    return list(LoadDefault.objects.select_related("charge_point").filter(stranded))
