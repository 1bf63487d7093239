"""What every benchmark needs around its load: a database, registered chargers, a daphne process, /proc figures.

The benchmark's own process talks to the database through the ORM (registration, counting rows); the server is
a separate daphne process started exactly as production starts it, so its RSS and CPU are its own.
"""

import contextlib
import hashlib
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/4"
CHARGER_PREFIX = "BENCH-"
ID_TAG = "BENCH0001"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def raise_nofile_limit() -> int:
    """Lift the soft open-files limit to the hard one; children (daphne, generators) inherit it."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- Database -------------------------------------------------------------------------------------------------


def database_prepare(database_url: str) -> None:
    """Create the database if missing (trust auth) and migrate it; then point this process's ORM at it."""
    name = database_url.rsplit("/", 1)[1]
    created = subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], capture_output=True, text=True)
    if created.returncode and "already exists" not in created.stderr:
        raise SystemExit(f"createdb {name} failed: {created.stderr}")
    env = dict(os.environ, DATABASE_URL=database_url)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=BASE_DIR, env=env, check=True)
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()


def charger_ids(count: int) -> list[str]:
    return [f"{CHARGER_PREFIX}{i:06d}" for i in range(count)]


def charger_key(secret: str, charge_point_id: str) -> str:
    """Each charger its own AuthorizationKey (40 hex), derivable by the generator processes from one secret."""
    return hashlib.sha1(f"{secret}:{charge_point_id}".encode(), usedforsecurity=False).hexdigest()


def chargers_register(count: int, secret: str) -> float:
    """Empty the benchmark tables, then bulk-insert `count` Accepted chargers with connectors 0 and 1 and an
    Accepted id tag. Accepted at registration: the chargers never need a BootNotification. Returns seconds."""
    from django.db import connection

    from chargers.models import ChargePoint, Connector, RegistrationStatus
    from chargers.services import auth_key_hash
    from rfid.models import IdTag

    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE chargers_chargepoint, chargers_messagelog, chargers_connectionattempt, "
            "transactions_transaction, transactions_metervalue, rfid_idtag RESTART IDENTITY CASCADE"
        )
    points = [
        ChargePoint(
            charge_point_id=ident,
            registration_status=RegistrationStatus.ACCEPTED,
            auth_key_hash=auth_key_hash(key=charger_key(secret, ident).encode()),
        )
        for ident in charger_ids(count)
    ]
    ChargePoint.objects.bulk_create(points, batch_size=2000)
    Connector.objects.bulk_create(
        [Connector(charge_point=p, connector_id=c) for p in points for c in (0, 1)], batch_size=4000
    )
    IdTag.objects.create(id_tag=ID_TAG)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE chargers_chargepoint")
        cursor.execute("VACUUM ANALYZE chargers_connector")
    return time.perf_counter() - began


def table_count(table: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (a constant table name)
        return cursor.fetchone()[0]


def online_count() -> int:
    from chargers.models import ChargePoint

    return ChargePoint.objects.filter(is_online=True).count()


# --- /proc figures ------------------------------------------------------------------------------------------------


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_times(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds of a process, all its threads (utime and stime of /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) / CLOCK_TICKS, int(fields[12]) / CLOCK_TICKS


def cpu_seconds(pid: int) -> float:
    return sum(cpu_times(pid))


def main_thread_cpu_seconds(pid: int) -> float:
    """CPU of the main thread alone (in daphne: the event loop; the other threads are the database thread(s))."""
    return sum(cpu_times_of_task(pid, pid))


def cpu_times_of_task(pid: int, tid: int) -> tuple[float, float]:
    fields = Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) / CLOCK_TICKS, int(fields[12]) / CLOCK_TICKS


def children_pids(pid: int) -> list[int]:
    """The direct children of a process (the pool's daphne processes), found by their parent pid in /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            # The fourth field of /proc/<pid>/stat (after the parenthesised name) is the parent pid.
            if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def summed_cpu_times(pids: list[int]) -> tuple[float, float]:
    """(user, system) CPU seconds summed over several processes (the pool's daphne processes)."""
    times = [cpu_times(pid) for pid in pids]
    return sum(t[0] for t in times), sum(t[1] for t in times)


def cpu_seconds_by_pid(command_name: str) -> dict[int, float]:
    """CPU of every process with this name (all PostgreSQL backends, redis-server), by pid."""
    found: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if (entry / "comm").read_text().strip() == command_name:
                found[int(entry.name)] = cpu_seconds(int(entry.name))
    return found


def cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between two cpu_seconds_by_pid samples; a process that exited in between is left out (its last
    moments are lost), one that started counts whole."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# --- The server ---------------------------------------------------------------------------------------------------


@dataclass
class Portal:
    port: int
    process: subprocess.Popen
    log_path: Path
    web_concurrency: int | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def server_pids(self) -> list[int]:
        """The processes that serve: the one daphne, or the pool's daphne children (the pool process itself only
        supervises; its CPU and RSS are not the server's)."""
        return [self.pid] if self.web_concurrency is None else children_pids(self.pid)

    def rss_kib(self) -> int:
        return sum(rss_kib(pid) for pid in self.server_pids)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _wait_for_pool(portal: "Portal", timeout: float = 60) -> None:
    """The pool binds the port before its daphne processes run: ready is when all of them are up and one
    answers HTTP (a handshake queued in the backlog meanwhile would count against the connect rate)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if portal.process.poll() is not None:
            raise RuntimeError(f"the daphne pool exited with {portal.process.returncode}")
        if len(portal.server_pids) == portal.web_concurrency:
            with contextlib.suppress(OSError):
                url = f"http://127.0.0.1:{portal.port}/accounts/login/"
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
        time.sleep(0.2)
    raise TimeoutError(f"the daphne pool on {portal.port} is not ready after {timeout}s")


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"daphne exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.1)
    raise TimeoutError(f"daphne does not listen on {port} after {timeout}s")


@contextlib.contextmanager
def portal_running(
    database_url: str,
    redis_url: str,
    extra_env: dict[str, str] | None = None,
    switch_interval: float | None = None,
    daphne_options: list[str] | None = None,
    web_concurrency: int | None = None,
    application: str = "portal.asgi:application",
) -> Iterator[Portal]:
    """One daphne process, as production starts it, refusing unknown chargers; stopped when the block ends.

    `web_concurrency`: the Procfile's web pool instead (portal.daphne_pool with WEB_CONCURRENCY=N): N daphne
    processes on one listening socket; figures are then summed over the pool's daphne children.

    `daphne_options` are added to the command line (e.g. "--access-log=/dev/null" to measure the access log).
    `switch_interval` (an experiment, not how production starts): run daphne with sys.setswitchinterval(s), to
    measure how much the database thread waits for the GIL behind the event loop (default 5 ms).
    `application`: the ASGI application daphne serves (benchmarks.bare_consumer:application for a yardstick)."""
    port = free_port()
    log_path = Path(f"/tmp/bench-daphne-{port}.log")  # noqa: S108 (a log for the reader, not a secret)
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        OCPP_REGISTRATION="reject",
        PYTHONUNBUFFERED="1",
        CHANNEL_PREFIX=f"bench{port}",
    )
    env.update(extra_env or {})  # may override the defaults above (OCPP_REGISTRATION=accept for boot storms)
    if web_concurrency is not None:
        env["WEB_CONCURRENCY"] = str(web_concurrency)
    # The servers the Procfile starts: the pool of several daphne processes, or one daphne.
    launcher = ["-m", "portal.daphne_pool" if web_concurrency is not None else "portal.daphne_server"]
    if switch_interval is not None:
        code = "import runpy, sys; sys.setswitchinterval(%s); runpy.run_module(%r, run_name='__main__')"
        code %= (switch_interval, launcher[1])
        launcher = ["-c", code]
    command = [
        sys.executable,
        *launcher,
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--websocket_timeout",
        "-1",
        *(daphne_options or []),
        application,
    ]
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    portal = Portal(port, process, log_path, web_concurrency)
    try:
        _wait_for_port(port, process)
        if web_concurrency is not None:
            _wait_for_pool(portal)
        yield portal
    finally:
        portal.stop()


@contextlib.contextmanager
def py_spy_recording(pid: int, output: Path, seconds: float, fmt: str = "raw") -> Iterator[None]:
    """Sample the server with py-spy for `seconds` while the block runs (stopped at the end if still going)."""
    py_spy = Path(sys.executable).parent / "py-spy"
    if not py_spy.exists():
        raise SystemExit("py-spy is missing: .venv/bin/pip install py-spy (not a project requirement)")
    command = [str(py_spy), "record", "--pid", str(pid), "--format", fmt, "-o", str(output)]
    command += ["--duration", str(max(1, int(seconds))), "--rate", "200", "--nonblocking", "--threads"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        try:
            process.wait(seconds + 30)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGINT)
            process.wait(10)
