"""The process supervisor of `make run`: starts the Procfile's processes, restarts one that dies, stops them all.

- The Procfile stays the one list of processes (and `honcho start` or `foreman start` still read it): each
  `name: command` line is split like a shell would and `$VAR` / `${VAR}` are taken from the environment.
- A process that dies is restarted after a short backoff (0.5 s, doubling to 5 s for one that keeps dying
  quickly, back to 0.5 s once it ran for a minute) while the others keep running; each death is logged.
- SIGTERM or Ctrl-C (SIGINT) stops them all: SIGTERM to each process group, up to STOP_GRACE seconds to exit,
  then SIGKILL to whatever is left (a second signal skips the wait). Each process runs in a process group of its
  own, so that a terminal's Ctrl-C reaches only this supervisor, which then stops everything in order.
- SIGKILL of the supervisor cannot be caught: on Linux each child asks the kernel to kill it when its parent
  dies (PR_SET_PDEATHSIG), so nothing it started outlives it.
"""

import contextlib
import ctypes
import functools
import os
import re
import selectors
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from string import Template

BACKOFF_FIRST = 0.5
BACKOFF_MAX = 5.0
STABLE_AFTER = 60.0  # a process that ran this long is healthy again: its next restart is quick
STOP_GRACE = 10.0
PROCFILE_LINE = re.compile(r"^([A-Za-z0-9_-]+):\s*(.+)$")
PR_SET_PDEATHSIG = 1  # linux/prctl.h


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    argv: tuple[str, ...]
    pass_fds: tuple[int, ...] = ()  # descriptors the process inherits (the web pool's listening socket)


def procfile_read(*, path: Path, env: dict[str, str]) -> list[ProcessSpec]:
    """The processes of a Procfile, with $VAR and ${VAR} taken from env (unknown ones are left as written)."""
    specs = []
    for line in path.read_text().splitlines():
        match = PROCFILE_LINE.match(line.strip())
        if match:
            argv = tuple(Template(word).safe_substitute(env) for word in shlex.split(match[2]))
            specs.append(ProcessSpec(match[1], argv))
    return specs


def _libc_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    # Loaded here, in the parent: a library loaded between fork and exec could deadlock on the loader's lock.
    return ctypes.CDLL(None, use_errno=True).prctl


_prctl = _libc_prctl()


def _die_with(parent_pid: int) -> None:
    """Runs in the child between fork and exec: the kernel kills it when the parent dies, however it dies."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:  # the parent died before the request took effect
        os.kill(os.getpid(), signal.SIGKILL)


def tied_to_this_process() -> Callable[[], None] | None:
    """A preexec_fn for subprocess.Popen that makes the child die with this process (None where unsupported).

    Call it from the thread that will outlive the child: Linux ties the child to the thread that forked it."""
    return functools.partial(_die_with, os.getpid()) if _prctl else None


def _signal_name(code: int) -> str:
    if code >= 0:
        return f"exit code {code}"
    with contextlib.suppress(ValueError):
        return f"killed by {signal.Signals(-code).name}"
    return f"killed by signal {-code}"


@dataclass
class Child:
    spec: ProcessSpec
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    quick_deaths: int = 0
    restart_at: float | None = None
    partial_line: bytes = b""


class Supervisor:
    def __init__(
        self,
        *,
        specs: list[ProcessSpec],
        env: dict[str, str],
        cwd: Path,
        name: str = "launcher",
        timestamps: bool = True,
    ) -> None:
        self.children = [Child(spec) for spec in specs]
        self.name = name
        self.env = env
        self.cwd = cwd
        # A supervisor under another (the web pool under `make run`) leaves the time to the outer one's prefix.
        self.timestamps = timestamps
        self.width = max(len(name), *(len(spec.name) for spec in specs))
        self.selector = selectors.DefaultSelector()
        self.stop_requested = 0  # signals received: 1 stops gracefully, 2 stops at once

    # --- Running -----------------------------------------------------------------------------------------

    def run(self) -> int:
        """Run until SIGTERM, SIGINT or SIGHUP, restarting what dies; returns once every process is gone."""
        wakeup_read, wakeup_write = os.pipe()
        os.set_blocking(wakeup_write, False)
        os.set_blocking(wakeup_read, False)
        self.selector.register(wakeup_read, selectors.EVENT_READ, None)
        # A signal writes a byte to the pipe, so the select below wakes at once, also for a child's death.
        signal.set_wakeup_fd(wakeup_write)
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):  # SIGHUP: the terminal went away
            signal.signal(signum, self._on_stop_signal)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        for child in self.children:
            self._start(child)
        while not self.stop_requested:
            self._pump(timeout=self._next_restart_in())
            self._reap_and_restart()
        self._stop_all()
        return 0

    def _on_stop_signal(self, signum: int, _frame: object) -> None:
        self.stop_requested += 1

    def _start(self, child: Child) -> None:
        if self.stop_requested:
            return
        child.restart_at = None
        child.started_at = time.monotonic()
        try:
            child.process = subprocess.Popen(
                child.spec.argv,
                env=self.env,
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                process_group=0,
                pass_fds=child.spec.pass_fds,
                preexec_fn=tied_to_this_process(),  # safe: the supervisor starts no threads
            )
        except OSError as error:  # a command that is not installed: said, and tried again like a death
            self._restart_later(child, f"could not start ({error})")
            return
        self.selector.register(child.process.stdout, selectors.EVENT_READ, child)
        self._say(f"{child.spec.name} started (pid {child.process.pid})")

    def _reap_and_restart(self) -> None:
        for child in self.children:
            if child.process is not None and child.process.poll() is not None:
                code = child.process.returncode
                self._kill_group(child.process.pid)  # anything it started goes with it
                child.process = None
                self._restart_later(child, f"died ({_signal_name(code)})")
            elif child.process is None and child.restart_at is not None and child.restart_at <= time.monotonic():
                self._start(child)

    def _restart_later(self, child: Child, what: str) -> None:
        now = time.monotonic()
        ran = now - child.started_at
        child.quick_deaths = child.quick_deaths + 1 if ran < STABLE_AFTER else 1
        delay = min(BACKOFF_FIRST * 2 ** (child.quick_deaths - 1), BACKOFF_MAX)
        child.restart_at = now + delay
        self._say(f"{child.spec.name} {what} after {ran:.1f} s: restart in {delay:g} s")

    def _next_restart_in(self) -> float:
        waits = [child.restart_at - time.monotonic() for child in self.children if child.restart_at is not None]
        return max(0.0, min(waits, default=1.0))

    # --- Output ------------------------------------------------------------------------------------------

    def _pump(self, timeout: float) -> None:
        """Copy what the children wrote to our stdout, each line prefixed with the time and its process's name."""
        for key, _ in self.selector.select(timeout):
            child = key.data
            if child is None:  # the signal wake-up pipe: just drain it
                with contextlib.suppress(BlockingIOError):
                    while os.read(key.fd, 512):
                        pass
                continue
            data = os.read(key.fd, 65536)
            if not data:  # the process closed its output: it has ended
                self.selector.unregister(key.fileobj)
                key.fileobj.close()
                data, child.partial_line = child.partial_line, b""
                if data:
                    self._write(child.spec.name, data)
                continue
            *lines, child.partial_line = (child.partial_line + data).split(b"\n")
            for line in lines:
                self._write(child.spec.name, line)

    def _write(self, name: str, line: bytes) -> None:
        # Our own output may be gone (a closed terminal): that must not take the processes down with it.
        with contextlib.suppress(OSError):
            clock = f"{time.strftime('%H:%M:%S')} " if self.timestamps else ""
            prefix = f"{clock}{name:<{self.width}} | ".encode()
            sys.stdout.buffer.write(prefix + line.rstrip(b"\r") + b"\n")
            sys.stdout.buffer.flush()

    def _say(self, text: str) -> None:
        self._write(self.name, text.encode())

    # --- Stopping ----------------------------------------------------------------------------------------

    def _stop_all(self) -> None:
        running = [child for child in self.children if child.process is not None]
        self._say("stopping: SIGTERM to " + ", ".join(f"{c.spec.name} ({c.process.pid})" for c in running))
        for child in running:
            self._signal_group(child.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        while self.stop_requested < 2 and time.monotonic() < deadline:
            if all(child.process.poll() is not None for child in running):
                break
            self._pump(timeout=0.1)
        for child in running:
            if child.process.poll() is None:
                self._say(f"{child.spec.name} ({child.process.pid}) did not stop in time: SIGKILL")
            self._kill_group(child.process.pid)  # stragglers, and whatever a process started and left behind
            child.process.wait()
        drained_by = time.monotonic() + 2.0
        while len(self.selector.get_map()) > 1 and time.monotonic() < drained_by:  # what they wrote last
            self._pump(timeout=0.1)
        self._say("stopped")

    def _kill_group(self, pgid: int) -> None:
        self._signal_group(pgid, signal.SIGKILL)

    @staticmethod
    def _signal_group(pgid: int, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):  # the group is already empty
            os.killpg(pgid, signum)
