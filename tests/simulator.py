"""A charger simulator that speaks OCPP 1.6J over a real websocket (tests and benchmarks).

It answers the central system's CALLs the way an ETREL INCH would (Accepted unless told otherwise) and lets a
test send well-formed or deliberately broken frames.
"""

import asyncio
import base64
import itertools
import json
import ssl as ssl_module
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection


class CallErrorReceived(Exception):
    def __init__(self, code: str, description: str, details: dict) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description
        self.details = details


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


DEFAULT_ANSWERS: dict[str, dict] = {
    "Reset": {"status": "Accepted"},
    "ChangeAvailability": {"status": "Accepted"},
    "ChangeConfiguration": {"status": "Accepted"},
    "ClearCache": {"status": "Accepted"},
    "ClearChargingProfile": {"status": "Accepted"},
    "CancelReservation": {"status": "Accepted"},
    "DataTransfer": {"status": "Accepted"},
    "GetConfiguration": {"configurationKey": [], "unknownKey": []},
    "GetDiagnostics": {"fileName": "diagnostics.zip"},
    "GetLocalListVersion": {"listVersion": 1},
    "GetCompositeSchedule": {"status": "Rejected"},
    "RemoteStartTransaction": {"status": "Accepted"},
    "RemoteStopTransaction": {"status": "Accepted"},
    "ReserveNow": {"status": "Accepted"},
    "SendLocalList": {"status": "Accepted"},
    "SetChargingProfile": {"status": "Accepted"},
    "TriggerMessage": {"status": "Accepted"},
    "UnlockConnector": {"status": "Unlocked"},
    "UpdateFirmware": {},
}


class SimulatedCharger:
    def __init__(
        self,
        base_url: str,
        charge_point_id: str,
        *,
        password: str | bytes | None = None,
        subprotocols: tuple[str, ...] = ("ocpp1.6",),
        ssl: ssl_module.SSLContext | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.url = f"{base_url.rstrip('/')}/{charge_point_id}"
        self.charge_point_id = charge_point_id
        self.password = password
        self.subprotocols = subprotocols
        self.ssl = ssl  # for wss:// (a client certificate for security profile 3 goes in the context)
        self.extra_headers = headers or {}
        self.ws: ClientConnection | None = None
        self._ids = itertools.count(1)
        self._waiting: dict[str, asyncio.Future] = {}
        self._reader: asyncio.Task | None = None
        self.received_calls: list[tuple[str, str, dict]] = []
        self.answers: dict[str, dict | Callable[[dict], Any]] = dict(DEFAULT_ANSWERS)
        self.closed = asyncio.Event()
        # Replies nobody waited for (a test that sends raw frames reads the answers to them here).
        self.unmatched: list[list] = []

    def _headers(self) -> dict[str, str]:
        if self.password is None:
            return dict(self.extra_headers)
        password = self.password if isinstance(self.password, bytes) else self.password.encode()
        token = base64.b64encode(self.charge_point_id.encode() + b":" + password).decode()
        return {**self.extra_headers, "Authorization": f"Basic {token}"}

    async def connect(self) -> "SimulatedCharger":
        self.ws = await websockets.connect(
            self.url,
            subprotocols=list(self.subprotocols) or None,
            additional_headers=self._headers(),
            open_timeout=10,
            ping_interval=None,
            max_size=2**22,
            **({"ssl": self.ssl} if self.ssl is not None else {}),
        )
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aenter__(self) -> "SimulatedCharger":
        return await self.connect()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            self._reader.cancel()

    async def _read(self) -> None:
        try:
            async for text in self.ws:
                await self._dispatch(json.loads(text))
        except websockets.ConnectionClosed:
            pass
        finally:
            self.closed.set()
            for future in self._waiting.values():
                if not future.done():
                    future.set_exception(ConnectionError("connection closed"))

    async def _dispatch(self, frame: list) -> None:
        kind, unique_id = frame[0], frame[1]
        if kind == 2:
            action, payload = frame[2], frame[3]
            self.received_calls.append((unique_id, action, payload))
            answer = self.answers.get(action, {})
            if callable(answer):
                answer = answer(payload)
            if answer is None:  # a test wants this CALL left unanswered
                return
            if isinstance(answer, CallErrorReceived):
                await self.ws.send(json.dumps([4, unique_id, answer.code, answer.description, answer.details]))
            else:
                await self.ws.send(json.dumps([3, unique_id, answer]))
            return
        future = self._waiting.pop(unique_id, None)
        if future is not None and not future.done():
            future.set_result(frame)
        else:
            self.unmatched.append(frame)

    async def send_frame(self, text: str, unique_id: str | None = None, timeout: float = 10) -> list | None:
        """Send raw text; wait for the frame answering `unique_id` (if given)."""
        future = None
        if unique_id is not None:
            future = asyncio.get_running_loop().create_future()
            self._waiting[unique_id] = future
        await self.ws.send(text)
        if future is None:
            return None
        return await asyncio.wait_for(future, timeout)

    async def call(self, action: str, payload: dict, timeout: float = 10) -> dict:
        unique_id = str(next(self._ids))
        frame = await self.send_frame(json.dumps([2, unique_id, action, payload]), unique_id, timeout)
        if frame[0] == 4:
            raise CallErrorReceived(frame[2], frame[3], frame[4] if len(frame) > 4 else {})
        return frame[2]

    # A local authorization list held as a charger holds it (tests of the portal's sync).

    def hold_local_list(
        self, *, send_max: int | None = None, total_max: int | None = None, report_limits: bool = True
    ) -> "SimulatedCharger":
        """Keep a local list: SendLocalList replaces (Full) or changes (Differential) it; a chunk longer than
        `send_max` (SendLocalListMaxLength) or a list longer than `total_max` (LocalAuthListMaxLength) is refused
        with Failed, a Differential whose version is not above the list's with VersionMismatch, and the answers
        queued in `local_list_refusals` are given first whatever comes. With `report_limits`, GetConfiguration
        reports both maxima."""
        self.local_list: dict[str, dict] = {}
        self.local_list_version = 0
        self.local_list_refusals: list[str] = []
        self.local_list_send_max = send_max
        self.local_list_total_max = total_max
        self.answers["SendLocalList"] = self._send_local_list
        if report_limits:
            keys = {"SendLocalListMaxLength": send_max, "LocalAuthListMaxLength": total_max}
            self.answers["GetConfiguration"] = lambda payload: {
                "configurationKey": [
                    {"key": key, "readonly": True, "value": str(value)}
                    for key, value in keys.items()
                    if value is not None and key in (payload.get("key") or keys)
                ],
                "unknownKey": [],
            }
        return self

    def _send_local_list(self, payload: dict) -> dict:
        if self.local_list_refusals:
            return {"status": self.local_list_refusals.pop(0)}
        entries = payload.get("localAuthorizationList") or []
        if self.local_list_send_max is not None and len(entries) > self.local_list_send_max:
            return {"status": "Failed"}
        version = payload["listVersion"]
        if payload["updateType"] == "Full":
            held: dict[str, dict] = {}
        elif version <= self.local_list_version:
            return {"status": "VersionMismatch"}
        else:
            held = dict(self.local_list)
        for entry in entries:
            if "idTagInfo" in entry:
                held[entry["idTag"]] = entry["idTagInfo"]
            else:
                held.pop(entry["idTag"], None)
        if self.local_list_total_max is not None and len(held) > self.local_list_total_max:
            return {"status": "Failed"}
        self.local_list, self.local_list_version = held, version
        return {"status": "Accepted"}

    # Convenience messages, as an ETREL INCH sends them.

    async def boot(self, vendor: str = "Etrel", model: str = "G-HB1V5CY20-A14", firmware: str = "5.4:5.0.5") -> dict:
        return await self.call(
            "BootNotification",
            {
                "chargePointVendor": vendor,
                "chargePointModel": model,
                "firmwareVersion": firmware,
                "chargePointSerialNumber": f"SN-{self.charge_point_id}"[:25],
            },
        )

    async def status(self, connector_id: int, status: str, error_code: str = "NoError", **extra: Any) -> dict:
        return await self.call(
            "StatusNotification",
            {
                "connectorId": connector_id,
                "status": status,
                "errorCode": error_code,
                "timestamp": now_iso(),
                **extra,
            },
        )

    async def start(self, connector_id: int, id_tag: str, meter_start: int, timestamp: str | None = None) -> dict:
        return await self.call(
            "StartTransaction",
            {
                "connectorId": connector_id,
                "idTag": id_tag,
                "meterStart": meter_start,
                "timestamp": timestamp or now_iso(),
            },
        )

    async def stop(self, transaction_id: int, meter_stop: int, timestamp: str | None = None, **extra: Any) -> dict:
        return await self.call(
            "StopTransaction",
            {
                "transactionId": transaction_id,
                "meterStop": meter_stop,
                "timestamp": timestamp or now_iso(),
                **extra,
            },
        )


def inch_sampled_values(energy_kwh: float, power_kw_per_phase: float) -> list[dict]:
    """Ten sampledValues as an ETREL INCH reports them (kWh, kW per phase, A, V, Hz, power factor)."""
    values = [{"measurand": "Energy.Active.Import.Register", "unit": "kWh", "value": f"{energy_kwh:.3f}"}]
    for phase in ("L1", "L2", "L3"):
        values.append(
            {
                "measurand": "Power.Active.Import",
                "phase": phase,
                "unit": "kW",
                "value": f"{power_kw_per_phase:.3f}",
            }
        )
    for phase in ("L1", "L2", "L3"):
        values.append(
            {
                "measurand": "Current.Import",
                "phase": phase,
                "unit": "A",
                "value": f"{power_kw_per_phase * 1000 / 230:.2f}",
            }
        )
    values.append({"measurand": "Voltage", "phase": "L1-N", "unit": "V", "value": "230.1"})
    values.append({"measurand": "Frequency", "unit": "Hz", "value": "50.01"})
    values.append({"measurand": "Power.Factor", "value": "0.99"})
    return values
