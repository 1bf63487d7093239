"""A hostile peer is refused cleanly and leaves a trace an operator can read: a charger id or path the database
cannot hold is refused like any other bad handshake, and a frame over 1 MiB closes the socket with 1009."""

import asyncio
import json
import time
import uuid

import pytest
import websockets

from chargers.models import ConnectionAttempt, MessageLog
from tests.simulator import SimulatedCharger

MIB = 1024 * 1024


def eventually(read, timeout: float = 10.0):
    """What `read` returns once it returns something: the server writes the message log after the socket closed."""
    deadline = time.monotonic() + timeout
    while (found := read()) is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert found is not None
    return found


pytestmark = pytest.mark.django_db(transaction=True)


async def refused_status(url: str) -> int:
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(url, subprotocols=["ocpp1.6"], open_timeout=10)
    return refused.value.response.status_code


@pytest.mark.parametrize(
    ("quoted", "stored"),
    [
        ("HS%00NUL", "HS\\x00NUL"),  # PostgreSQL text cannot hold NUL
        ("HS%07BEL%1B", "HS\\x07BEL\\x1b"),  # control characters
        ("HS%C2%85NEL%7F", "HS\\x85NEL\\x7f"),  # C1 control and DEL
    ],
)
def test_a_charger_id_with_a_control_character_is_refused_with_403_and_logged(portal, quoted, stored) -> None:
    assert asyncio.run(refused_status(f"{portal.ocpp_url}/{quoted}")) == 403
    attempt = ConnectionAttempt.objects.get(charge_point_ident=stored)
    assert attempt.reason.startswith("bad URL")
    assert "control character" in attempt.reason
    assert attempt.remote_addr == "127.0.0.1"
    assert "\x00" not in attempt.path


def test_another_path_with_a_nul_is_refused_and_logged(portal) -> None:
    assert asyncio.run(refused_status(f"ws://127.0.0.1:{portal.port}/not-ocpp/%00x")) == 403
    assert ConnectionAttempt.objects.filter(path="/not-ocpp/\\x00x", reason__startswith="bad URL").exists()


def data_transfer_frame(unique_id: str, size: int) -> str:
    """A DataTransfer CALL of exactly `size` bytes of UTF-8."""
    empty = json.dumps([2, unique_id, "DataTransfer", {"vendorId": "Test", "data": ""}])
    return empty.replace('"data": ""', '"data": "' + "x" * (size - len(empty)) + '"')


def test_a_frame_of_1_mib_is_answered_and_a_larger_one_closes_the_socket_with_1009_and_is_logged(open_portal) -> None:
    ident = f"BIG-{uuid.uuid4().hex[:8]}"

    async def scenario() -> tuple[list, int | None]:
        async with SimulatedCharger(open_portal.ocpp_url, ident) as sim:
            await sim.boot()
            answer = await sim.send_frame(data_transfer_frame("fits", MIB), "fits", timeout=30)
            await sim.ws.send(data_transfer_frame("too-big", MIB + 1))
            await asyncio.wait_for(sim.closed.wait(), 10)
            return answer, sim.ws.close_code

    answer, close_code = asyncio.run(scenario())
    assert answer[0] == 3  # a CALLRESULT: the 1 MiB frame was read and handled
    assert close_code == 1009
    refused = eventually(lambda: MessageLog.objects.filter(charge_point_ident=ident, error_code="FrameTooBig").first())
    assert "1 MiB" in refused.problems
    assert refused.charge_point.charge_point_id == ident
