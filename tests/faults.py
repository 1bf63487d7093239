"""A charger that survives faults as a real one must: it numbers its meter values (the Energy register counts
1, 2, 3, ... Wh, one second apart), reconnects when its socket goes, and sends again whatever the central system
did not answer (a CALLERROR, a timeout, a closed socket). The fault tests count from the database afterwards
what was lost or stored twice."""

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tests.simulator import CallErrorReceived, SimulatedCharger

REGISTER = "Energy.Active.Import.Register"
# What a charger does with a frame nobody answered: wait a little and send it again.
RETRY_PAUSE_S = 0.2


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class NumberedCharger:
    base_url: str
    charge_point_id: str
    password: str
    connector_id: int = 1
    sim: SimulatedCharger | None = None
    # The first time a frame went unanswered, and when the next one was answered: the outages it saw.
    outages: list[tuple[float, float]] = field(default_factory=list)
    retries: int = 0
    # What went wrong, by kind: a CALLERROR's code, or the exception's type.
    failures: list[str] = field(default_factory=list)
    slowest_s: float = 0.0  # the longest a frame took to be answered, retries included
    connects: int = 0
    answered: list[int] = field(default_factory=list)
    transaction_id: int | None = None
    in_flight: str = ""  # the action of the frame waiting for an answer, if any
    _failing_since: float | None = None
    _sims: list[SimulatedCharger] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Fixed at creation: a resent frame has the very same content (the portal recognises a repeat by it).
        self.started = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)

    async def connect(self) -> None:
        if self.sim is not None:
            await self.sim.close()
        self.sim = await SimulatedCharger(self.base_url, self.charge_point_id, password=self.password).connect()
        self._sims.append(self.sim)
        self.connects += 1

    def received_actions(self) -> list[str]:
        """The actions of the CALLs the central system made to this charger, over all its connections."""
        return [action for sim in self._sims for _, action, _ in sim.received_calls]

    async def reconnect(self) -> None:
        """Reconnect once (a test that wants churn calls it between frames)."""
        await self.connect()

    async def call(self, action: str, payload: dict, *, deadline_s: float = 60) -> dict:
        """Send until answered: after a CALLERROR, a timeout or a lost socket, reconnect and send again."""
        self.in_flight = action
        try:
            return await self._call_until_answered(action, payload, deadline_s)
        finally:
            self.in_flight = ""

    async def _call_until_answered(self, action: str, payload: dict, deadline_s: float) -> dict:
        began = time.monotonic()
        give_up = began + deadline_s
        while True:
            try:
                if self.sim is None or self.sim.closed.is_set():
                    await self.connect()
                answer = await self.sim.call(action, payload, timeout=5)
            except Exception as error:
                # Any failure is one a charger retries; the test counts the result, not the path.
                if time.monotonic() > give_up:
                    raise AssertionError(f"{self.charge_point_id}: {action} unanswered for {deadline_s}s") from error
                self.retries += 1
                self.failures.append(
                    f"{action}: {error.code if isinstance(error, CallErrorReceived) else type(error).__name__}"
                )
                if self._failing_since is None:
                    self._failing_since = time.monotonic()
                if self.sim is not None and not isinstance(error, CallErrorReceived):
                    await self.sim.close()
                    self.sim = None
                await asyncio.sleep(RETRY_PAUSE_S)
                continue
            if self._failing_since is not None:
                self.outages.append((self._failing_since, time.monotonic()))
                self._failing_since = None
            self.slowest_s = max(self.slowest_s, time.monotonic() - began)
            return answer

    async def begin(self, id_tag: str) -> None:
        await self.call("BootNotification", {"chargePointVendor": "Etrel", "chargePointModel": "G-HB1V5CY20-A14"})
        answer = await self.call(
            "StartTransaction",
            {"connectorId": self.connector_id, "idTag": id_tag, "meterStart": 0, "timestamp": iso(self.started)},
        )
        self.transaction_id = answer["transactionId"]

    async def meter_value(self, number: int) -> None:
        """The `number`th reading: the register at `number` Wh, `number` seconds after the start."""
        sampled = {"measurand": REGISTER, "unit": "Wh", "value": str(number)}
        payload = {
            "connectorId": self.connector_id,
            "transactionId": self.transaction_id,
            "meterValue": [{"timestamp": iso(self.started + timedelta(seconds=number)), "sampledValue": [sampled]}],
        }
        await self.call("MeterValues", payload)
        self.answered.append(number)

    async def end(self, last: int) -> None:
        stop = {
            "transactionId": self.transaction_id,
            "meterStop": last,
            "timestamp": iso(self.started + timedelta(seconds=last + 1)),
        }
        await self.call("StopTransaction", stop)

    async def close(self) -> None:
        if self.sim is not None:
            await self.sim.close()

    def recovery_s(self) -> float:
        """The longest time this charger went without an answer: its longest outage, or its slowest answer."""
        return max([end - begin for begin, end in self.outages] + [self.slowest_s])
