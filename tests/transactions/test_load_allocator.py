"""The load allocator's rules (transactions/load/allocator.py), as properties over random sites (hypothesis) and a
few worked cases. Pure functions: no database, no server."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from transactions.load.allocator import EV_MIN_CURRENT_A, PHASES, Circuit, Session, allocate, amps_from_kw

MIN = Decimal(str(EV_MIN_CURRENT_A))


@st.composite
def sites(draw):
    """A site (key 1) with up to three circuits (keys 2-4), some nested, and up to 12 sessions anywhere in it."""
    circuits = [Circuit(1, draw(st.floats(0, 120).map(lambda a: round(a, 1))), None, _building(draw))]
    for key in range(2, 2 + draw(st.integers(0, 3))):
        parent = draw(st.integers(1, key - 1))
        limit = draw(st.none() | st.floats(1, 80).map(lambda a: round(a, 1)))
        circuits.append(Circuit(key, limit, parent, _building(draw)))
    count = draw(st.integers(0, 12))
    sessions = [
        Session(
            key=key,
            circuit=draw(st.sampled_from([c.key for c in circuits])),
            phases=draw(st.sampled_from([1, 3])),
            phase=draw(st.sampled_from(PHASES)),
            priority=draw(st.integers(0, 2)),
            max_a=draw(st.sampled_from([16.0, 32.0, 63.0])),
        )
        for key in range(100, 100 + count)
    ]
    return circuits, sessions


def _building(draw) -> tuple[float, float, float]:
    return tuple(draw(st.sampled_from([0.0, 0.0, 5.5, 40.0])) for _ in PHASES)


def phase_sums(circuits, sessions, limits) -> dict[tuple[int, int], Decimal]:
    """(circuit, phase) -> the sum of the limits of the sessions below that circuit that load that phase."""
    parents = {c.key: c.parent for c in circuits}
    sums: dict[tuple[int, int], Decimal] = {}
    for session in sessions:
        key = session.circuit
        while key is not None:
            for phase in session.uses():
                sums[(key, phase)] = sums.get((key, phase), Decimal(0)) + limits[session.key]
            key = parents[key]
    return sums


@settings(max_examples=150, deadline=None)
@given(sites())
def test_the_sum_on_each_phase_of_each_circuit_never_exceeds_its_limit_less_the_building_load(site) -> None:
    circuits, sessions = site
    limits = allocate(circuits=circuits, sessions=sessions)
    for (key, phase), total in phase_sums(circuits, sessions, limits).items():
        circuit = next(c for c in circuits if c.key == key)
        if circuit.limit_a is not None:
            room = max(Decimal(0), Decimal(str(circuit.limit_a)) - Decimal(str(circuit.building_a[phase - 1])))
            assert total <= room, (key, phase, total, room)


@settings(max_examples=150, deadline=None)
@given(sites())
def test_no_session_gets_a_limit_between_zero_and_six_amps_nor_over_its_charger_s_maximum(site) -> None:
    circuits, sessions = site
    limits = allocate(circuits=circuits, sessions=sessions)
    assert set(limits) == {s.key for s in sessions}
    for session in sessions:
        limit = limits[session.key]
        assert limit == 0 or MIN <= limit <= Decimal(str(session.max_a)), (session, limit)
        assert limit == limit.quantize(Decimal("0.1"))


@settings(max_examples=150, deadline=None)
@given(sites())
def test_nobody_is_paused_when_there_is_room_for_every_session_at_six_amps(site) -> None:
    circuits, sessions = site
    at_minimum = {s.key: MIN for s in sessions}
    fits = all(
        total <= max(Decimal(0), Decimal(str(c.limit_a)) - Decimal(str(c.building_a[phase - 1])))
        for (key, phase), total in phase_sums(circuits, sessions, at_minimum).items()
        for c in circuits
        if c.key == key and c.limit_a is not None
    )
    limits = allocate(circuits=circuits, sessions=sessions)
    if fits:
        assert all(limit >= MIN for limit in limits.values()), limits


def test_three_cars_share_a_20_a_site_equally_and_a_fourth_is_paused_rather_than_given_less_than_six() -> None:
    site = [Circuit(1, 20.0)]
    three = [Session(key=k, circuit=1) for k in (1, 2, 3)]
    assert allocate(circuits=site, sessions=three) == {1: Decimal("6.6"), 2: Decimal("6.6"), 3: Decimal("6.6")}
    four = [*three, Session(key=4, circuit=1)]
    # 4 * 6 A = 24 A > 20 A: the newest waits at 0 A and the three keep their share.
    assert allocate(circuits=site, sessions=four) == {
        1: Decimal("6.6"),
        2: Decimal("6.6"),
        3: Decimal("6.6"),
        4: Decimal(0),
    }


def test_a_higher_priority_session_is_filled_first_and_is_the_last_one_paused() -> None:
    site = [Circuit(1, 40.0)]
    sessions = [Session(key=1, circuit=1), Session(key=2, circuit=1, priority=1, max_a=32.0)]
    assert allocate(circuits=site, sessions=sessions) == {1: Decimal(8), 2: Decimal(32)}
    tight = [Circuit(1, 10.0)]
    assert allocate(circuits=tight, sessions=sessions) == {1: Decimal(0), 2: Decimal(10)}


def test_one_phase_cars_on_different_phases_each_get_the_whole_limit_of_their_phase() -> None:
    site = [Circuit(1, 16.0)]
    sessions = [Session(key=k, circuit=1, phases=1, phase=k) for k in PHASES]
    assert allocate(circuits=site, sessions=sessions) == {1: Decimal(16), 2: Decimal(16), 3: Decimal(16)}
    with_a_three_phase_car = [*sessions, Session(key=9, circuit=1, phases=3)]
    assert allocate(circuits=site, sessions=with_a_three_phase_car) == {k: Decimal(8) for k in (1, 2, 3, 9)}


def test_a_circuit_keeps_its_sessions_within_its_own_limit_and_the_rest_goes_to_the_site() -> None:
    circuits = [Circuit(1, 40.0), Circuit(2, 12.0, parent=1)]
    sessions = [Session(key=1, circuit=2), Session(key=2, circuit=2), Session(key=3, circuit=1)]
    assert allocate(circuits=circuits, sessions=sessions) == {1: Decimal(6), 2: Decimal(6), 3: Decimal(28)}


def test_the_building_load_is_taken_off_the_limit_first() -> None:
    circuits = [Circuit(1, 32.0, building_a=(20.0, 10.0, 10.0))]
    assert allocate(circuits=circuits, sessions=[Session(key=1, circuit=1)]) == {1: Decimal(12)}


def test_a_limit_in_kw_becomes_amps_per_phase_with_the_nominal_voltage() -> None:
    assert round(amps_from_kw(power_kw=22.08, voltage_v=230), 6) == 32.0
    assert round(amps_from_kw(power_kw=7.36, voltage_v=230, phases=1), 6) == 32.0
