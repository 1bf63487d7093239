"""A load-generator process: holds a slice of the chargers and runs the phases the benchmark asks for.

Several of these run side by side (multiprocessing, spawn), each with its own event loop, so the generator can use
both cores when the server leaves them idle. The parent sends one command at a time over a pipe and gets a
result dict back: open-loop schedules (a frame is due at start + i/rate whether or not earlier ones were answered),
so a slow server shows as latency and backlog rather than as a politely lower offered rate.
"""

import asyncio
import collections
import contextlib
import json
import resource
import time
from multiprocessing.connection import Connection
from typing import Any

from benchmarks.wsclient import ConnectionLost, HandshakeRefused, OcppClient, connect

TICK_S = 0.002
# One StartTransaction timestamp per charger and run; distinct per charger so no start is a resend of another.
START_EPOCH = 1_790_000_000


def _sampled_values_json() -> str:
    from tests.simulator import inch_sampled_values

    return json.dumps(inch_sampled_values(12.345, 3.7), separators=(",", ":"))


def _iso(epoch_s: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch_s))


def _iso_now() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1e6):06d}Z"


def _failure_kind(error: BaseException) -> str:
    if isinstance(error, HandshakeRefused):
        return f"HTTP {error.status}"
    if isinstance(error, TimeoutError):
        return "timeout"
    if isinstance(error, ConnectionRefusedError):
        return "refused"
    if isinstance(error, ConnectionLost | ConnectionResetError):
        return "closed during handshake"
    if isinstance(error, OSError):
        return f"OSError {error.errno}"
    return type(error).__name__


async def _open_loop(count: int, rate: float, start_at: float, launch: Any) -> None:
    """Call launch(i) for i in range(count) at start_at + i/rate (wall clock), catching up after a slow tick."""
    launched = 0
    while launched < count:
        due = min(count, int((time.time() - start_at) * rate) + 1) if time.time() >= start_at else 0
        while launched < due:
            launch(launched)
            launched += 1
        await asyncio.sleep(TICK_S)


class Generator:
    def __init__(self, host: str, port: int, chargers: list[tuple[str, str]]) -> None:
        self.host = host
        self.port = port
        self.chargers = chargers
        self.clients: list[OcppClient] = []
        self.transaction_ids: dict[OcppClient, int] = {}
        self.meter_counter: dict[OcppClient, int] = collections.defaultdict(int)

    # --- Phases ---------------------------------------------------------------------------------------------

    async def connect_all(self, rate: float, start_at: float, timeout: float, max_pending: int = 0) -> dict:
        """Open every charger's socket at `rate`; with `max_pending`, at most that many handshakes in flight
        (closed loop: measures what the server sustains instead of how it collapses past it)."""
        failures: collections.Counter[str] = collections.Counter()
        latencies: list[float] = []
        done_at: list[float] = []
        tasks: list[asyncio.Task] = []
        in_flight = asyncio.Semaphore(max_pending) if max_pending else contextlib.nullcontext()

        async def one(ident: str, key: str) -> None:
            async with in_flight:
                began = time.perf_counter()
                try:
                    client = await connect(self.host, self.port, ident, key, timeout)
                except Exception as error:
                    failures[_failure_kind(error)] += 1
                    return
                latencies.append(time.perf_counter() - began)
                done_at.append(time.time())
                self.clients.append(client)

        def launch(i: int) -> None:
            tasks.append(asyncio.create_task(one(*self.chargers[i])))

        cpu = time.process_time()
        await _open_loop(len(self.chargers), rate, start_at, launch)
        await asyncio.gather(*tasks)
        return {
            "ok": len(self.clients),
            "failures": dict(failures),
            "latencies": latencies,
            "last_ok_at": max(done_at, default=start_at),
            "cpu_s": time.process_time() - cpu,
        }

    async def start_transactions(self, rate: float, start_at: float, count: int | None = None) -> dict:
        """One StartTransaction per connected charger, or for the first `count` (the transactionId is kept for
        MeterValues; the others report meter values outside a transaction)."""
        errors: collections.Counter[str] = collections.Counter()
        latencies: list[float] = []
        tasks: list[asyncio.Task] = []

        async def one(client: OcppClient, index: int) -> None:
            unique_id = client.new_id()
            text = (
                f'[2,"{unique_id}","StartTransaction",{{"connectorId":1,"idTag":"BENCH0001",'
                f'"meterStart":{index},"timestamp":"{_iso(START_EPOCH + index)}"}}]'
            )
            try:
                latency, payload = await asyncio.wait_for(client.call_raw(unique_id, text.encode(), True), 30)
            except Exception as error:
                errors[type(error).__name__] += 1
                return
            latencies.append(latency)
            self.transaction_ids[client] = payload["transactionId"]

        def launch(i: int) -> None:
            tasks.append(asyncio.create_task(one(self.clients[i], i)))

        cpu = time.process_time()
        await _open_loop(len(self.clients) if count is None else min(count, len(self.clients)), rate, start_at, launch)
        await asyncio.gather(*tasks)
        return {
            "ok": len(latencies),
            "errors": dict(errors),
            "latencies": latencies,
            "cpu_s": time.process_time() - cpu,
        }

    async def meter_values(self, rate: float, duration: float, start_at: float, real_timestamps: bool = False) -> dict:
        """MeterValues at `rate` for `duration` seconds, round robin over chargers with no CALL outstanding
        (OCPP-J: one at a time per charger). A due frame with every charger busy counts as skipped.
        `real_timestamps`: each reading stamped with the time it is sent, to the microsecond, so that whoever
        receives its event can tell the latency (benchmarks/live_latency.py); else whole seconds counted up."""
        sampled = _sampled_values_json()
        idle: collections.deque[OcppClient] = collections.deque(self.clients)
        errors: collections.Counter[str] = collections.Counter()
        latencies: list[float] = []
        pending: set[asyncio.Future] = set()
        skipped = 0
        base_epoch = int(time.time())

        def finished(client: OcppClient, future: asyncio.Future) -> None:
            pending.discard(future)
            if future.exception() is not None:
                errors[type(future.exception()).__name__] += 1
            else:
                latencies.append(future.result()[0])
            if not client.closed:
                idle.append(client)

        def launch(_i: int) -> None:
            nonlocal skipped
            if not idle:
                skipped += 1
                return
            client = idle.popleft()
            self.meter_counter[client] += 1
            unique_id = client.new_id()
            tx = self.transaction_ids.get(client)
            tx_field = f',"transactionId":{tx}' if tx is not None else ""
            text = (
                f'[2,"{unique_id}","MeterValues",{{"connectorId":1{tx_field},"meterValue":[{{"timestamp":'
                f'"{_iso_now() if real_timestamps else _iso(base_epoch + self.meter_counter[client])}",'
                f'"sampledValue":{sampled}}}]}}]'
            )
            future = client.call_raw(unique_id, text.encode())
            pending.add(future)
            future.add_done_callback(lambda f, c=client: finished(c, f))

        cpu = time.process_time()
        count = int(rate * duration)
        await _open_loop(count, rate, start_at, launch)
        sent_until = time.time()
        if pending:
            await asyncio.wait(set(pending), timeout=30)
        return {
            "offered": count,
            "sent": count - skipped,
            "ok": len(latencies),
            "skipped": skipped,
            "unanswered": len(pending),
            "errors": dict(errors),
            "latencies": latencies,
            "sent_until": sent_until,
            "answered_until": time.time(),
            "cpu_s": time.process_time() - cpu,
        }

    async def close_all(self) -> dict:
        for client in self.clients:
            client.close()
        await asyncio.sleep(0.5)
        closed = sum(1 for c in self.clients if c.closed)
        self.clients.clear()
        return {"closed": closed}

    # --- The command loop -------------------------------------------------------------------------------------

    async def serve(self, pipe: Connection) -> None:
        loop = asyncio.get_running_loop()
        while True:
            command = await loop.run_in_executor(None, pipe.recv)
            name = command.pop("command")
            if name == "quit":
                await self.close_all()
                return
            pipe.send(await self.commands()[name](**command))

    def commands(self) -> dict:
        """What the driving process may ask for, by name (a subclass adds its own scenarios)."""
        return {
            "connect": self.connect_all,
            "start": self.start_transactions,
            "meter": self.meter_values,
            "close": self.close_all,
        }


def worker_main(
    pipe: Connection, host: str, port: int, chargers: list[tuple[str, str]], generator_class: type = Generator
) -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(generator_class(host, port, chargers).serve(pipe))
