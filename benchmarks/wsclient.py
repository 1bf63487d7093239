"""A lean OCPP-J client over raw asyncio: just enough websocket to load a server, little enough to leave it the CPU.

The load generator shares two cores with the server it measures, so every microsecond it spends is one the
server does not get. Compared with the `websockets` library this client:
- masks with the all-zero key (RFC 6455 lets the server accept any key; XOR with zero is a no-op, so frames go
  out as they are, without a per-byte Python loop);
- does not check Sec-WebSocket-Accept (the server under test is trusted; a 101 with our subprotocol is enough);
- reads only the unique id of an answer, and parses its JSON only when the caller asks (StartTransaction).
"""

import asyncio
import base64
import json
import struct
import time
from dataclasses import dataclass, field

_KEY = "dGhlIHNhbXBsZSBub25jZQ=="  # any 16-byte nonce, base64; the server only hashes it
_ZERO_MASK = b"\x00\x00\x00\x00"


class HandshakeRefused(Exception):
    """The server answered the upgrade with something other than 101."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


class ConnectionLost(Exception):
    """The socket closed before the handshake or an answer arrived."""


@dataclass
class Outstanding:
    future: asyncio.Future
    sent_at: float
    want_payload: bool


def text_frame(payload: bytes) -> bytes:
    """A masked (zero key) final text frame."""
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x81, 0x80 | n)
    elif n < 65536:
        header = struct.pack("!BBH", 0x81, 0x80 | 126, n)
    else:
        header = struct.pack("!BBQ", 0x81, 0x80 | 127, n)
    return header + _ZERO_MASK + payload


def _control_frame(opcode: int, payload: bytes = b"") -> bytes:
    return struct.pack("!BB", 0x80 | opcode, 0x80 | len(payload)) + _ZERO_MASK + payload


@dataclass
class OcppClient(asyncio.Protocol):
    """One charger's socket. `call_raw` sends a pre-built CALL and resolves with (latency s, payload or None)."""

    host: str
    port: int
    charge_point_id: str
    password: str
    transport: asyncio.Transport | None = None
    handshake: asyncio.Future | None = None
    closed: bool = False
    _buffer: bytearray = field(default_factory=bytearray)
    _upgraded: bool = False
    _outstanding: dict[str, Outstanding] = field(default_factory=dict)
    _next_id: int = 0

    def __hash__(self) -> int:
        return id(self)

    def request(self) -> bytes:
        token = base64.b64encode(f"{self.charge_point_id}:{self.password}".encode()).decode()
        return (
            f"GET /ocpp/{self.charge_point_id} HTTP/1.1\r\n"
            f"Host: {self.host}:{self.port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {_KEY}\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Protocol: ocpp1.6\r\n"
            f"Authorization: Basic {token}\r\n\r\n"
        ).encode()

    # --- asyncio.Protocol ---------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        transport.write(self.request())  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if not self._upgraded and not self._read_handshake():
            return
        self._read_frames()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        lost = ConnectionLost(str(exc) if exc else "closed by the server")
        if self.handshake is not None and not self.handshake.done():
            self.handshake.set_exception(lost)
        for waiting in self._outstanding.values():
            if not waiting.future.done():
                waiting.future.set_exception(lost)
        self._outstanding.clear()

    # --- Reading --------------------------------------------------------------------------------------------

    def _read_handshake(self) -> bool:
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = bytes(self._buffer[:end])
        del self._buffer[: end + 4]
        status = int(head[9:12]) if head[:5] == b"HTTP/" else 0
        if status != 101 or b"ocpp1.6" not in head:
            if not self.handshake.done():
                self.handshake.set_exception(HandshakeRefused(status))
            self.transport.close()
            return False
        self._upgraded = True
        if not self.handshake.done():
            self.handshake.set_result(None)
        return True

    def _read_frames(self) -> None:
        buffer = self._buffer
        while len(buffer) >= 2:
            opcode, length = buffer[0] & 0x0F, buffer[1] & 0x7F
            start = 2
            if length == 126:
                if len(buffer) < 4:
                    return
                length, start = struct.unpack_from("!H", buffer, 2)[0], 4
            elif length == 127:
                if len(buffer) < 10:
                    return
                length, start = struct.unpack_from("!Q", buffer, 2)[0], 10
            if len(buffer) < start + length:
                return
            payload = bytes(buffer[start : start + length])
            del buffer[: start + length]
            self._on_frame(opcode, payload)

    def _on_frame(self, opcode: int, payload: bytes) -> None:
        if opcode == 0x1:
            self._on_text(payload)
        elif opcode == 0x9:  # ping: daphne pings after 20 s of silence and drops peers that do not pong
            self.transport.write(_control_frame(0xA, payload))
        elif opcode == 0x8:
            if not self.closed:
                self.transport.write(_control_frame(0x8, payload[:2]))
            self.transport.close()

    def _on_text(self, payload: bytes) -> None:
        # '[3,"17",{...}]': the id is between the first two quotes; no JSON parse unless the caller wants it.
        first = payload.find(b'"')
        unique_id = payload[first + 1 : payload.find(b'"', first + 1)].decode()
        waiting = self._outstanding.pop(unique_id, None)
        if waiting is None or waiting.future.done():
            return  # a CALL from the server (none in these benchmarks) or a late answer
        latency = time.perf_counter() - waiting.sent_at
        if payload[1:2] != b"3":
            waiting.future.set_exception(RuntimeError(f"CALLERROR: {payload[:200].decode(errors='replace')}"))
            return
        waiting.future.set_result((latency, json.loads(payload)[2] if waiting.want_payload else None))

    # --- Writing --------------------------------------------------------------------------------------------

    def new_id(self) -> str:
        self._next_id += 1
        return str(self._next_id)

    def call_raw(self, unique_id: str, frame_text: bytes, want_payload: bool = False) -> asyncio.Future:
        """Send a CALL whose text (with `unique_id` inside) is already built."""
        future = asyncio.get_running_loop().create_future()
        if self.closed:
            future.set_exception(ConnectionLost("socket closed"))
            return future
        self._outstanding[unique_id] = Outstanding(future, time.perf_counter(), want_payload)
        self.transport.write(text_frame(frame_text))
        return future

    def close(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.write(_control_frame(0x8, struct.pack("!H", 1000)))
            self.transport.close()


async def connect(host: str, port: int, charge_point_id: str, password: str, timeout: float) -> OcppClient:
    """Open the socket and finish the upgrade; raises HandshakeRefused, ConnectionLost, OSError or TimeoutError."""
    loop = asyncio.get_running_loop()
    client = OcppClient(host, port, charge_point_id, password)
    client.handshake = loop.create_future()
    transport = None
    try:
        async with asyncio.timeout(timeout):
            transport, _ = await loop.create_connection(lambda: client, host, port)
            await client.handshake
    except BaseException:
        if transport is not None:
            transport.abort()
        raise
    return client
