"""`make run` (python -m portal.launcher run) keeps the node serving when one of its processes dies, and whatever
it started stops with it, whether it is stopped with SIGTERM or killed with SIGKILL.

These start the real launcher on a free port with a temporary SQLite database and its embedded Redis
(REDIS_URL unset). Every process it starts inherits a marker in its environment: /proc tells which processes
those are, also after they left the launcher's tree (an orphan is re-parented to init).
"""

import asyncio
import http.client
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.conftest import BASE_DIR, free_port
from tests.simulator import SimulatedCharger

RESTART_DEADLINE = 10.0  # INTERFACES.md: a dead daphne or Celery process is back within 10 s
ROLES = {"web": ("daphne",), "worker": ("celery", "worker"), "beat": ("celery", "beat")}


class Process(NamedTuple):
    parent: int
    started: int  # clock ticks after boot: tells a process from a later one that reuses its pid
    cmdline: str
    marked: bool


def process_table(marker: str) -> dict[int, Process]:
    """Every live process (zombies count as gone), and whether its environment holds `marker`."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            environ = Path(f"/proc/{entry}/environ").read_bytes()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # gone meanwhile
            continue
        # The command name in parentheses may hold spaces: the fields after its closing parenthesis are fixed.
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z":
            table[int(entry)] = Process(int(fields[1]), int(fields[19]), cmdline.strip(), marker.encode() in environ)
    return table


def wait_until(condition: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout:g}s: {what}")


def answers_http(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/accounts/login/")
        return connection.getresponse().status < 500
    except OSError:
        return False
    finally:
        connection.close()


class Launcher:
    def __init__(self, sqlite_url: str, log: Path) -> None:
        self.port = free_port()
        self.marker = f"LAUNCHER_TEST_MARKER={uuid.uuid4().hex}"
        self.log = log
        self.seen: dict[int, Process] = {}
        env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
        env.update(HOST="127.0.0.1", PORT=str(self.port), DATABASE_URL=sqlite_url, PYTHONUNBUFFERED="1")
        # The Procfile's FTP server too, on a port of its own (several launchers may run at once).
        env.update(FTP_PORT=str(free_port()), FTP_PASSIVE_PORTS="")
        # One daphne: these tests follow "the" web process (tests/e2e/test_daphne_pool.py runs several).
        env["WEB_CONCURRENCY"] = "1"
        env.update([self.marker.split("=")])
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "portal.launcher", "run"],
                cwd=BASE_DIR,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    def started(self) -> dict[int, Process]:
        """Every live process the launcher started: those below it, those that were (an orphan goes to init),
        and those with its marker (valkey-server writes its title over its environment: the marker alone would
        miss it)."""
        table = process_table(self.marker)
        below, frontier = set(), [self.process.pid]
        while frontier:
            parent = frontier.pop()
            children = {pid for pid, process in table.items() if process.parent == parent and pid not in below}
            below |= children
            frontier.extend(children)
        self.seen.update((pid, table[pid]) for pid in below)
        alive = {pid for pid, process in self.seen.items() if pid in table and table[pid].started == process.started}
        marked = {pid for pid, process in table.items() if process.marked and pid != self.process.pid}
        return {pid: table[pid] for pid in alive | marked}

    def role(self, role: str) -> int | None:
        """The pid of the one live process of a role (web: daphne, worker, beat), or None."""
        started = self.started()
        matching = {pid for pid, process in started.items() if all(word in process.cmdline for word in ROLES[role])}
        # A shell that runs the command matches too: the process itself is the match that is no match's parent.
        inner = matching - {started[pid].parent for pid in matching}
        return inner.pop() if len(inner) == 1 else None

    def wait_until_serving(self) -> None:
        wait_until(lambda: answers_http(self.port) or self.process.poll() is not None, 60, "the portal answers")
        assert self.process.poll() is None, self.log.read_text()
        wait_until(lambda: all(self.role(role) for role in ROLES), 30, "daphne, worker and beat run")

    def clean_up(self) -> None:
        """Whatever is left of this launcher's processes (after a failed test) is killed."""
        self.process.kill()
        self.process.wait()
        for pid in self.started():
            os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def sqlite_url(tmp_path_factory) -> str:
    """One database file for the module: the next launcher finds it migrated already."""
    return f"sqlite:///{tmp_path_factory.mktemp('launcher') / 'portal.sqlite3'}"


@pytest.fixture
def launcher(sqlite_url, tmp_path) -> Iterator[Launcher]:
    started = Launcher(sqlite_url, tmp_path / "launcher.log")
    try:
        yield started
    finally:
        started.clean_up()


def hold_a_charger_connected(port: int) -> None:
    """A charger that stays connected (in a thread of its own) until the server closes its socket."""
    connected = threading.Event()

    async def hold() -> None:
        charger = SimulatedCharger(f"ws://127.0.0.1:{port}/ocpp", "HOLD-1", password="a-key-of-sixteen-or-more")
        async with charger as sim:
            connected.set()
            await sim.closed.wait()

    threading.Thread(target=asyncio.run, args=(hold(),), daemon=True).start()
    assert connected.wait(20)


def test_a_killed_daphne_or_worker_comes_back_within_10_s_and_sigterm_then_stops_everything(launcher) -> None:
    launcher.wait_until_serving()
    worker, beat = launcher.role("worker"), launcher.role("beat")
    os.kill(launcher.role("web"), signal.SIGKILL)
    killed_at = time.monotonic()
    wait_until(lambda: launcher.role("web") and answers_http(launcher.port), RESTART_DEADLINE, "a new daphne answers")
    assert time.monotonic() - killed_at < RESTART_DEADLINE
    assert (launcher.role("worker"), launcher.role("beat")) == (worker, beat)

    web = launcher.role("web")
    os.kill(worker, signal.SIGKILL)
    new_worker = wait_until(lambda: launcher.role("worker"), RESTART_DEADLINE, "a new worker runs")
    assert new_worker != worker
    assert (launcher.role("web"), launcher.role("beat")) == (web, beat)
    assert launcher.process.poll() is None
    assert "worker died (killed by SIGKILL)" in launcher.log.read_text()

    # The restarted processes, the embedded Redis and a daphne with a charger to close: SIGTERM stops them all.
    hold_a_charger_connected(launcher.port)
    assert any("valkey" in process.cmdline for process in launcher.started().values())
    launcher.process.send_signal(signal.SIGTERM)
    assert launcher.process.wait(30) == 0
    wait_until(lambda: not launcher.started(), 5, "every process the launcher started is gone")


def test_sigterm_while_the_processes_are_starting_leaves_none_behind(launcher) -> None:
    wait_until(lambda: launcher.role("web") or launcher.role("worker"), 60, "the first process starts")
    launcher.process.send_signal(signal.SIGTERM)
    assert launcher.process.wait(30) == 0
    wait_until(lambda: not launcher.started(), 5, "every process the launcher started is gone")


def test_sigkill_of_the_launcher_takes_the_embedded_redis_and_the_others_with_it(launcher) -> None:
    launcher.wait_until_serving()
    assert any("valkey" in process.cmdline for process in launcher.started().values())
    launcher.process.kill()
    launcher.process.wait()
    wait_until(lambda: not launcher.started(), 5, "every process the launcher started is gone")
