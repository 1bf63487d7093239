"""Sessions connect in batches (chargers/services/sessions.py charge_points_connected): each gets what it would
have got connecting alone, in order, and the batch costs its queries and its charger.online subscribers once."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chargers.events import ChargerOnline
from chargers.models import ChargePoint, Command
from chargers.services import Arrival, Connected, charge_point_connected, charge_points_connected
from core import events
from tests.factories import ChargePointFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def online_batches():
    heard: list[list[events.Event]] = []
    unsubscribe = events.subscribe(lambda batch: heard.append(list(batch)), names=[ChargerOnline.name])
    yield heard
    unsubscribe()


def _arrival(charger, channel: str, addr: str = "10.0.0.1") -> Arrival:
    return Arrival(charger.pk, channel, charger.charge_point_id, addr)


def test_each_session_of_a_batch_learns_whom_it_replaced_and_whether_commands_wait() -> None:
    fresh = ChargePointFactory(is_online=False)
    held = ChargePointFactory(is_online=True, channel_name="specific.held")
    waiting = ChargePointFactory(is_online=False)
    Command.objects.create(charge_point=waiting, action="Reset", payload={"type": "Soft"})

    found = charge_points_connected(
        sessions=[_arrival(held, "specific.h"), _arrival(fresh, "specific.f"), _arrival(waiting, "specific.w")]
    )

    assert found == [Connected("specific.held", False), Connected("", False), Connected("", True)]
    channels = dict(ChargePoint.objects.values_list("pk", "channel_name"))
    assert (channels[held.pk], channels[fresh.pk], channels[waiting.pk]) == ("specific.h", "specific.f", "specific.w")


def test_a_charger_twice_in_a_batch_is_held_by_its_later_session_which_replaces_the_earlier() -> None:
    charger = ChargePointFactory(is_online=True, channel_name="specific.stored")
    Command.objects.create(charge_point=charger, action="Reset", payload={"type": "Soft"})
    other = ChargePointFactory(is_online=False)

    found = charge_points_connected(
        sessions=[
            _arrival(charger, "specific.first", "10.0.0.1"),
            _arrival(other, "specific.other"),
            _arrival(charger, "specific.second", "10.0.0.2"),
            _arrival(charger, "specific.third", "10.0.0.3"),
        ]
    )

    # As if they had connected in turn; only the session that keeps the charger takes its queued commands.
    assert found == [
        Connected("specific.stored", False),
        Connected("", False),
        Connected("specific.first", False),
        Connected("specific.second", True),
    ]
    charger.refresh_from_db()
    assert (charger.channel_name, charger.remote_addr, charger.is_online) == ("specific.third", "10.0.0.3", True)


def test_a_batch_publishes_one_charger_online_per_charger_with_its_newest_address(
    online_batches, django_capture_on_commit_callbacks
) -> None:
    twice = ChargePointFactory(charge_point_id="CP-TWICE", is_online=False)
    once = ChargePointFactory(charge_point_id="CP-ONCE", is_online=False)

    with django_capture_on_commit_callbacks(execute=True):
        charge_points_connected(
            sessions=[
                _arrival(twice, "specific.a", "10.0.0.1"),
                _arrival(once, "specific.b", "10.0.0.2"),
                _arrival(twice, "specific.c", "10.0.0.3"),
                Arrival(987654, "specific.deleted", "CP-DELETED", ""),
            ]
        )

    assert len(online_batches) == 1
    assert sorted(online_batches[0], key=lambda e: e.charge_point_id) == [
        ChargerOnline(charge_point_pk=once.pk, charge_point_id="CP-ONCE", remote_addr="10.0.0.2"),
        ChargerOnline(charge_point_pk=twice.pk, charge_point_id="CP-TWICE", remote_addr="10.0.0.3"),
    ]


def test_reconnecting_with_the_channel_that_holds_the_charger_replaces_nobody() -> None:
    charger = ChargePointFactory(is_online=True, channel_name="specific.same")

    assert charge_point_connected(charge_point=charger, channel_name="specific.same", remote_addr="") == Connected(
        "", False
    )


def test_a_batch_of_connects_costs_the_same_queries_whatever_its_size_subscribers_included(
    django_capture_on_commit_callbacks,
) -> None:
    """Every in-process charger.online subscriber (alerts, local lists, load management) reads once per batch."""
    chargers = [ChargePointFactory(is_online=False) for _ in range(21)]

    def queries(batch: list) -> list[str]:
        with CaptureQueriesContext(connection) as done, django_capture_on_commit_callbacks(execute=True):
            charge_points_connected(sessions=[_arrival(cp, f"specific.{cp.pk}") for cp in batch])
        return [query["sql"][:80] for query in done.captured_queries]

    one, twenty = queries(chargers[:1]), queries(chargers[1:])

    assert len(one) == len(twenty), twenty
    assert set(ChargePoint.objects.values_list("is_online", flat=True)) == {True}
