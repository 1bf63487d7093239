"""The safe TxDefaultProfile (transactions/load/allocator.py default_limits, transactions/load/defaults.py): as a
property over random sites (what every connector may hold at any moment stays under each limit) and on the
database (planned, re-planned when the site changes, lowered before raised)."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chargers.charging.models import ChargingProfile
from chargers.charging.selectors import profiles_of_charge_point
from chargers.models import Command, CommandStatus
from tests.factories import ChargePointFactory, ConnectorFactory, TransactionFactory
from transactions.load.allocator import (
    PHASES,
    Charger,
    Circuit,
    Session,
    allocate,
    circuits_reserve,
    default_limits,
)
from transactions.load.models import LoadDefault
from transactions.load.services import load_defaults_release, site_load_balance
from transactions.models import Site
from transactions.sites import services as sites_services
from transactions.sites.services import site_save


@st.composite
def fleets(draw):
    """A site (key 1) with up to three circuits, up to 10 chargers of one or two connectors, some sessions running
    with random priorities and phases; no building load."""
    circuits = [Circuit(1, draw(st.floats(6, 120).map(lambda a: round(a, 1))))]
    for key in range(2, 2 + draw(st.integers(0, 3))):
        limit = draw(st.none() | st.floats(6, 80).map(lambda a: round(a, 1)))
        circuits.append(Circuit(key, limit, draw(st.integers(1, key - 1))))
    chargers = [
        Charger(
            key,
            draw(st.sampled_from([c.key for c in circuits])),
            draw(st.integers(1, 2)),
            draw(st.sampled_from([16.0, 32.0])),
        )
        for key in range(10, 10 + draw(st.integers(1, 10)))
    ]
    sessions = []
    for charger in chargers:
        for connector in range(draw(st.integers(0, charger.connectors))):
            sessions.append(
                (
                    charger,
                    connector,
                    draw(st.integers(0, 2)),
                    draw(st.sampled_from([1, 3])),
                    draw(st.sampled_from(PHASES)),
                )
            )
    return circuits, chargers, sessions


def _subtree(circuits: list[Circuit], key: int) -> set[int]:
    below, grew = {key}, True
    while grew:
        more = {c.key for c in circuits if c.parent in below} - below
        below, grew = below | more, bool(more)
    return below


@settings(max_examples=300, deadline=None)
@given(fleets())
def test_what_every_connector_may_hold_at_any_moment_never_adds_up_to_more_than_a_limit(fleet) -> None:
    circuits, chargers, running = fleet
    defaults = default_limits(circuits=circuits, chargers=chargers)
    busy: dict[int, int] = {}
    sessions = []
    for index, (charger, _connector, priority, phases, phase) in enumerate(running):
        busy[charger.key] = busy.get(charger.key, 0) + 1
        sessions.append(
            Session(
                key=index,
                circuit=charger.circuit,
                phases=phases,
                phase=phase,
                priority=priority,
                max_a=charger.max_a,
                default_a=float(defaults[charger.key]),
            )
        )
    reserved = circuits_reserve(circuits=circuits, chargers=chargers, busy=busy, defaults=defaults)
    shares = allocate(circuits=reserved, sessions=sessions)
    for circuit in circuits:
        if circuit.limit_a is None:
            continue
        below = _subtree(circuits, circuit.key)
        mine = [c for c in chargers if c.circuit in below]
        assert sum(defaults[c.key] * c.connectors for c in mine) <= Decimal(str(circuit.limit_a))
        # A running session holds its share, or its default once it stops and another starts before the next
        # round; an idle connector its default (counted on every phase): on each phase, each at most the larger.
        idle = sum(defaults[c.key] * (c.connectors - busy.get(c.key, 0)) for c in mine)
        worst = idle + max(
            sum(
                max(shares[s.key], defaults[running[s.key][0].key])
                for s in sessions
                if s.circuit in below and phase in s.uses()
            )
            for phase in PHASES
        )
        assert worst <= Decimal(str(circuit.limit_a)) + Decimal("0.0001"), (circuit, worst)


def test_a_charger_s_default_is_the_smallest_share_along_its_circuits_and_0_a_below_6_a() -> None:
    circuits = [Circuit(1, 63.0), Circuit(2, 20.0, 1)]
    chargers = [Charger(1, 1), Charger(2, 2), Charger(3, 2, connectors=2), Charger(4, 1, max_a=10.0)]
    # Site: 63 A / 5 connectors = 12.6 A; circuit 2: 20 A / 3 connectors = 6.6 A; charger 4 at its 10 A maximum.
    assert default_limits(circuits=circuits, chargers=chargers) == {
        1: Decimal("12.6"),
        2: Decimal("6.6"),
        3: Decimal("6.6"),
        4: Decimal(10),
    }
    fleet = [Charger(key, 1) for key in range(20)]
    assert set(default_limits(circuits=[Circuit(1, 63.0)], chargers=fleet).values()) == {Decimal(0)}


def test_a_lone_session_gets_the_limit_less_the_defaults_the_idle_connectors_hold() -> None:
    circuits = [Circuit(1, 20.0)]
    chargers = [Charger(1, 1), Charger(2, 1)]
    defaults = default_limits(circuits=circuits, chargers=chargers)
    reserved = circuits_reserve(circuits=circuits, chargers=chargers, busy={1: 1}, defaults=defaults)
    assert allocate(circuits=reserved, sessions=[Session(key=7, circuit=1, default_a=10.0)]) == {7: Decimal(10)}


def test_a_high_priority_session_takes_only_what_is_left_above_the_others_defaults() -> None:
    sessions = [Session(key=1, circuit=1, priority=5, default_a=10.0), Session(key=2, circuit=1, default_a=10.0)]
    assert allocate(circuits=[Circuit(1, 25.0)], sessions=sessions) == {1: Decimal(15), 2: Decimal(10)}


def _defaults_sent(commands: list[Command]) -> dict[int, float]:
    return {
        c.charge_point_id: c.payload["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"]
        for c in commands
        if c.payload["csChargingProfiles"]["chargingProfilePurpose"] == "TxDefaultProfile"
    }


def _answer(commands: list[Command]) -> None:
    Command.objects.filter(pk__in=[c.pk for c in commands]).update(status=CommandStatus.ACCEPTED)


@pytest.mark.django_db
def test_a_site_s_round_plans_the_defaults_and_sends_them_again_when_the_limit_or_the_chargers_change() -> None:
    site = Site.objects.create(name="Depot", grid_limit_a=Decimal(40))
    two_outlets = ChargePointFactory(site=site, is_online=True)
    ConnectorFactory(charge_point=two_outlets, connector_id=1)
    ConnectorFactory(charge_point=two_outlets, connector_id=2)
    one = ChargePointFactory(site=site, is_online=True)
    offline = ChargePointFactory(site=site, is_online=False)
    first = site_load_balance(site=site)  # 40 A / 4 connectors; the offline one gets its default on connecting
    assert _defaults_sent(first) == {two_outlets.pk: 10.0, one.pk: 10.0}
    assert first[0].payload["connectorId"] == 0
    _answer(first)
    assert site_load_balance(site=site) == []  # nothing moved: nothing sent
    site_save(site=site, name=site.name, grid_limit_a=Decimal(32), charge_points=[two_outlets, one, offline])
    lowered = site_load_balance(site=site)  # 32 A / 4 = 8 A
    assert _defaults_sent(lowered) == {two_outlets.pk: 8.0, one.pk: 8.0}
    assert LoadDefault.objects.get(charge_point=one).held_a == Decimal(10)  # until the charger takes the cut
    _answer(lowered)
    site_save(site=site, name=site.name, grid_limit_a=Decimal(32), charge_points=[two_outlets, one])
    raised = site_load_balance(site=site)  # the offline one left: 32 A / 3 = 10.6 A
    assert _defaults_sent(raised) == {two_outlets.pk: 10.6, one.pk: 10.6}
    _answer(raised)
    row = LoadDefault.objects.get(charge_point=one)
    site_load_balance(site=site)
    row.refresh_from_db()
    assert (row.sent_limit_a, row.accepted_limit_a, row.command_id) == (Decimal("10.6"), Decimal("10.6"), None)


@pytest.mark.django_db
def test_a_raised_default_waits_while_a_cut_is_on_its_way() -> None:
    site = Site.objects.create(name="Depot", grid_limit_a=Decimal(24))
    chargers = [ChargePointFactory(site=site, is_online=True) for _ in range(3)]
    _answer(site_load_balance(site=site))  # 8 A each
    running = TransactionFactory(charge_point=chargers[0])
    _answer(site_load_balance(site=site))  # the session: 24 A less the two idle defaults = 8 A
    Site.objects.filter(pk=site.pk).update(grid_limit_a=Decimal(30))  # 10 A defaults, a 10 A share: all raises
    raised = site_load_balance(site=site)
    assert _defaults_sent(raised) == {c.pk: 10.0 for c in chargers}
    assert raised[0].payload["csChargingProfiles"]["transactionId"] == running.pk
    _answer(raised)
    Site.objects.filter(pk=site.pk).update(grid_limit_a=Decimal(24))  # all cuts: they go out together
    cut = site_load_balance(site=site)
    assert len(cut) == 4
    Site.objects.filter(pk=site.pk).update(grid_limit_a=Decimal(36))  # raises, but the cuts are not answered yet
    assert site_load_balance(site=site) == []


@pytest.mark.django_db
def test_what_load_management_sends_is_kept_as_the_charger_s_charging_profiles_one_row_per_connector_and_purpose():
    site = Site.objects.create(name="Depot", grid_limit_a=Decimal(20))
    charger = ChargePointFactory(site=site, is_online=True)
    running = TransactionFactory(charge_point=charger)
    first = site_load_balance(site=site)
    _answer(first)
    rows = {p.purpose: p for p in profiles_of_charge_point(charge_point=charger)}
    assert set(rows) == {"TxDefaultProfile", "TxProfile"}
    tx = rows["TxProfile"]
    assert (tx.source, tx.connector_id, tx.transaction_id, tx.stack_level) == ("load", 1, running.pk, 1)
    assert tx.periods == [{"startPeriod": 0, "limit": 20.0, "numberPhases": 3}]
    sent = {c.pk: c.payload["csChargingProfiles"]["chargingProfileId"] for c in first}
    assert (
        sent[tx.set_command_id] == tx.pk
        and sent[rows["TxDefaultProfile"].set_command_id] == rows["TxDefaultProfile"].pk
    )
    Site.objects.filter(pk=site.pk).update(grid_limit_a=Decimal(16))
    cut = site_load_balance(site=site)
    tx.refresh_from_db()
    assert tx.periods[0]["limit"] == 16.0 and tx.set_command_id in {c.pk for c in cut}
    assert ChargingProfile.objects.filter(charge_point=charger).count() == 2  # updated in place, not added


@pytest.mark.django_db
def test_saving_a_site_queues_a_round_for_it_and_for_the_site_its_chargers_left(
    django_capture_on_commit_callbacks, monkeypatch
) -> None:
    queued = []
    monkeypatch.setattr(
        sites_services, "current_app", SimpleNamespace(send_task=lambda name, args: queued.append(args))
    )
    old, new = Site.objects.create(name="Old"), Site.objects.create(name="New")
    charger = ChargePointFactory(site=old)
    with django_capture_on_commit_callbacks(execute=True):
        site_save(site=new, name="New", grid_limit_a=Decimal(32), charge_points=[charger])
    assert sorted(queued) == sorted([[old.pk], [new.pk]])


@pytest.mark.django_db
def test_a_charger_moved_off_a_managed_site_gets_its_default_cleared_and_one_that_stays_keeps_it() -> None:
    site = Site.objects.create(name="Depot", grid_limit_a=Decimal(24))
    unmanaged = Site.objects.create(name="Office")
    moved, staying = (ChargePointFactory(site=site, is_online=True) for _ in range(2))
    _answer(site_load_balance(site=site))
    default_of_moved = ChargingProfile.objects.get(charge_point=moved, purpose="TxDefaultProfile")
    assert load_defaults_release() == []  # both still stand on the managed site
    type(moved).objects.filter(pk=moved.pk).update(site=unmanaged)
    (cleared,) = load_defaults_release()
    assert (cleared.charge_point_id, cleared.action, cleared.payload) == (
        moved.pk,
        "ClearChargingProfile",
        {"id": default_of_moved.pk},
    )
    assert not LoadDefault.objects.filter(charge_point=moved).exists()
    assert not ChargingProfile.objects.filter(charge_point=moved, source="load").exists()
    assert LoadDefault.objects.filter(charge_point=staying).exists()
    assert load_defaults_release() == []  # taken back once
