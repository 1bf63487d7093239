"""A webhook receiver for tests: a real HTTP server (http.server) in a thread on a local port.

It answers each POST with the next status of its script (then 200), and keeps what it received: the raw body,
the headers and what it answered, so that a test can check signatures and retries.
"""

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    body: bytes
    headers: dict[str, str]
    answered: int

    @property
    def envelope(self) -> dict:
        return json.loads(self.body)

    def signed_with(self, secret: str) -> bool:
        expected = "sha256=" + hmac.new(secret.encode(), self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(self.headers.get("X-Portal-Signature", ""), expected)


class Receiver:
    """Bound to its port from the start, listening only once started: until then connections to it are refused
    (a receiver that is down), and no other socket can take the port meanwhile."""

    def __init__(self, *, statuses: tuple[int, ...] = (), delay_s: float = 0.0, body: bytes = b"ok") -> None:
        self.statuses = list(statuses)
        self.delay_s = delay_s
        self.body = body  # what each answer carries (an authorization callout's JSON)
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._started = False
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler(), bind_and_activate=False)
        self._server.server_bind()
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks/portal"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                time.sleep(receiver.delay_s)
                with receiver._lock:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.received.append(Received(body, dict(self.headers.items()), status))
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(receiver.body)))
                    self.end_headers()
                    self.wfile.write(receiver.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # a client that gave up waiting (a timeout under test) is not the receiver's error

            def log_message(self, format: str, *args: object) -> None:
                pass  # quiet: the test reads `received`

        return Handler

    def start(self) -> "Receiver":
        self._server.server_activate()
        # A short poll: stop() returns within 50 ms.
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self._started = True
        return self

    def stop(self) -> None:
        if self._started:
            self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "Receiver":
        return self if self._started else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_for(self, condition: Callable[[list[Received]], bool], timeout: float = 20.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                received = list(self.received)
            if condition(received):
                return received
            time.sleep(0.05)
        raise AssertionError(f"the receiver did not get what was awaited in {timeout}s; it got {received}")
