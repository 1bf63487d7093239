"""The load allocator: a pure function from a site's circuits and running sessions to each session's current
limit (A per phase). No database, no clock: the loop (transactions/load/services.py) feeds it and sends what it
returns; the benchmark and the property tests call it directly.

The rules, in order:
1. Admission: sessions are taken by priority (higher first), then by their key (the older session first); one is
   admitted when every admitted session can still have its minimum (the EV's 6 A) within every constraint. The
   others are paused (0 A): a car is never offered less than its minimum, which it would not charge at.
2. Sharing: what is left above the minimums goes first to every admitted session alike up to its connector's
   default (the TxDefaultProfile it falls back to: see default_limits), then tier by tier (the highest priority
   first, to its sessions' maximum) and within a tier in equal steps ("water filling") until a constraint binds or
   each session is at its charger's maximum.
3. Constraints: every circuit with a limit, on each of its three phases, holds the sessions of its whole subtree (a
   circuit of a circuit counts in both). A session loads only the phases it uses: a three-phase car all three, a
   one-phase car the one its charger is wired to (`phase`). The measured building load of a circuit (not the
   chargers) is taken off its limit first, and so are the defaults its idle connectors hold (`reserved_a`).
4. Limits go out with one decimal (OCPP 1.6 allows at most one), rounded down so that rounding never adds up to
   more than the limit.
"""

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

PHASES = (1, 2, 3)
EV_MIN_CURRENT_A = 6.0  # IEC 61851: a car does not charge below 6 A; pause (0 A) instead
# Float sums of tenths are off in the 15th digit: a limit within this of a step counts as reached.
_EPSILON = 1e-9


@dataclass(frozen=True, slots=True)
class Circuit:
    """A site or a circuit inside one: its limit per phase (None: only its parent's limits apply)."""

    key: int
    limit_a: float | None
    parent: int | None = None
    building_a: tuple[float, float, float] = (0.0, 0.0, 0.0)  # measured load that is not ours, per phase
    # The defaults held by the idle connectors of the chargers standing right here (not below): a session may
    # start on any of them at any moment and draw its default before the loop hears of it.
    reserved_a: float = 0.0


@dataclass(frozen=True, slots=True)
class Session:
    """A running session on a charger standing in `circuit`."""

    key: int
    circuit: int
    phases: int = 3
    phase: int = 1  # the first phase it loads (a one-phase charger's wiring)
    priority: int = 0
    min_a: float = EV_MIN_CURRENT_A
    max_a: float = 32.0
    default_a: float = 0.0  # the TxDefaultProfile its connector falls back to when the session stops

    def uses(self) -> tuple[int, ...]:
        return tuple(PHASES[(self.phase - 1 + i) % 3] for i in range(max(1, min(self.phases, 3))))


@dataclass(slots=True)
class _Constraint:
    capacity: float
    members: set[int] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class Charger:
    """A charger standing in `circuit` with its connectors (each may run a session), for its default profile."""

    key: int
    circuit: int
    connectors: int = 1
    max_a: float = 32.0


def default_limits(*, circuits: Sequence[Circuit], chargers: Sequence[Charger]) -> dict[int, Decimal]:
    """Each charger's safe TxDefaultProfile (A per phase, on each of its connectors): along the charger's chain of
    circuits, the smallest of limit / connectors below that circuit, at most the charger's maximum, rounded down to
    a tenth; below the EV's 6 A it is 0 A (a new session waits paused for its TxProfile).

    Why this is safe: in every circuit the defaults of all its connectors add up to at most its limit. The allocator
    takes the defaults of the idle connectors off the limit (`Circuit.reserved_a`: a session may start on any of
    them and draw its default before the loop hears of it) and lifts every session to its default before anything
    else, so a session that stops hands back at least what its connector then falls back to, and a new session
    draws what was reserved for it. So defaults plus TxProfiles stay under each limit at every moment, also while a
    charger is offline or a round is on its way. Not against a rising building load: the defaults are set in
    advance and the building's draw is not taken off them; the allocator cuts the running sessions for it, but a
    session that starts (or stops and starts again) before the next round draws its default, and with the building
    high the chargers' sum may then pass the limit less the building (never the limit itself) until the round's
    cuts arrive. A site with a building load that can take most of its limit wants more chargers per amp (a 0 A
    default) or a building reading with a margin. A circuit's `reserved_a` (the chargers the loop cannot steer, at
    their maximum) is taken off its limit before it is shared."""
    by_key = {c.key: c for c in circuits}
    reserved = _reserved(circuits, by_key)  # what chargers the loop cannot steer may draw (their maximum)
    connectors: dict[int, int] = {}
    for charger in chargers:
        for ancestor in _lineage(charger.circuit, by_key):
            connectors[ancestor] = connectors.get(ancestor, 0) + max(1, charger.connectors)
    defaults = {}
    for charger in chargers:
        chain = [by_key[key] for key in _lineage(charger.circuit, by_key)]
        shares = [(c.limit_a - reserved.get(c.key, 0.0)) / connectors[c.key] for c in chain if c.limit_a is not None]
        limit = _tenths_down(min([charger.max_a, *shares]))
        defaults[charger.key] = limit if limit >= Decimal(str(EV_MIN_CURRENT_A)) else Decimal(0)
    return defaults


def circuits_reserve(
    *,
    circuits: Sequence[Circuit],
    chargers: Sequence[Charger],
    busy: dict[int, int],
    defaults: dict[int, Decimal],
) -> list[Circuit]:
    """The circuits with the defaults their chargers' idle connectors hold reserved (`busy`: charger -> sessions
    running on it; `defaults`: charger -> the default it holds). default_limits says why."""
    reserved: dict[int, float] = {}
    for charger in chargers:
        idle = max(0, charger.connectors - busy.get(charger.key, 0))
        reserved[charger.circuit] = reserved.get(charger.circuit, 0.0) + idle * float(defaults[charger.key])
    return [replace(circuit, reserved_a=reserved.get(circuit.key, 0.0)) for circuit in circuits]


def allocate(*, circuits: Sequence[Circuit], sessions: Sequence[Session]) -> dict[int, Decimal]:
    """Each session's limit in A per phase (Decimal with one decimal; 0 means paused)."""
    constraints = _constraints(circuits, sessions)
    ordered = sorted(sessions, key=lambda s: (-s.priority, s.key))
    admitted = _admit(ordered, constraints)
    given = {s.key: s.min_a for s in admitted}
    # Everyone up to its default first (priorities only above it): a session that stops hands its connector back
    # to its default, which must not be more than the session held (see default_limits).
    _fill(admitted, given, constraints, ceiling=lambda s: min(s.max_a, max(s.min_a, s.default_a)))
    for tier in _tiers(admitted):
        _fill(tier, given, constraints, ceiling=lambda s: s.max_a)
    return {s.key: _tenths_down(given.get(s.key, 0.0)) for s in sessions}


def _constraints(circuits: Sequence[Circuit], sessions: Sequence[Session]) -> list[_Constraint]:
    by_key = {c.key: c for c in circuits}
    reserved = _reserved(circuits, by_key)
    constraints: dict[tuple[int, int], _Constraint] = {}
    for circuit in circuits:
        if circuit.limit_a is None:
            continue
        for phase in PHASES:
            # The reserve conservatively on each of the three phases (a one-phase charger's default loads one).
            capacity = circuit.limit_a - circuit.building_a[phase - 1] - reserved.get(circuit.key, 0.0)
            constraints[(circuit.key, phase)] = _Constraint(max(0.0, capacity))
    for session in sessions:
        for ancestor in _lineage(session.circuit, by_key):
            for phase in session.uses():
                if (ancestor, phase) in constraints:
                    constraints[(ancestor, phase)].members.add(session.key)
    return list(constraints.values())


def _reserved(circuits: Sequence[Circuit], by_key: dict[int, Circuit]) -> dict[int, float]:
    """circuit key -> the defaults reserved in its whole subtree."""
    reserved: dict[int, float] = {}
    for circuit in circuits:
        for ancestor in _lineage(circuit.key, by_key):
            reserved[ancestor] = reserved.get(ancestor, 0.0) + circuit.reserved_a
    return reserved


def _lineage(key: int, by_key: dict[int, Circuit]) -> Iterable[int]:
    seen: set[int] = set()
    while key in by_key and key not in seen:  # `seen`: a parent loop in bad data must not hang the loop
        seen.add(key)
        yield key
        parent = by_key[key].parent
        if parent is None:
            return
        key = parent


def _admit(ordered: Sequence[Session], constraints: list[_Constraint]) -> list[Session]:
    used = [0.0] * len(constraints)
    admitted = []
    for session in ordered:
        if session.max_a + _EPSILON < session.min_a:
            continue  # a charger that cannot give the car its minimum never charges it
        mine = [i for i, c in enumerate(constraints) if session.key in c.members]
        if all(used[i] + session.min_a <= constraints[i].capacity + _EPSILON for i in mine):
            for i in mine:
                used[i] += session.min_a
            admitted.append(session)
    return admitted


def _tiers(admitted: Sequence[Session]) -> list[list[Session]]:
    tiers: dict[int, list[Session]] = {}
    for session in admitted:
        tiers.setdefault(session.priority, []).append(session)
    return [tiers[priority] for priority in sorted(tiers, reverse=True)]


def _fill(
    tier: list[Session], given: dict[int, float], constraints: list[_Constraint], ceiling: Callable[[Session], float]
) -> None:
    """Raise the tier's sessions in equal steps until each is at its ceiling or in a constraint that is full."""
    rising = {s.key: s for s in tier if given[s.key] < ceiling(s) - _EPSILON}
    while rising:
        step = min(ceiling(s) - given[s.key] for s in rising.values())
        full: set[int] = set()
        for constraint in constraints:
            climbing = constraint.members & rising.keys()
            if not climbing:
                continue
            room = constraint.capacity - sum(given.get(k, 0.0) for k in constraint.members)
            share = max(0.0, room) / len(climbing)
            if share <= step:
                step = share
        for key in rising:
            given[key] += step
        for constraint in constraints:
            room = constraint.capacity - sum(given.get(k, 0.0) for k in constraint.members)
            if room <= _EPSILON:
                full |= constraint.members
        rising = {k: s for k, s in rising.items() if k not in full and given[k] < ceiling(s) - _EPSILON}


def _tenths_down(value: float) -> Decimal:
    # The epsilon keeps 5.9999999999 (a float sum that means 6) from being cut to 5.9, below the car's minimum.
    return Decimal(math.floor(value * 10 + 1e-6)) / 10


def amps_from_kw(*, power_kw: float, voltage_v: float, phases: int = 3) -> float:
    """A limit in kW as A per phase (phase-to-neutral voltage): P = phases * U * I."""
    return power_kw * 1000 / (voltage_v * phases)
