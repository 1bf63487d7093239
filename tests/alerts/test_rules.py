"""Alerts raised and cleared through the real event path: the chargers' and sessions' services publish their
events, the alerts app's subscriber applies the rules (alerts/services/rules.py), and beat's sweep does what
only time tells. The clock of the sweep is passed in, so no test waits for it."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from alerts.events import AlertCleared, AlertRaised
from alerts.models import Alert, AlertKind
from alerts.services import alerts_sweep
from alerts.subscribers import silent_sessions
from chargers.models import ConfigurationKey, RegistrationStatus
from chargers.services import Departure, charge_point_connected, charge_points_disconnected, connector_status_update
from tests.factories import ChargePointFactory, MeterValueFactory, TransactionFactory
from transactions.models import Site
from transactions.readings import Sample
from transactions.services import MeterValuesReport, meter_values_store, transaction_stop

pytestmark = pytest.mark.django_db


def _online(**fields):
    return ChargePointFactory(is_online=True, channel_name=f"specific.{fields.get('charge_point_id', 'x')}", **fields)


def _drop(*chargers) -> None:
    charge_points_disconnected(sessions=[Departure(cp.pk, cp.channel_name, cp.charge_point_id) for cp in chargers])


def _open(kind: str) -> list[Alert]:
    return list(Alert.objects.filter(kind=kind, cleared_at=None))


def test_a_charger_without_a_site_that_drops_is_alerted_and_cleared_when_it_connects_again(
    committed, alert_events
) -> None:
    charger = _online(charge_point_id="CP-GONE")

    with committed():
        _drop(charger)
    [alert] = _open(AlertKind.CHARGER_OFFLINE)
    assert (alert.charge_point_id, alert.message) == (charger.pk, "CP-GONE is offline")
    assert [type(e) for e in alert_events] == [AlertRaised]
    assert (alert_events[0].alert_pk, alert_events[0].charge_point_id) == (alert.pk, "CP-GONE")

    with committed():
        charge_point_connected(charge_point=charger, channel_name="specific.back", remote_addr="10.0.0.1")
    alert.refresh_from_db()
    assert alert.cleared_at is not None
    assert [type(e) for e in alert_events] == [AlertRaised, AlertCleared]


def test_a_pending_charger_coming_and_going_is_no_alert(committed) -> None:
    charger = _online(charge_point_id="CP-PEND", registration_status=RegistrationStatus.PENDING)

    with committed():
        _drop(charger)

    assert not Alert.objects.exists()


@pytest.mark.parametrize(("status", "error_code"), [("Faulted", "NoError"), ("Available", "HighTemperature")])
def test_a_faulted_connector_is_alerted_once_and_cleared_by_a_status_without_fault(
    committed, alert_events, status, error_code
) -> None:
    charger = ChargePointFactory(charge_point_id="CP-FA")
    at = timezone.now()

    def report(status: str, error_code: str, minute: int) -> None:
        connector_status_update(
            charge_point_pk=charger.pk,
            charge_point_id="CP-FA",
            connector_id=2,
            status=status,
            error_code=error_code,
            timestamp=at + timedelta(minutes=minute),
            vendor_error_code="E42",
        )

    with committed():
        report(status, error_code, 0)
        report(status, error_code, 1)  # the same fault again: no second alert
    [alert] = _open(AlertKind.CONNECTOR_FAULTED)
    assert alert.connector_id == 2 and error_code in alert.message and "E42" in alert.message

    with committed():
        report("Available", "NoError", 2)
    assert not _open(AlertKind.CONNECTOR_FAULTED)
    assert [(type(e), e.kind, e.connector_id) for e in alert_events] == [
        (AlertRaised, "connector_faulted", 2),
        (AlertCleared, "connector_faulted", 2),
    ]


def test_a_whole_site_dropping_raises_one_site_alert_and_no_charger_alerts(committed, alert_events) -> None:
    depot = Site.objects.create(name="Depot")
    chargers = [_online(charge_point_id=f"CP-D{n}", site=depot) for n in range(3)]

    with committed():
        for charger in chargers:  # one by one, as three sockets close, each its own batch
            _drop(charger)
    after_the_window = timezone.now() + timedelta(minutes=5)
    with committed():
        alerts_sweep(now=after_the_window)

    [alert] = Alert.objects.all()
    assert (alert.kind, alert.site_id, alert.charge_point_id) == (AlertKind.SITE_OFFLINE, depot.pk, None)
    assert "Depot" in alert.message and "3" in alert.message
    assert [(e.kind, e.site_pk) for e in alert_events] == [("site_offline", depot.pk)]

    with committed():  # one comes back: the site's alert clears, the two still away are alerted each
        charge_point_connected(charge_point=chargers[0], channel_name="specific.back", remote_addr="10.0.0.1")
    with committed():
        alerts_sweep(now=after_the_window)
    assert not _open(AlertKind.SITE_OFFLINE)
    assert sorted(a.charge_point_id for a in _open(AlertKind.CHARGER_OFFLINE)) == [chargers[1].pk, chargers[2].pk]


def test_a_charger_of_a_site_dropping_alone_is_alerted_once_the_window_has_passed(committed, settings) -> None:
    depot = Site.objects.create(name="Depot")
    alone, staying = _online(charge_point_id="CP-A", site=depot), _online(charge_point_id="CP-B", site=depot)

    with committed():
        _drop(alone)
        alerts_sweep(now=timezone.now())
    assert not Alert.objects.exists()  # its site may still follow within the window

    with committed():
        alerts_sweep(now=timezone.now() + timedelta(seconds=settings.ALERTS_SITE_WINDOW_S + 1))
    assert [a.charge_point_id for a in Alert.objects.all()] == [alone.pk]
    assert staying.alerts.count() == 0


def test_a_site_whose_chargers_dropped_far_apart_gets_charger_alerts_not_a_site_alert(committed) -> None:
    depot = Site.objects.create(name="Depot")
    early, late = _online(charge_point_id="CP-E", site=depot), _online(charge_point_id="CP-L", site=depot)
    with committed():
        _drop(early)
    type(early).objects.filter(pk=early.pk).update(disconnected_at=timezone.now() - timedelta(hours=2))
    with committed():
        _drop(late)

    with committed():
        alerts_sweep(now=timezone.now() + timedelta(minutes=5))

    assert sorted(a.charge_point_id for a in Alert.objects.all()) == [early.pk, late.pk]
    assert not _open(AlertKind.SITE_OFFLINE)


def test_a_session_without_meter_values_for_three_of_its_intervals_is_silent_until_a_value_arrives(
    committed, alert_events
) -> None:
    charger = _online(charge_point_id="CP-SIL")
    ConfigurationKey.objects.create(charge_point=charger, key="MeterValueSampleInterval", value="10")
    started = timezone.now() - timedelta(seconds=25)
    session = TransactionFactory(charge_point=charger, start_received_at=started, started_at=started)

    with committed():
        alerts_sweep(now=timezone.now())
    assert not Alert.objects.exists()  # 25 s: within three intervals of 10 s

    with committed():
        alerts_sweep(now=started + timedelta(seconds=31))
    [alert] = _open(AlertKind.SESSION_SILENT)
    assert (alert.transaction_id, alert.charge_point_id, alert.connector_id) == (session.pk, charger.pk, 1)
    assert "expected every 10 s" in alert.message

    silent_sessions.forget()  # this process's copy of the silent sessions, read again at the next batch
    with committed():  # the charger speaks again: its MeterValues frame, stored by the real service
        meter_values_store(reports=[_energy_report(session, Decimal(1500))])
    assert not _open(AlertKind.SESSION_SILENT)
    assert [type(e) for e in alert_events] == [AlertRaised, AlertCleared]


def test_beat_clears_a_silent_alert_whose_session_was_heard_while_no_process_knew_it_was_silent(committed) -> None:
    charger = _online(charge_point_id="CP-SIL2")
    started = timezone.now() - timedelta(minutes=10)
    session = TransactionFactory(charge_point=charger, start_received_at=started, started_at=started)
    with committed():
        alerts_sweep()
    [alert] = _open(AlertKind.SESSION_SILENT)

    MeterValueFactory(transaction=session, received_at=alert.raised_at + timedelta(seconds=1))
    with committed():
        alerts_sweep(now=alert.raised_at + timedelta(seconds=2))

    assert not _open(AlertKind.SESSION_SILENT)


def _energy_report(session, energy_wh: Decimal) -> MeterValuesReport:
    sample = Sample(
        timestamp=timezone.now(),
        measurand="Energy.Active.Import.Register",
        phase="",
        location="Outlet",
        context="Sample.Periodic",
        format="Raw",
        unit="Wh",
        raw_value=str(energy_wh),
        value=energy_wh,
        si_unit="Wh",
    )
    return MeterValuesReport(
        charge_point_pk=session.charge_point_id,
        connector_id=session.connector_id,
        transaction_id=session.pk,
        samples=[sample],
        charge_point_ident=session.charge_point.charge_point_id,
    )


def test_a_charger_that_never_reported_its_interval_is_held_to_the_default_of_sixty_seconds(committed) -> None:
    charger = _online(charge_point_id="CP-DEF")
    ConfigurationKey.objects.create(charge_point=charger, key="MeterValueSampleInterval", value="not a number")
    started = timezone.now()
    TransactionFactory(charge_point=charger, start_received_at=started, started_at=started)

    with committed():
        alerts_sweep(now=started + timedelta(seconds=179))
        assert not Alert.objects.exists()
        alerts_sweep(now=started + timedelta(seconds=181))

    assert len(_open(AlertKind.SESSION_SILENT)) == 1


def test_a_silent_session_that_stops_clears_its_alert(committed) -> None:
    charger = _online(charge_point_id="CP-STOP")
    started = timezone.now() - timedelta(minutes=10)
    session = TransactionFactory(charge_point=charger, start_received_at=started, started_at=started)
    with committed():
        alerts_sweep()
    assert len(_open(AlertKind.SESSION_SILENT)) == 1

    with committed():
        transaction_stop(
            charge_point_pk=charger.pk,
            charge_point_ident=charger.charge_point_id,
            transaction_id=session.pk,
            meter_stop_wh=2000,
            stopped_at=timezone.now(),
        )

    assert not _open(AlertKind.SESSION_SILENT)
