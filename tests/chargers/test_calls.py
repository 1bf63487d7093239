"""The sending side (chargers/ocpp/calls.py): a transport implements only the raw send; the schema check, one CALL
at a time, the log entry and the timeout are the same for every transport."""

import asyncio
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from chargers.models import Direction
from chargers.ocpp import logbook
from chargers.ocpp.calls import CallerMixin
from chargers.ocpp.messages import CALL, CallResult, OcppError


class Transport(CallerMixin):
    """A second transport: it answers each CALL after `delay` seconds and notes what it was asked to send."""

    charge_point_pk = 3
    charge_point_ident = "CP-SEND"
    received_at = datetime(2026, 11, 30, tzinfo=UTC)

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.sent: list[tuple[str, str]] = []
        self.in_flight = 0
        self.most_in_flight = 0

    async def transmit_call(self, unique_id: str, action: str, payload: dict) -> CallResult:
        self.sent.append((unique_id, action))
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
            return CallResult(unique_id, {"status": "Accepted"})
        finally:
            self.in_flight -= 1


@pytest.fixture
def logged(monkeypatch) -> list:
    entries: list = []
    log = SimpleNamespace(submit_nowait=entries.append)
    monkeypatch.setattr(logbook, "writers", lambda: SimpleNamespace(message_log=log))
    return entries


async def test_a_call_goes_out_through_the_transport_logged_and_one_at_a_time(logged) -> None:
    transport = Transport(delay=0.01)

    answers = await asyncio.gather(*(transport.call("Reset", {"type": "Soft"}, unique_id=f"u{n}") for n in range(3)))

    assert [a.payload for a in answers] == [{"status": "Accepted"}] * 3
    assert transport.sent == [("u0", "Reset"), ("u1", "Reset"), ("u2", "Reset")]
    assert transport.most_in_flight == 1
    assert [(e.direction, e.message_type, e.unique_id, e.action) for e in logged] == [
        (Direction.OUT, CALL, f"u{n}", "Reset") for n in range(3)
    ]


async def test_a_payload_that_breaks_the_schema_is_never_sent(logged) -> None:
    transport = Transport()

    with pytest.raises(OcppError):
        await transport.call("Reset", {"type": "Gentle"})

    assert transport.sent == []
    assert logged == []


async def test_no_answer_within_the_timeout_is_a_timeout_and_frees_the_next_call(logged) -> None:
    transport = Transport(delay=5)

    with pytest.raises(TimeoutError):
        await transport.call("Reset", {"type": "Soft"}, timeout=0.05)
    transport.delay = 0
    answer = await transport.call("Reset", {"type": "Hard"}, timeout=1)

    assert answer.payload == {"status": "Accepted"}
    assert transport.in_flight == 0
