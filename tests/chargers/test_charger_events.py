"""The charge point services publish the charger events once their writes commit (core/events.py)."""

from datetime import UTC, datetime

import pytest

from chargers.events import EVENT_TYPES, ChargerOffline, ChargerOnline, ConnectorStatusChanged
from chargers.services import Departure, charge_point_connected, charge_points_disconnected, connector_status_update
from core import events
from tests.factories import ChargePointFactory

pytestmark = pytest.mark.django_db

AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def batches():
    heard: list[list[events.Event]] = []
    # The chargers' own events: the alerts app answers some of them with events of its own (tests/alerts/).
    unsubscribe = events.subscribe(lambda batch: heard.append(list(batch)), names=[e.name for e in EVENT_TYPES])
    yield heard
    unsubscribe()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the callbacks registered on commit when the block ends (the test's transaction never commits)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_a_session_that_connects_publishes_its_charger_online(batches, committed) -> None:
    charger = ChargePointFactory(charge_point_id="CP-ON")

    with committed():
        charge_point_connected(charge_point=charger, channel_name="specific.a", remote_addr="10.0.0.9")

    assert batches == [[ChargerOnline(charge_point_pk=charger.pk, charge_point_id="CP-ON", remote_addr="10.0.0.9")]]


def test_a_batch_of_disconnects_publishes_once_for_the_chargers_it_really_marked_offline(batches, committed) -> None:
    gone = [ChargePointFactory(is_online=True, channel_name=f"specific.{n}") for n in range(3)]
    replaced = ChargePointFactory(is_online=True, channel_name="specific.newer")

    with committed():
        marked = charge_points_disconnected(
            sessions=[Departure(cp.pk, f"specific.{n}", cp.charge_point_id) for n, cp in enumerate(gone)]
            + [Departure(replaced.pk, "specific.older", replaced.charge_point_id)]
        )

    assert marked == 3
    assert len(batches) == 1
    assert sorted(batches[0], key=lambda e: e.charge_point_pk) == [
        ChargerOffline(charge_point_pk=cp.pk, charge_point_id=cp.charge_point_id) for cp in gone
    ]


def test_a_disconnect_of_a_replaced_session_publishes_nothing(batches, committed) -> None:
    charger = ChargePointFactory(is_online=True, channel_name="specific.newer")

    with committed():
        charge_points_disconnected(sessions=[Departure(charger.pk, "specific.older", charger.charge_point_id)])

    assert batches == []


def _status(charger, status: str, error_code: str = "NoError", at: datetime = AT, connector_id: int = 1):
    return connector_status_update(
        charge_point_pk=charger.pk,
        charge_point_id=charger.charge_point_id,
        connector_id=connector_id,
        status=status,
        error_code=error_code,
        timestamp=at,
    )


def test_a_status_change_is_published_and_a_repeat_or_a_late_notification_is_not(batches, committed) -> None:
    charger = ChargePointFactory(charge_point_id="CP-ST")

    with committed():
        _status(charger, "Available")
        _status(charger, "Available", at=AT.replace(minute=1))
        _status(charger, "Charging", at=AT.replace(minute=2))
        _status(charger, "Finishing", at=AT.replace(second=30))  # older than what the connector holds: ignored

    assert [[(e.name, e.status) for e in batch] for batch in batches] == [
        [("charger.status", "Available")],
        [("charger.status", "Charging")],
    ]
    assert batches[1][0] == ConnectorStatusChanged(
        charge_point_pk=charger.pk,
        charge_point_id="CP-ST",
        connector_id=1,
        status="Charging",
        error_code="NoError",
        timestamp=AT.replace(minute=2),
    )
