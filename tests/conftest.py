"""Fixtures shared by the suite: a real daphne server on a free port, using the test database and Redis."""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection
from django.db.backends.postgresql.operations import DatabaseOperations as PostgresOperations

from portal import login_throttle

BASE_DIR = Path(__file__).resolve().parent.parent


def _flush_by_delete(truncate):
    """A transactional test ends with a flush of every table. PostgreSQL's TRUNCATE of ~40 tables takes 1 to 2.5 s
    (new files for each table and index), a DELETE of the few rows a test left 20 ms: over the suite's hundreds of
    end-to-end tests that is minutes. Django's foreign keys on PostgreSQL are DEFERRABLE INITIALLY DEFERRED and the
    flush runs in one transaction, so the order of the deletes does not matter. Sequence resets and cascades keep
    Django's own statement."""

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or allow_cascade:
            return truncate(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        return [f"DELETE FROM {self.quote_name(table)};" for table in tables]  # noqa: S608 (our own table names)

    return sql_flush


PostgresOperations.sql_flush = _flush_by_delete(PostgresOperations.sql_flush)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """DATABASE_URL of the test database pytest-django created, for the server processes."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    credentials = f"{user}{password}@" if user else ""
    return f"postgres://{credentials}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def server_env(**extra: str) -> dict[str, str]:
    """The environment of a server process a test starts: the test database, and the Redis this process uses (in a
    parallel run, its worker's own database: portal/settings.py), unless the test names another."""
    env = {name: value for name, value in os.environ.items() if name != "PYTEST_XDIST_WORKER"}
    env.update(DATABASE_URL=database_url(), PYTHONUNBUFFERED="1", REDIS_URL=settings.REDIS_URL)
    env.update(extra)
    return env


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {port} after {timeout}s")


def wait_for_http(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing answers HTTP on {port} after {timeout}s")


def _log_files(log: Path | None) -> dict:
    """Popen's stdout/stderr arguments: inherited, or two files beside `log` that a test reads afterwards."""
    if log is None:
        return {}
    return {"stdout": log.with_suffix(".out").open("wb"), "stderr": log.with_suffix(".err").open("wb")}


def _close(files: dict) -> None:
    for file in files.values():
        file.close()  # the child holds its own copy


class PortalServer:
    def __init__(self, port: int, process: subprocess.Popen) -> None:
        self.port = port
        self.process = process
        self.http_url = f"http://127.0.0.1:{port}"
        self.ocpp_url = f"ws://127.0.0.1:{port}/ocpp"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_portal(
    *, log: Path | None = None, port: int | None = None, web_concurrency: int | None = None, **env: str
) -> PortalServer:
    """A daphne process on `port` (a free one when None); with `log`, its stdout and stderr go to `log`.out and
    `log`.err. With `web_concurrency`, the Procfile's web pool instead: that many daphne processes on the port."""
    port = port or free_port()
    files = _log_files(log)
    if web_concurrency is not None:
        env["WEB_CONCURRENCY"] = str(web_concurrency)
    # The servers the Procfile starts: the pool of several daphne processes, or one daphne.
    server = "portal.daphne_pool" if web_concurrency is not None else "portal.daphne_server"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            server,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--websocket_timeout",
            "-1",
            "--application-close-timeout",
            "30",
            "portal.asgi:application",
        ],
        cwd=BASE_DIR,
        env=server_env(**env),
        **files,
    )
    _close(files)
    wait_for_port(port, process)
    if web_concurrency is not None:
        # The pool binds the port before its daphne processes run: a connection waits in the backlog meanwhile,
        # longer than a charger's handshake timeout on a busy machine. Ready is when a daphne answers.
        wait_for_http(port, process)
    return PortalServer(port, process)


@pytest.fixture(scope="session")
def portal(django_db_setup, django_db_blocker) -> Iterator[PortalServer]:
    """A daphne server with the default registration policy (pending)."""
    server = start_portal(OCPP_REGISTRATION="pending")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def open_portal(django_db_setup, django_db_blocker) -> Iterator[PortalServer]:
    """A daphne server that accepts unknown chargers (OCPP_REGISTRATION=accept)."""
    # LIVE_API_KEY_CHECK_S: an integrator's stream notices a revoked key within half a second, not thirty.
    server = start_portal(OCPP_REGISTRATION="accept", LIVE_API_KEY_CHECK_S="0.5")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def closed_portal(django_db_setup, django_db_blocker) -> Iterator[PortalServer]:
    """A daphne server that refuses unknown chargers (OCPP_REGISTRATION=reject)."""
    server = start_portal(OCPP_REGISTRATION="reject")
    yield server
    server.stop()


class CeleryWorker:
    def __init__(self, process: subprocess.Popen) -> None:
        self.process = process

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_celery_worker(*, log: Path | None = None, **env: str) -> CeleryWorker:
    """A real Celery worker process on the test database and Redis (or the REDIS_URL given); returns once it
    answers a ping. With `log`, its output goes to `log`.out and `log`.err."""
    from portal.celery import app

    hostname = f"test-{os.getpid()}-{free_port()}@localhost"
    files = _log_files(log)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "--app",
            "portal",
            "worker",
            "--pool",
            "threads",
            "--concurrency",
            "8",
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--hostname",
            hostname,
        ],
        cwd=BASE_DIR,
        env=server_env(**env),
        **files,
    )
    _close(files)
    deadline = time.monotonic() + 30
    # Ping through the broker the worker uses, which may not be this process's (the control API publishes
    # through its app's own producer pool, whatever connection it is given).
    broker = env.get("REDIS_URL", settings.REDIS_URL)
    control = (
        app.control if broker == settings.REDIS_URL else Celery("ping", broker=broker, set_as_current=False).control
    )
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"celery worker exited with {process.returncode}")
        if control.ping(destination=[hostname], timeout=0.5):
            return CeleryWorker(process)
    process.kill()
    raise TimeoutError("celery worker did not answer a ping in 30s")


def worker_mail_dir() -> Path:
    """Where the suite's Celery worker writes the mails it sends (Django's file backend), one file per send."""
    folder = Path(tempfile.gettempdir()) / f"portal-test-mail-{os.getpid()}"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker) -> Iterator[CeleryWorker]:
    # Webhook retries after 0.5 s, 1 s, 2 s, … instead of 30 s, 1 min, …: the tests see the backoff in seconds.
    worker = start_celery_worker(
        WEBHOOK_RETRY_BASE_S="0.5",
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(worker_mail_dir()),
    )
    yield worker
    worker.stop()


@pytest.fixture(scope="session")
def command_portal(django_db_setup, django_db_blocker) -> Iterator[PortalServer]:
    """A daphne server that gives chargers 2 s to answer a CALL (timeouts are tested without waiting 30 s)."""
    server = start_portal(OCPP_REGISTRATION="accept", OCPP_CALL_TIMEOUT="2")
    yield server
    server.stop()


def wait_until_servers_are_quiet(timeout: float = 5.0) -> None:
    """Wait until no other session on the test database is inside a statement or a transaction.

    After a test, the servers still write what the test caused (the message log, a charger's disconnect) for a
    few milliseconds. pytest-django's flush TRUNCATEs every table meanwhile, and TRUNCATE against a transaction
    that checks a foreign key at commit is a deadlock PostgreSQL resolves by killing one of them: the flush.
    """
    if connection.vendor != "postgresql":
        return
    deadline = time.monotonic() + timeout
    quiet_in_a_row = 0
    with connection.cursor() as cursor:
        while time.monotonic() < deadline and quiet_in_a_row < 3:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND state IN ('active', 'idle in transaction')"
            )
            quiet_in_a_row = quiet_in_a_row + 1 if cursor.fetchone()[0] == 0 else 0
            time.sleep(0.03)


@pytest.fixture(autouse=True)
def quiet_servers_before_flush(request):
    """Transactional tests end with a flush: let the servers' late writes finish first."""
    yield
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        wait_until_servers_are_quiet()


@pytest.fixture(autouse=True)
def login_failures_forgotten() -> None:
    """Every client of the suite comes from 127.0.0.1, and the counts live in Redis for minutes: a test's wrong
    logins or keys must not lock the next test out."""
    login_throttle.failures_clear(address="127.0.0.1")
