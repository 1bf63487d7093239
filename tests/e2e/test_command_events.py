"""command.finished from the server that made the CALL: a real daphne, a simulated charger over a real websocket,
and the test listening on the charger's channel-layer group as a browser page would (core.event_groups)."""

import asyncio
import time
from datetime import timedelta

import pytest
from channels.layers import get_channel_layer
from django.utils import timezone

from chargers.commands.services import command_create
from chargers.models import CommandStatus
from chargers.ocpp.results import request_problem
from core import event_groups
from tests.e2e.test_remote_commands import KEY, connected, in_thread, new_charger
from tests.simulator import CallErrorReceived, SimulatedCharger

pytestmark = pytest.mark.django_db(transaction=True)


async def listen(charge_point_pk: int) -> str:
    """Join the charger's group and say it is watched; a publishing process reads who watches once a second."""
    group = event_groups.charger_group(charge_point_pk)
    channel = await get_channel_layer(event_groups.EVENTS_LAYER).new_channel()
    await get_channel_layer(event_groups.EVENTS_LAYER).group_add(group, channel)
    await in_thread(event_groups.groups_watch, groups=[group])
    await asyncio.sleep(event_groups.WATCHED_CACHE_S + 0.2)
    return channel


async def finished_events(channel: str, command_pks: set[int], timeout: float = 10) -> dict[int, dict]:
    """The command.finished data of these commands, by command, as they arrive on the group."""
    found: dict[int, dict] = {}
    async with asyncio.timeout(timeout):
        while set(found) != command_pks:
            message = await get_channel_layer(event_groups.EVENTS_LAYER).receive(channel)
            for event in message["events"]:
                if event["event"] == "command.finished" and event["data"]["command_pk"] in command_pks:
                    assert event["data"]["command_pk"] not in found, "published twice"
                    found[event["data"]["command_pk"]] = event["data"]
    return found


def test_each_final_status_the_server_reaches_is_published_to_the_charger_s_group(command_portal, celery_worker):
    charger = new_charger()
    answers = {
        "Reset": {"status": "Accepted"},
        "UnlockConnector": {"status": "UnlockFailed"},
        "ClearCache": CallErrorReceived("NotSupported", "not today", {}),
        "GetLocalListVersion": lambda payload: None,  # never answers: timed out after 2 s
    }
    payloads = {"Reset": {"type": "Soft"}, "UnlockConnector": {"connectorId": 1}}

    async def scenario() -> tuple[dict[int, dict], dict[str, int]]:
        channel = await listen(charger.pk)
        # Queued while the charger is offline and past its time when it connects: the server's claim expires it.
        stale = await in_thread(
            command_create,
            check_payload=request_problem,
            charge_point=charger,
            action="Reset",
            payload={"type": "Hard"},
            expires_at=timezone.now() + timedelta(milliseconds=200),
        )
        await asyncio.sleep(0.4)
        sim = await connected(command_portal, charger)
        sim.answers.update(answers)
        pks = {"expired": stale.pk}
        for action in answers:
            command = await in_thread(
                command_create,
                check_payload=request_problem,
                charge_point=charger,
                action=action,
                payload=payloads.get(action, {}),
            )
            pks[action] = command.pk
        found = await finished_events(channel, set(pks.values()))
        await sim.close()
        return found, pks

    found, pks = asyncio.run(scenario())
    statuses = {name: found[pk]["status"] for name, pk in pks.items()}
    assert statuses == {
        "expired": CommandStatus.EXPIRED,
        "Reset": CommandStatus.ACCEPTED,
        "UnlockConnector": CommandStatus.REJECTED,
        "ClearCache": CommandStatus.FAILED,
        "GetLocalListVersion": CommandStatus.TIMED_OUT,
    }
    assert {(data["charge_point_pk"], data["charge_point_id"]) for data in found.values()} == {
        (charger.pk, charger.charge_point_id)
    }
    assert found[pks["UnlockConnector"]]["action"] == "UnlockConnector"


def test_a_charger_that_hangs_up_mid_call_fails_its_command_and_says_so(command_portal, celery_worker) -> None:
    charger = new_charger()

    async def scenario() -> dict:
        channel = await listen(charger.pk)
        sim = await SimulatedCharger(command_portal.ocpp_url, charger.charge_point_id, password=KEY).connect()
        called = asyncio.Event()
        sim.answers["Reset"] = lambda payload: called.set()
        command = await in_thread(
            command_create,
            check_payload=request_problem,
            charge_point=charger,
            action="Reset",
            payload={"type": "Soft"},
        )
        await asyncio.wait_for(called.wait(), 10)
        started = time.monotonic()
        await sim.close()
        found = await finished_events(channel, {command.pk})
        assert time.monotonic() - started < 2, "failed by the hang-up, not by the 2 s timeout"
        return found[command.pk]

    assert asyncio.run(scenario())["status"] == CommandStatus.FAILED
