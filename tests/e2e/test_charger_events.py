"""A simulated charger's session, against a real daphne, publishes the charger events (chargers/events.py).

The subscriber must hear them where they are published, in the server process: so the test watches the charger's
channel-layer group (core.event_groups.groups_watch) and reads the messages the server sends it from the real Redis.
"""

import asyncio
import time
import uuid

import pytest
from channels.layers import get_channel_layer

from chargers.services import charge_point_register
from core import event_groups
from tests.simulator import SimulatedCharger

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "0123456789abcdef0123456789abcdef01234567"


async def _heard(channel: str, until: str, timeout: float = 15.0) -> list[dict]:
    """Every event the group delivered to `channel`, up to and including the first named `until`."""
    layer = get_channel_layer(event_groups.EVENTS_LAYER)
    heard: list[dict] = []
    deadline = time.monotonic() + timeout
    while not any(event["event"] == until for event in heard):
        message = await asyncio.wait_for(layer.receive(channel), max(0.1, deadline - time.monotonic()))
        assert message["type"] == "portal.events"
        heard.extend(message["events"])
    return heard


def test_a_charger_session_publishes_online_status_changes_faults_and_offline(portal) -> None:
    ident = f"CP-EV-{uuid.uuid4().hex[:8]}"
    charger = charge_point_register(charge_point_id=ident, auth_key=KEY)
    group = event_groups.charger_group(charger.pk)

    async def scenario() -> list[dict]:
        layer = get_channel_layer(event_groups.EVENTS_LAYER)
        channel = await layer.new_channel()
        await layer.group_add(group, channel)
        event_groups.groups_watch([group])
        await asyncio.sleep(event_groups.WATCHED_CACHE_S + 0.2)  # the server reads the watched set once a second
        try:
            async with SimulatedCharger(portal.ocpp_url, ident, password=KEY) as sim:
                await sim.boot()
                await sim.status(1, "Available")
                await sim.status(1, "Available")  # no change: no event
                await sim.status(1, "Faulted", error_code="GroundFailure", vendorErrorCode="E42")
                await sim.status(2, "Available", error_code="HighTemperature")
            return await _heard(channel, until="charger.offline")
        finally:
            await layer.group_discard(group, channel)

    heard = asyncio.run(scenario())

    assert [event["event"] for event in heard] == [
        "charger.online",
        "charger.status",
        "charger.status",
        "alert.raised",
        "charger.status",
        "alert.raised",
        "charger.offline",
    ]
    assert {event["data"]["charge_point_id"] for event in heard} == {ident}
    assert {event["data"]["charge_point_pk"] for event in heard} == {charger.pk}
    statuses = [event["data"] for event in heard if event["event"] == "charger.status"]
    assert [(s["connector_id"], s["status"], s["error_code"]) for s in statuses] == [
        (1, "Available", "NoError"),
        (1, "Faulted", "GroundFailure"),
        (2, "Available", "HighTemperature"),
    ]
    assert statuses[1]["vendor_error_code"] == "E42"
    alerts = [event["data"] for event in heard if event["event"] == "alert.raised"]
    assert [(a["kind"], a["connector_id"]) for a in alerts] == [("connector_fault", 1), ("connector_fault", 2)]
    assert "GroundFailure" in alerts[0]["message"] and "HighTemperature" in alerts[1]["message"]
