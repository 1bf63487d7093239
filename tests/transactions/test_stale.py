"""Stuck ("zombie") sessions: found for each reason, and closed by an operator with the energy of the last
meter reading, the reason recorded and transaction.stopped published."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core import events
from tests.factories import ChargePointFactory, ConnectorFactory, TransactionFactory
from tests.transactions.records import full_operator, reading, viewer
from transactions.selectors.stale import stale_sessions
from transactions.services import transaction_close_stale

pytestmark = pytest.mark.django_db


def reasons_of(session) -> list[str]:
    found = {stale.transaction.pk: stale.reasons for stale in stale_sessions()}
    return found.get(session.pk, [])


def lively(hours_ago: float = 1):
    """A session that looks alive: started a while ago, a reading a minute ago."""
    now = timezone.now()
    session = TransactionFactory(started_at=now - timedelta(hours=hours_ago))
    reading(session, now - timedelta(minutes=1), "Energy.Active.Import.Register", "1500", "Wh")
    return session


def test_a_session_with_a_recent_reading_is_not_stuck() -> None:
    session = lively()
    ConnectorFactory(charge_point=session.charge_point, status="Charging", status_timestamp=session.started_at)
    assert reasons_of(session) == []


def test_a_session_open_longer_than_plausible_is_stuck() -> None:
    session = lively(hours_ago=49)
    assert reasons_of(session) == ["open longer than 48 h"]


def test_a_session_whose_charger_booted_since_is_stuck_and_suggests_reboot() -> None:
    session = lively()
    session.charge_point.last_boot_at = timezone.now() - timedelta(minutes=30)
    session.charge_point.save()
    [stale] = stale_sessions()
    assert stale.reasons[0].startswith("the charger booted since")
    assert stale.suggested_stop_reason == "Reboot"


@pytest.mark.parametrize("status", ["Available", "Faulted"])
def test_a_session_whose_connector_reported_free_since_is_stuck(status) -> None:
    session = lively()
    ConnectorFactory(
        charge_point=session.charge_point, status=status, status_timestamp=timezone.now() - timedelta(minutes=5)
    )
    other = lively()  # an Available status from before its start says nothing
    ConnectorFactory(
        charge_point=other.charge_point, status="Available", status_timestamp=other.started_at - timedelta(1)
    )
    assert reasons_of(session) == [f"connector 1 reported {status} since"]
    assert reasons_of(other) == []


def test_a_session_silent_for_hours_is_stuck_with_or_without_readings() -> None:
    now = timezone.now()
    quiet = TransactionFactory(started_at=now - timedelta(hours=10))
    reading(quiet, now - timedelta(hours=5), "Energy.Active.Import.Register", "1500", "Wh")
    never = TransactionFactory(started_at=now - timedelta(hours=4))
    assert reasons_of(quiet) == ["no meter values for 5 h"]
    assert reasons_of(never) == ["no meter values for 4 h"]


def test_an_ended_session_is_never_stuck() -> None:
    TransactionFactory(started_at=timezone.now() - timedelta(days=5), stopped_at=timezone.now(), meter_stop_wh=2000)
    assert stale_sessions() == []


def test_closing_takes_the_last_register_reading_and_publishes_the_stop(django_capture_on_commit_callbacks) -> None:
    now = timezone.now()
    session = TransactionFactory(started_at=now - timedelta(hours=60), meter_start_wh=1000)
    last_at = now - timedelta(hours=50)
    reading(session, last_at - timedelta(minutes=1), "Energy.Active.Import.Register", "7000", "Wh")
    reading(session, last_at, "Energy.Active.Import.Register", "7400", "Wh")
    reading(session, last_at, "Energy.Active.Import.Register", "2000", "Wh", phase="L1")  # one phase's, not the meter
    reading(session, last_at + timedelta(seconds=1), "Power.Active.Import", "7000", "W")
    operator = full_operator()
    heard = []
    unsubscribe = events.subscribe(heard.extend, names=["transaction.stopped"])
    try:
        with django_capture_on_commit_callbacks(execute=True):
            closed = transaction_close_stale(
                transaction_pk=session.pk, reason="PowerLoss", note="site blackout", closed_by=operator
            )
    finally:
        unsubscribe()
    closed.refresh_from_db()
    assert (closed.meter_stop_wh, closed.energy_wh, closed.stopped_at) == (7400, 6400, last_at)
    assert (closed.stop_reason, closed.close_note, closed.closed_by) == ("PowerLoss", "site blackout", operator)
    [event] = heard
    assert (event.transaction_pk, event.meter_stop_wh, event.energy_wh, event.reason) == (
        session.pk,
        7400,
        6400,
        "PowerLoss",
    )
    assert stale_sessions() == []


def test_closing_a_session_without_readings_charges_nothing() -> None:
    session = TransactionFactory(started_at=timezone.now() - timedelta(hours=5), meter_start_wh=3210)
    closed = transaction_close_stale(transaction_pk=session.pk, reason="Other")
    assert (closed.meter_stop_wh, closed.energy_wh, closed.stopped_at) == (3210, 0, session.started_at)


def test_closing_an_ended_session_or_with_a_made_up_reason_is_refused_and_changes_nothing() -> None:
    ended = TransactionFactory(stopped_at=timezone.now(), meter_stop_wh=1500, stop_reason="Local")
    running = TransactionFactory()
    with pytest.raises(ValidationError, match="already stopped"):
        transaction_close_stale(transaction_pk=ended.pk, reason="Other")
    with pytest.raises(ValidationError, match="Not an OCPP stop reason"):
        transaction_close_stale(transaction_pk=running.pk, reason="Because")
    ended.refresh_from_db()
    running.refresh_from_db()
    assert (ended.meter_stop_wh, ended.stop_reason, running.stopped_at) == (1500, "Local", None)


def test_an_operator_closes_a_stuck_session_from_its_page(client) -> None:
    session = TransactionFactory(
        charge_point=ChargePointFactory(), started_at=timezone.now() - timedelta(hours=50), meter_start_wh=100
    )
    reading(session, timezone.now() - timedelta(hours=49), "Energy.Active.Import.Register", "900", "Wh")
    client.force_login(full_operator())
    page = client.get("/transactions/stale/").content.decode()
    assert f'id="tx-{session.pk}"' in page and "open longer than 48 h" in page
    response = client.post(f"/transactions/{session.pk}/close/", {"reason": "Other", "note": "stuck"})
    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.meter_stop_wh, session.stop_reason, session.close_note) == (900, "Other", "stuck")
    again = client.post(f"/transactions/{session.pk}/close/", {"reason": "Other"}, follow=True).content.decode()
    assert "already stopped" in again


def test_a_viewer_sees_stuck_sessions_but_may_not_close_one(client) -> None:
    session = TransactionFactory(started_at=timezone.now() - timedelta(hours=50))
    client.force_login(viewer())
    page = client.get("/transactions/stale/").content.decode()
    assert f'id="tx-{session.pk}"' in page and "<form" not in page.split("<main", 1)[1]
    assert client.post(f"/transactions/{session.pk}/close/", {"reason": "Other"}).status_code == 403
    session.refresh_from_db()
    assert session.stopped_at is None
