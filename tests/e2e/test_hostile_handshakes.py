"""Hostile handshakes at a real daphne (issue 15, item 5): slow ones (the upgrade request a byte at a time, or
never finished), and tricks in the OCPP URL and its headers (encoded slashes, dot segments, percent-escapes that
are not UTF-8, very long and unicode ids, two Authorization headers). Control characters, a wrong subprotocol
and frames over 1 MiB are in test_hostile_connections.py and test_bad_input.py."""

import asyncio
import base64
import socket
import time
import uuid
from collections.abc import Iterator

import pytest
import websockets

from chargers.models import ChargePoint, ConnectionAttempt
from chargers.services import charge_point_register
from tests.conftest import PortalServer, start_portal
from tests.simulator import SimulatedCharger

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "00112233445566778899aabbccddeeff00112233"
IDLE_TIMEOUT_S = 1.5


@pytest.fixture(scope="module")
def strict_portal(django_db_setup, django_db_blocker) -> Iterator[PortalServer]:
    """Accepts unknown chargers (so that a trick that passed would leave a charger row), and drops a connection
    silent for 1.5 s before its handshake is complete."""
    server = start_portal(OCPP_REGISTRATION="accept", HTTP_IDLE_TIMEOUT_S=str(IDLE_TIMEOUT_S))
    yield server
    server.stop()


def upgrade_request(port: int, ident: str) -> bytes:
    return (
        f"GET /ocpp/{ident} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {base64.b64encode(uuid.uuid4().bytes).decode()}\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Protocol: ocpp1.6\r\n\r\n"
    ).encode()


def response_head(sock: socket.socket, timeout: float = 10) -> bytes:
    sock.settimeout(timeout)
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            break
        head += chunk
    return head


async def booted(server: PortalServer, ident: str) -> str:
    async with SimulatedCharger(server.ocpp_url, ident) as sim:
        return (await sim.boot())["status"]


def test_an_upgrade_sent_a_byte_at_a_time_is_accepted_and_holds_up_no_other_charger(strict_portal) -> None:
    ident = f"SLOW-{uuid.uuid4().hex[:8]}"
    request = upgrade_request(strict_portal.port, ident)
    with socket.create_connection(("127.0.0.1", strict_portal.port)) as sock:
        began = time.monotonic()
        for i, byte in enumerate(request):
            sock.sendall(bytes([byte]))
            time.sleep(0.002)
            if i == len(request) // 2:
                # Halfway through the slow one, another charger connects and is answered as usual.
                assert asyncio.run(booted(strict_portal, f"FAST-{uuid.uuid4().hex[:8]}")) == "Accepted"
        head = response_head(sock)
        took = time.monotonic() - began
    assert head.startswith(b"HTTP/1.1 101"), head
    assert b"ocpp1.6" in head
    assert took > 0.5  # the request really trickled in


def test_a_handshake_that_never_finishes_is_dropped_after_the_idle_timeout(strict_portal) -> None:
    with socket.create_connection(("127.0.0.1", strict_portal.port)) as sock:
        sock.sendall(upgrade_request(strict_portal.port, "NEVER-1")[:40])  # the request line and no more
        began = time.monotonic()
        sock.settimeout(15)
        assert sock.recv(100) == b""  # closed by the server, nothing sent
        waited = time.monotonic() - began
    assert IDLE_TIMEOUT_S - 0.5 < waited < IDLE_TIMEOUT_S + 5


def test_a_connected_charger_silent_past_the_idle_timeout_keeps_its_websocket(strict_portal) -> None:
    """The idle timeout is the handshake's only: an upgraded websocket is not timed by it."""

    async def scenario() -> dict:
        async with SimulatedCharger(strict_portal.ocpp_url, f"IDLE-{uuid.uuid4().hex[:8]}") as sim:
            await sim.boot()
            await asyncio.sleep(IDLE_TIMEOUT_S * 2)
            return await sim.call("Heartbeat", {})

    assert "currentTime" in asyncio.run(scenario())


async def status_of(url: str, headers: list[tuple[str, str]] | None = None) -> int:
    try:
        connection = await websockets.connect(url, subprotocols=["ocpp1.6"], additional_headers=headers)
    except websockets.InvalidStatus as refused:
        return refused.response.status_code
    await connection.close()
    return 101


@pytest.mark.parametrize(
    ("tail", "reason"),
    [
        ("a%2Fb", "expected /ocpp/<charge point id>"),  # an encoded slash is a slash once decoded
        ("x/../y", "expected /ocpp/<charge point id>"),
        ("..", "dot segment"),
        ("%2E%2E", "dot segment"),
        (".", "dot segment"),
        ("%FF%FE", "not UTF-8"),
        ("A" * 101, "1 to 100 characters"),
        ("B" * 3000, "1 to 100 characters"),
    ],
)
def test_a_trick_in_the_ocpp_url_is_refused_logged_and_creates_no_charger(strict_portal, tail, reason) -> None:
    before = set(ChargePoint.objects.values_list("charge_point_id", flat=True))
    assert asyncio.run(status_of(f"{strict_portal.ocpp_url}/{tail}")) == 403
    assert ConnectionAttempt.objects.filter(reason__contains=reason).exists()
    assert set(ChargePoint.objects.values_list("charge_point_id", flat=True)) == before


def test_a_unicode_charge_point_id_connects_under_its_exact_name(strict_portal) -> None:
    ident = f"Ladesäule-Süd-充电桩-{uuid.uuid4().hex[:6]}"
    assert asyncio.run(booted(strict_portal, ident)) == "Accepted"
    assert ChargePoint.objects.filter(charge_point_id=ident).exists()


def basic(ident: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{ident}:{password}".encode()).decode()


@pytest.mark.parametrize("right_first", [True, False])
def test_two_authorization_headers_are_refused_whichever_comes_first(strict_portal, right_first: bool) -> None:
    charger = charge_point_register(charge_point_id=f"TWOAUTH-{uuid.uuid4().hex[:8]}", auth_key=KEY)
    ident = charger.charge_point_id
    right, wrong = basic(ident, KEY), basic(ident, "not-the-key-not-the-key")
    headers = [("Authorization", right), ("Authorization", wrong)]
    url = f"{strict_portal.ocpp_url}/{ident}"
    assert asyncio.run(status_of(url, headers if right_first else headers[::-1])) == 403
    assert ConnectionAttempt.objects.filter(charge_point_ident=ident).exists()
    assert asyncio.run(status_of(url, [("Authorization", right)])) == 101  # the key itself is fine
