"""Generator processes for `benchmarks/tx_load.py`: strict chargers in a closed loop of sessions, and boots.

A strict charger has one CALL outstanding at a time (OCPP-J) and sends the next one when the answer arrives
(closed loop: the offered rate is what the server sustains). Each session is what a charger sends:
StatusNotification Preparing, StartTransaction, StatusNotification Charging, `meter_values` MeterValues with
the new transactionId, StatusNotification Finishing, StopTransaction, StatusNotification Available; then the
next session. A charger starts no new session after the run's duration and finishes the one in flight, so that
no transaction is left open; every call counts. A CALLERROR is counted against its action and the session goes
on (a failed start skips to the next session).
"""

import asyncio
import collections
import json
import time
from multiprocessing.connection import Connection

from benchmarks.generator import Generator, _iso_now, _sampled_values_json, worker_main
from benchmarks.wsclient import OcppClient

# What a session sends around its transaction, in order (StartTransaction and StopTransaction in between).
STATUS_BEFORE, STATUS_CHARGING, STATUS_FINISHING, STATUS_AFTER = "Preparing", "Charging", "Finishing", "Available"


def tag_for(charge_point_id: str) -> str:
    """Each charger its own id tag (one tag for all would make every start but one ConcurrentTx)."""
    return "T" + charge_point_id.rsplit("-", 1)[-1]


class Stats:
    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = collections.defaultdict(list)
        self.errors: collections.Counter[str] = collections.Counter()
        self.sessions = 0

    def result(self) -> dict:
        return {"latencies": dict(self.latencies), "errors": dict(self.errors), "sessions": self.sessions}


class TxGenerator(Generator):
    async def _call(self, client: OcppClient, action: str, payload: dict, stats: Stats) -> dict | None:
        """One CALL, its latency kept; None when it got no answer (counted as an error)."""
        unique_id = client.new_id()
        text = json.dumps([2, unique_id, action, payload], separators=(",", ":")).encode()
        try:
            latency, answer = await asyncio.wait_for(client.call_raw(unique_id, text, True), 60)
        except Exception as error:
            stats.errors[f"{action}: {type(error).__name__}"] += 1
            return None
        stats.latencies[action].append(latency)
        return answer

    def _status(self, status: str) -> dict:
        return {"connectorId": 1, "status": status, "errorCode": "NoError", "timestamp": _iso_now()}

    async def _session(self, client: OcppClient, meter_values: int, energy: list[int], stats: Stats) -> None:
        sampled = json.loads(_sampled_values_json())
        await self._call(client, "StatusNotification", self._status(STATUS_BEFORE), stats)
        start = {"connectorId": 1, "idTag": tag_for(client.charge_point_id), "meterStart": energy[0]}
        answer = await self._call(client, "StartTransaction", {**start, "timestamp": _iso_now()}, stats)
        if answer is None:
            return
        await self._call(client, "StatusNotification", self._status(STATUS_CHARGING), stats)
        tx = answer["transactionId"]
        for _ in range(meter_values):
            value = {"timestamp": _iso_now(), "sampledValue": sampled}
            payload = {"connectorId": 1, "transactionId": tx, "meterValue": [value]}
            await self._call(client, "MeterValues", payload, stats)
        energy[0] += 1000
        await self._call(client, "StatusNotification", self._status(STATUS_FINISHING), stats)
        stop = {"transactionId": tx, "meterStop": energy[0], "timestamp": _iso_now(), "reason": "Local"}
        await self._call(client, "StopTransaction", {**stop, "idTag": start["idTag"]}, stats)
        await self._call(client, "StatusNotification", self._status(STATUS_AFTER), stats)
        stats.sessions += 1

    async def tx_loop(self, duration: float, start_at: float, meter_values: int) -> dict:
        """Every connected charger runs sessions back to back, starting none after start_at + duration."""
        stats = Stats()
        until = start_at + duration

        async def charger(client: OcppClient, index: int) -> None:
            energy = [index * 1_000_000]
            while time.time() < until and not client.closed:
                await self._session(client, meter_values, energy, stats)

        await asyncio.sleep(max(0.0, start_at - time.time()))
        cpu = time.process_time()
        await asyncio.gather(*(charger(c, i) for i, c in enumerate(self.clients)))
        return {**stats.result(), "ended_at": time.time(), "cpu_s": time.process_time() - cpu}

    async def boot_all(self, start_at: float, connectors: int) -> dict:
        """Every connected charger at once: BootNotification, then a StatusNotification per connector (0 to
        `connectors`), as a charger does after a power cut; returns when each charger has its answers."""
        stats = Stats()
        done_at: list[float] = []
        boot = {"chargePointVendor": "Etrel", "chargePointModel": "G-HB1V5CY20-A14", "firmwareVersion": "5.4:5.0.5"}

        async def charger(client: OcppClient) -> None:
            answer = await self._call(client, "BootNotification", boot, stats)
            if answer is None:
                return  # counted by _call
            if answer.get("status") != "Accepted":
                stats.errors[f"BootNotification: {answer.get('status')}"] += 1
                return
            for connector_id in range(connectors + 1):
                status = {"connectorId": connector_id, "status": "Available", "errorCode": "NoError"}
                if await self._call(client, "StatusNotification", status, stats) is None:
                    return
            done_at.append(time.time())

        await asyncio.sleep(max(0.0, start_at - time.time()))
        await asyncio.gather(*(charger(c) for c in self.clients))
        return {**stats.result(), "booted": len(done_at), "last_done_at": max(done_at, default=start_at)}

    def commands(self) -> dict:
        return {**super().commands(), "tx": self.tx_loop, "boot": self.boot_all}


def tx_worker_main(pipe: Connection, host: str, port: int, chargers: list[tuple[str, str]]) -> None:
    worker_main(pipe, host, port, chargers, generator_class=TxGenerator)
