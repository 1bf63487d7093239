"""Faults while StartTransaction and StopTransaction are in flight (issue 15, item 4): each charger runs short
sessions back to back (Start, Stop, Start, ...), and the fault strikes as half of them send a Start and the other
half a Stop. A charger sends
again whatever went unanswered, as a real one does (tests/faults.py): the same StartTransaction (connector,
idTag, meterStart, timestamp) must be recognised as the transaction already stored, the same StopTransaction
must close it once. Afterwards every session exists exactly once, closed with its meterStop, and every
transactionId a charger was ever given is a stored row of that charger with that meterStart: no acceptance
without a stored row.

Each test prints one line of figures (`FAULTS | ...`) for the README's fault table.
"""

import asyncio
import json
import os
import signal
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import free_port, start_portal
from tests.db import in_db_thread
from tests.e2e.test_faults import ID_TAG, OUTAGE_S, numbered, portal_behind_a_cuttable_proxy
from tests.faults import NumberedCharger, iso
from transactions.models import Transaction

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

CHARGERS = 4
SESSIONS = 6  # per charger
PACE_S = 0.1  # between two frames of one charger: the sessions last about as long as the fault
STOPPED_AFTER_WH = 500


def start_payload(charger: NumberedCharger, session: int) -> dict:
    """The `session`th StartTransaction, the same each time it is sent: what makes a resend recognisable."""
    started = charger.started + timedelta(minutes=session)
    return {"connectorId": 1, "idTag": ID_TAG, "meterStart": session * 1000, "timestamp": iso(started)}


@dataclass
class Lineup:
    """Where the chargers wait for the fault: half of them just before a StartTransaction, half just before a
    StopTransaction (of their second session), so that both are in flight when it strikes."""

    chargers: list[NumberedCharger]
    go: asyncio.Event = field(default_factory=asyncio.Event)
    waiting: int = 0

    async def wait(self, charger: NumberedCharger, session: int, action: str) -> None:
        role = "StartTransaction" if self.chargers.index(charger) % 2 == 0 else "StopTransaction"
        if session == 1 and action == role:
            self.waiting += 1
            await self.go.wait()


async def sessions_back_to_back(charger: NumberedCharger, given: list[tuple[int, int]], lineup: Lineup) -> None:
    """Start and stop SESSIONS sessions; `given` collects (transactionId, meterStart) of every answer."""
    await charger.call("BootNotification", {"chargePointVendor": "Etrel", "chargePointModel": "G-HB1V5CY20-A14"})
    for session in range(SESSIONS):
        start = start_payload(charger, session)
        await lineup.wait(charger, session, "StartTransaction")
        transaction_id = (await charger.call("StartTransaction", start))["transactionId"]
        given.append((transaction_id, start["meterStart"]))
        await asyncio.sleep(PACE_S)
        stop = {
            "transactionId": transaction_id,
            "meterStop": start["meterStart"] + STOPPED_AFTER_WH,
            "timestamp": iso(charger.started + timedelta(minutes=session, seconds=30)),
        }
        await lineup.wait(charger, session, "StopTransaction")
        await charger.call("StopTransaction", stop)
        await asyncio.sleep(PACE_S)
    await charger.close()


async def start_stop_with_a_fault(
    chargers: list[NumberedCharger], fault: Callable[[Callable[[], None]], Awaitable[None]]
) -> dict:
    """Run the sessions; once every charger waits in the lineup, `fault` strikes and releases them (calling the
    function it is given) where it wants them to send. Returns the frames in flight while the fault lasted (by
    action, once per charger) and the transaction ids given."""
    given: dict[str, list[tuple[int, int]]] = {c.charge_point_id: [] for c in chargers}
    lineup = Lineup(chargers)
    seen: set[tuple[str, str]] = set()

    async def watch() -> None:
        while True:
            seen.update((c.charge_point_id, c.in_flight) for c in chargers if c.in_flight)
            await asyncio.sleep(0.005)

    async def strike() -> None:
        while lineup.waiting < len(chargers):
            await asyncio.sleep(0.01)
        watcher = asyncio.create_task(watch())
        try:
            await fault(lineup.go.set)
        finally:
            lineup.go.set()
            watcher.cancel()

    await asyncio.gather(strike(), *(sessions_back_to_back(c, given[c.charge_point_id], lineup) for c in chargers))
    return {"in flight": Counter(action for _, action in seen), "given": given}


def counted(chargers: list[NumberedCharger], given: dict[str, list[tuple[int, int]]]) -> dict:
    """From the database: sessions lost or stored twice, stops that did not land, and transaction ids given to
    a charger that are not its stored row with that meterStart."""
    lost = doubled = unclosed = unstored = 0
    for charger in chargers:
        rows = list(Transaction.objects.filter(charge_point__charge_point_id=charger.charge_point_id))
        starts = Counter(row.meter_start_wh for row in rows)
        expected = {session * 1000 for session in range(SESSIONS)}
        lost += len(expected - set(starts))
        doubled += sum(count - 1 for count in starts.values()) + len(set(starts) - expected)
        unclosed += sum(1 for row in rows if row.meter_stop_wh != row.meter_start_wh + STOPPED_AFTER_WH)
        stored = {row.pk: row.meter_start_wh for row in rows}
        unstored += sum(1 for pk, meter_start in given[charger.charge_point_id] if stored.get(pk) != meter_start)
    return {"lost": lost, "doubled": doubled, "unclosed": unclosed, "accepted unstored": unstored}


def report(fault: str, chargers: list[NumberedCharger], figures: dict, in_flight: Counter) -> None:
    recovery = max(c.recovery_s() for c in chargers)
    failures = Counter(f for c in chargers for f in c.failures)
    print(
        f"\nFAULTS | {fault} | sessions {CHARGERS * SESSIONS} ({CHARGERS} chargers back to back), in flight at the "
        f"fault {dict(in_flight)} | lost {figures['lost']} | doubled {figures['doubled']} | unclosed "
        f"{figures['unclosed']} | accepted unstored {figures['accepted unstored']} | retries "
        f"{sum(c.retries for c in chargers)} | recovery {recovery:.1f} s | failures {dict(failures)}"
    )


NOTHING_WRONG = {"lost": 0, "doubled": 0, "unclosed": 0, "accepted unstored": 0}


def test_a_daphne_killed_with_starts_and_stops_in_flight_loses_and_doubles_no_transaction(tmp_path: Path) -> None:
    port = free_port()
    servers = [start_portal(port=port, log=tmp_path / "daphne-1", OCPP_REGISTRATION="accept")]
    chargers = numbered(servers[0], CHARGERS)

    async def kill_and_restart(release: Callable[[], None]) -> None:
        release()
        await asyncio.sleep(0.02)  # the frames are on their way, or being handled
        os.kill(servers[0].process.pid, signal.SIGKILL)
        await asyncio.to_thread(servers[0].process.wait)
        servers.append(
            await asyncio.to_thread(start_portal, port=port, log=tmp_path / "daphne-2", OCPP_REGISTRATION="accept")
        )

    try:
        run = asyncio.run(start_stop_with_a_fault(chargers, kill_and_restart))
    finally:
        servers[-1].stop()
    figures = counted(chargers, run["given"])
    report("daphne killed (SIGKILL) with Start/Stop in flight, started again", chargers, figures, run["in flight"])
    assert figures == NOTHING_WRONG
    assert set(run["in flight"]) == {"StartTransaction", "StopTransaction"}
    assert all(c.connects >= 2 for c in chargers)  # each lost its socket and sent again on a new one


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a proxy in front of PostgreSQL")
def test_postgresql_away_with_starts_and_stops_in_flight_accepts_nothing_unstored_and_doubles_nothing(
    tmp_path: Path,
) -> None:
    portal, proxy = portal_behind_a_cuttable_proxy(tmp_path)
    chargers = numbered(portal, CHARGERS)
    began = time.monotonic()

    async def outage(release: Callable[[], None]) -> None:
        await asyncio.to_thread(proxy.cut)
        release()
        await asyncio.sleep(OUTAGE_S)
        await asyncio.to_thread(proxy.restore)

    try:
        run = asyncio.run(start_stop_with_a_fault(chargers, outage))
    finally:
        portal.stop()
        proxy.stop()
    figures = counted(chargers, run["given"])
    report(f"PostgreSQL unreachable for {OUTAGE_S} s with Start/Stop in flight", chargers, figures, run["in flight"])
    assert figures == NOTHING_WRONG
    assert proxy.dropped > 0
    assert set(run["in flight"]) == {"StartTransaction", "StopTransaction"}
    # A Start or Stop whose query was cut is answered with a CALLERROR the charger retries; nothing times out.
    assert {failure.split(": ")[1] for c in chargers for failure in c.failures} <= {"InternalError"}
    assert time.monotonic() - began > OUTAGE_S
    assert "Traceback" not in (tmp_path / "daphne.err").read_text(errors="replace")


def test_a_start_and_a_stop_whose_answers_were_lost_after_the_commit_are_stored_once_when_sent_again(
    open_portal,
) -> None:
    """The charger's socket drops between the portal's commit and its answer: the charger never learns its
    transactionId, and sends the same StartTransaction again on its next connection (then the same Stop)."""
    (charger,) = numbered(open_portal, 1)
    start = start_payload(charger, 0)
    stop = {"meterStop": STOPPED_AFTER_WH, "timestamp": iso(charger.started + timedelta(seconds=30))}
    rows = Transaction.objects.filter(charge_point__charge_point_id=charger.charge_point_id)

    async def sent_and_dropped(action: str, payload: dict, stored: Callable[[], bool]) -> None:
        await charger.connect()
        await charger.sim.send_frame(json.dumps([2, "lost", action, payload]))  # no wait for the answer
        await charger.sim.close()
        deadline = time.monotonic() + 10
        while not await in_db_thread(stored) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert await in_db_thread(stored)  # committed, answer lost: what the resend must find

    async def scenario() -> int:
        await sent_and_dropped("StartTransaction", start, rows.exists)
        transaction_id = (await charger.call("StartTransaction", start))["transactionId"]
        closed = rows.filter(stopped_at__isnull=False).exists
        await sent_and_dropped("StopTransaction", {**stop, "transactionId": transaction_id}, closed)
        await charger.call("StopTransaction", {**stop, "transactionId": transaction_id})
        await charger.close()
        return transaction_id

    transaction_id = asyncio.run(scenario())
    assert [(row.pk, row.meter_start_wh, row.meter_stop_wh) for row in rows] == [(transaction_id, 0, 500)]
