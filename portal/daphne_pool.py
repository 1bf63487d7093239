"""`python -m portal.daphne_pool [daphne options]`: WEB_CONCURRENCY daphne processes serving one listening socket.

One Python process runs on one core: a node with several cores serves chargers and pages from several daphne
processes. This module binds `--bind`/`--port` once, then starts each daphne (portal.daphne_server) with `--fd`
on that socket: the kernel hands each new connection to one of the processes that wait in accept(), so no port
is taken twice and no process needs SO_REUSEPORT. The processes share nothing else: a charger's session lives in
the process that accepted it, and commands, events and pages reach it through the channel layer and the database
(DESIGN rule 7), as they would across nodes.

The processes are supervised like the Procfile's (portal/supervisor.py): a daphne that dies is restarted on the
same socket while the others keep serving; SIGTERM stops them all. `make run` and the Procfile start this module
as the `web` process; WEB_CONCURRENCY defaults to the number of cores.
"""

import argparse
import os
import socket
import sys
from pathlib import Path

from portal.supervisor import ProcessSpec, Supervisor
from portal.tls import tls_config, tls_options

BASE_DIR = Path(__file__).resolve().parent.parent
LISTEN_BACKLOG = 1024  # a fleet reconnecting after an outage arrives at once: queue them, do not refuse them


def listening_socket(*, host: str, port: int) -> socket.socket:
    """A bound, listening IPv4 TCP socket the daphne processes inherit.

    IPv4 only: daphne's `--fd` endpoint (its Twisted plugin) adopts a socket as AF_INET and cannot be told
    otherwise; an IPv6 front is a proxy's job (README: nginx)."""
    if ":" in host:
        raise SystemExit(f"HOST {host}: the web pool listens on IPv4 addresses only (put a proxy in front for IPv6)")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a restart must not wait for TIME_WAIT
    sock.bind((host, port))
    sock.listen(LISTEN_BACKLOG)
    sock.set_inheritable(True)
    return sock


def web_concurrency(env: dict[str, str]) -> int:
    """WEB_CONCURRENCY, or the number of cores this process may use."""
    configured = env.get("WEB_CONCURRENCY", "").strip()
    if configured:
        count = int(configured)
        if count < 1:
            raise ValueError(f"WEB_CONCURRENCY must be 1 or more, not {configured}")
        return count
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def daphne_specs(*, fd: int, count: int, daphne_args: list[str], tls_fd: int | None = None) -> list[ProcessSpec]:
    """One spec per daphne process, each on the inherited socket `fd` (and the TLS one, named in PORTAL_TLS_FD)."""
    argv = (sys.executable, "-m", "portal.daphne_server", "--fd", str(fd), *daphne_args)
    fds = (fd,) if tls_fd is None else (fd, tls_fd)
    return [ProcessSpec(f"web.{index}", argv, pass_fds=fds) for index in range(1, count + 1)]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m portal.daphne_pool", description=__doc__.split("\n\n")[0])
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args, daphne_args = parser.parse_known_args(argv)
    env = dict(os.environ)
    count = web_concurrency(env)
    sock = listening_socket(host=args.bind, port=args.port)
    tls = tls_config(env)
    tls_sock = None
    if tls is not None:
        tls_options(tls)  # a certificate that cannot be read stops the start here, said once, not in each daphne
        tls_sock = listening_socket(host=args.bind, port=tls.port)
        env["PORTAL_TLS_FD"] = str(tls_sock.fileno())
    tls_fd = tls_sock.fileno() if tls_sock else None
    specs = daphne_specs(fd=sock.fileno(), count=count, daphne_args=daphne_args, tls_fd=tls_fd)
    served = f"{args.bind}:{args.port}" + (f" and https/wss on {args.bind}:{tls.port}" if tls else "")
    print(f"{count} daphne process(es) on {served}", flush=True)
    return Supervisor(specs=specs, env=env, cwd=BASE_DIR, name="pool", timestamps=False).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
