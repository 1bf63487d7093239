"""A simulated charger's session, against a real daphne, publishes the charger events (chargers/events.py).

The subscriber must hear them where they are published, in the server process: so the test watches the charger's
channel-layer group (core.event_groups.groups_watch) and reads the messages the server sends it from the real Redis.
"""

import asyncio
import time
import uuid
from decimal import Decimal

import pytest
from channels.layers import get_channel_layer

from alerts.models import Alert
from chargers.services import charge_point_register
from core import event_groups
from tests.simulator import SimulatedCharger, inch_sampled_values, now_iso

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "0123456789abcdef0123456789abcdef01234567"


# The charger page's own events (its message log's tail, its phase charts): not what these tests are about.
PAGE_EVENTS = ("charger.log", "meter_values.phases")


async def _heard(channel: str, until: str, timeout: float = 15.0, ignore: tuple[str, ...] = PAGE_EVENTS) -> list[dict]:
    """Every event the group delivered to `channel`, up to and including the first named `until` (but those
    named in `ignore`)."""
    layer = get_channel_layer(event_groups.EVENTS_LAYER)
    heard: list[dict] = []
    deadline = time.monotonic() + timeout
    while not any(event["event"] == until for event in heard):
        message = await asyncio.wait_for(layer.receive(channel), max(0.1, deadline - time.monotonic()))
        assert message["type"] == "portal.events"
        heard.extend(event for event in message["events"] if event["event"] not in ignore)
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

    # The alerts are raised by the alerts app's subscriber to the status events, in a batch of their own.
    assert [event["event"] for event in heard if event["event"] != "alert.raised"] == [
        "charger.online",
        "charger.status",
        "charger.status",
        "charger.status",
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
    # (its charger_offline alert may come before or after charger.offline: not counted here)
    alerts = [e["data"] for e in heard if e["event"] == "alert.raised" and e["data"]["kind"] == "connector_faulted"]
    assert [(a["kind"], a["connector_id"]) for a in alerts] == [("connector_faulted", 1), ("connector_faulted", 2)]
    assert "GroundFailure" in alerts[0]["message"] and "HighTemperature" in alerts[1]["message"]
    # Raised by the alerts app in the server's process, stored before they were published.
    stored = Alert.objects.filter(charge_point=charger, kind="connector_faulted").order_by("connector_id")
    assert [(a.pk, a.connector_id) for a in stored] == [(alerts[0]["alert_pk"], 1), (alerts[1]["alert_pk"], 2)]


def test_a_watched_chargers_frames_and_phases_reach_only_its_own_group(portal) -> None:
    ident = f"CP-LOG-{uuid.uuid4().hex[:8]}"
    charger = charge_point_register(charge_point_id=ident, auth_key=KEY)
    group = event_groups.charger_group(charger.pk)

    async def scenario() -> tuple[list[dict], list[dict]]:
        layer = get_channel_layer(event_groups.EVENTS_LAYER)
        mine, fleet = await layer.new_channel(), await layer.new_channel()
        await layer.group_add(group, mine)
        await layer.group_add(event_groups.FLEET, fleet)
        event_groups.groups_watch([group, event_groups.FLEET])
        await asyncio.sleep(event_groups.WATCHED_CACHE_S + 0.2)  # the server reads the watched set once a second
        try:
            async with SimulatedCharger(portal.ocpp_url, ident, password=KEY) as sim:
                await sim.boot()
                await sim.call(
                    "MeterValues",
                    {
                        "connectorId": 1,
                        "meterValue": [{"timestamp": now_iso(), "sampledValue": inch_sampled_values(2.0, 2.3)}],
                    },
                )
            return (
                await _heard(mine, until="charger.offline", ignore=()),
                await _heard(fleet, until="charger.offline", ignore=()),
            )
        finally:
            await layer.group_discard(group, mine)
            await layer.group_discard(event_groups.FLEET, fleet)

    heard, fleet_heard = asyncio.run(scenario())

    frames = [(e["data"]["direction"], e["data"]["action"]) for e in heard if e["event"] == "charger.log"]
    assert frames[:4] == [
        ("in", "BootNotification"),
        ("out", "BootNotification"),
        ("in", "MeterValues"),
        ("out", "MeterValues"),
    ]
    boot = next(e["data"] for e in heard if e["event"] == "charger.log")
    assert boot["message_type"] == 2 and '"chargePointVendor": "Etrel"' in boot["text"]
    phases = [e["data"] for e in heard if e["event"] == "meter_values.phases"]
    assert len(phases) == 1 and phases[0]["connector_id"] == 1
    assert set(phases[0]["current_a"]) == {"L1", "L2", "L3"} and phases[0]["voltage_v"].keys() == {"L1"}
    assert Decimal(phases[0]["voltage_v"]["L1"]) == Decimal("230.1")
    # The fleet's feed (every operator's dashboard) carries neither.
    assert not {e["event"] for e in fleet_heard} & {"charger.log", "meter_values.phases"}
    assert "charger.online" in {e["event"] for e in fleet_heard}
