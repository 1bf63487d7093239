"""WEB_CONCURRENCY daphne processes on one port (portal/daphne_pool.py): chargers land on each, commands reach each."""

import asyncio
import os
import signal
import time
import uuid

import pytest

from chargers.commands.services import command_batch_create
from chargers.models import ChargePoint
from chargers.ocpp.results import request_problem
from chargers.services import charge_point_register
from portal.daphne_pool import daphne_specs, web_concurrency
from tests.conftest import start_portal
from tests.db import in_db_thread
from tests.e2e.test_remote_commands import KEY, wait_until_final
from tests.simulator import SimulatedCharger


def _new_charger() -> ChargePoint:
    return charge_point_register(charge_point_id=f"POOL-{uuid.uuid4().hex[:8]}", auth_key=KEY)


def test_web_concurrency_defaults_to_the_cores_this_process_may_use_and_refuses_zero() -> None:
    assert web_concurrency({}) == len(os.sched_getaffinity(0))
    assert web_concurrency({"WEB_CONCURRENCY": "3"}) == 3
    try:
        web_concurrency({"WEB_CONCURRENCY": "0"})
    except ValueError as error:
        assert "WEB_CONCURRENCY" in str(error)
    else:
        raise AssertionError("WEB_CONCURRENCY=0 was accepted")


def test_each_daphne_of_the_pool_inherits_the_one_socket_and_keeps_the_daphne_options() -> None:
    specs = daphne_specs(fd=7, count=2, daphne_args=["--proxy-headers", "portal.asgi:application"])
    assert [spec.name for spec in specs] == ["web.1", "web.2"]
    assert all(spec.pass_fds == (7,) for spec in specs)
    assert all(spec.argv[1:5] == ("-m", "portal.daphne_server", "--fd", "7") for spec in specs)
    assert all(spec.argv[-2:] == ("--proxy-headers", "portal.asgi:application") for spec in specs)


def _process_of(charger: ChargePoint) -> str:
    """The process holding a charger's socket: a channel name is `<the process's layer prefix>!<the consumer>`."""
    charger.refresh_from_db()
    return charger.channel_name.split("!")[0]


async def _connect_until_both_processes_hold_chargers(server) -> tuple[list[ChargePoint], list[SimulatedCharger]]:
    # The kernel gives each new connection to whichever process waits in accept() first: which one is not ours
    # to say. Connect until both have taken some (two processes almost always do within a few).
    chargers, sims = [], []
    for _ in range(40):
        charger = await in_db_thread(
            charge_point_register, charge_point_id=f"POOL-{uuid.uuid4().hex[:8]}", auth_key=KEY
        )
        sim = await SimulatedCharger(server.ocpp_url, charger.charge_point_id, password=KEY).connect()
        await sim.boot(vendor="Simulated", model="Reference")
        chargers.append(charger)
        sims.append(sim)
        processes = {await in_db_thread(_process_of, charger) for charger in chargers}
        if len(processes) == 2 and len(chargers) >= 4:
            break
    return chargers, sims


@pytest.mark.django_db(transaction=True)
def test_chargers_land_on_both_processes_of_one_port_commands_reach_each_and_a_killed_one_comes_back(
    celery_worker,
) -> None:
    # One pool for the whole story: starting two daphne processes is the slow part.
    server = start_portal(web_concurrency=2, OCPP_REGISTRATION="accept")
    try:
        processes, calls = asyncio.run(_commands_to_chargers_on_both_processes(server))
        assert len(processes) == 2
        assert calls == [1] * len(calls)
        asyncio.run(_kill_one_process_and_connect_meanwhile(server))
    finally:
        server.stop()


async def _commands_to_chargers_on_both_processes(server) -> tuple[set, list[int]]:
    chargers, sims = await _connect_until_both_processes_hold_chargers(server)
    processes = {await in_db_thread(_process_of, charger) for charger in chargers}
    batch, _ = await in_db_thread(
        command_batch_create,
        check_payload=request_problem,
        charge_points=chargers,
        action="TriggerMessage",
        payload={"requestedMessage": "Heartbeat"},
    )
    for command in await in_db_thread(lambda: list(batch.commands.all())):
        await in_db_thread(wait_until_final, command=command)
    for sim in sims:
        await sim.close()
    return processes, [len(sim.received_calls) for sim in sims]


async def _kill_one_process_and_connect_meanwhile(server) -> None:
    pids = _daphne_pids(server.process.pid)
    assert len(pids) == 2
    os.kill(pids[0], signal.SIGKILL)
    # A charger connects meanwhile: the port never stops taking them.
    late = await in_db_thread(_new_charger)
    sim = await SimulatedCharger(server.ocpp_url, late.charge_point_id, password=KEY).connect()
    assert (await sim.boot(vendor="Simulated", model="Reference"))["status"] == "Accepted"
    await sim.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(_daphne_pids(server.process.pid)) < 2:
        await asyncio.sleep(0.1)
    restarted = _daphne_pids(server.process.pid)
    assert len(restarted) == 2
    assert pids[0] not in restarted


def _daphne_pids(parent: int) -> list[int]:
    """The daphne processes the pool started (its children, as /proc tells)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                is_daphne = b"portal.daphne_server" in cmdline.read()
        except (OSError, IndexError, ValueError):
            continue  # the process ended while we looked
        if ppid == parent and is_daphne:
            pids.append(int(entry))
    return sorted(pids)
