"""The load allocator: a pure function from a site's circuits and running sessions to each session's current
limit (A per phase). No database, no clock: the loop (transactions/load/services.py) feeds it and sends what it
returns; the benchmark and the property tests call it directly.

The rules, in order:
1. Admission: sessions are taken by priority (higher first), then by their key (the older session first); one is
   admitted when every admitted session can still have its minimum (the EV's 6 A) within every constraint. The
   others are paused (0 A): a car is never offered less than its minimum, which it would not charge at.
2. Sharing: what is left above the minimums goes to the admitted sessions tier by tier (the highest priority first,
   to its sessions' maximum) and within a tier in equal steps ("water filling") until a constraint binds or each
   session is at its charger's maximum.
3. Constraints: every circuit with a limit, on each of its three phases, holds the sessions of its whole subtree (a
   circuit of a circuit counts in both). A session loads only the phases it uses: a three-phase car all three, a
   one-phase car the one its charger is wired to (`phase`). The measured building load of a circuit (not the
   chargers) is taken off its limit first.
4. Limits go out with one decimal (OCPP 1.6 allows at most one), rounded down so that rounding never adds up to
   more than the limit.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
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

    def uses(self) -> tuple[int, ...]:
        return tuple(PHASES[(self.phase - 1 + i) % 3] for i in range(max(1, min(self.phases, 3))))


@dataclass(slots=True)
class _Constraint:
    capacity: float
    members: set[int] = field(default_factory=set)


def allocate(*, circuits: Sequence[Circuit], sessions: Sequence[Session]) -> dict[int, Decimal]:
    """Each session's limit in A per phase (Decimal with one decimal; 0 means paused)."""
    constraints = _constraints(circuits, sessions)
    ordered = sorted(sessions, key=lambda s: (-s.priority, s.key))
    admitted = _admit(ordered, constraints)
    given = {s.key: s.min_a for s in admitted}
    for tier in _tiers(admitted):
        _fill(tier, given, constraints)
    return {s.key: _tenths_down(given.get(s.key, 0.0)) for s in sessions}


def _constraints(circuits: Sequence[Circuit], sessions: Sequence[Session]) -> list[_Constraint]:
    by_key = {c.key: c for c in circuits}
    constraints: dict[tuple[int, int], _Constraint] = {}
    for circuit in circuits:
        if circuit.limit_a is None:
            continue
        for phase in PHASES:
            capacity = max(0.0, circuit.limit_a - circuit.building_a[phase - 1])
            constraints[(circuit.key, phase)] = _Constraint(capacity)
    for session in sessions:
        for ancestor in _lineage(session.circuit, by_key):
            for phase in session.uses():
                if (ancestor, phase) in constraints:
                    constraints[(ancestor, phase)].members.add(session.key)
    return list(constraints.values())


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


def _fill(tier: list[Session], given: dict[int, float], constraints: list[_Constraint]) -> None:
    """Raise the tier's sessions in equal steps until each is at its maximum or in a constraint that is full."""
    rising = {s.key: s for s in tier if given[s.key] < s.max_a - _EPSILON}
    while rising:
        step = min(s.max_a - given[s.key] for s in rising.values())
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
        rising = {k: s for k, s in rising.items() if k not in full and given[k] < s.max_a - _EPSILON}


def _tenths_down(value: float) -> Decimal:
    # The epsilon keeps 5.9999999999 (a float sum that means 6) from being cut to 5.9, below the car's minimum.
    return Decimal(math.floor(value * 10 + 1e-6)) / 10


def amps_from_kw(*, power_kw: float, voltage_v: float, phases: int = 3) -> float:
    """A limit in kW as A per phase (phase-to-neutral voltage): P = phases * U * I."""
    return power_kw * 1000 / (voltage_v * phases)
