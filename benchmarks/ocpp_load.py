"""Load one portal node (one daphne process, or the web pool) with simulated chargers and print the figures.

    .venv/bin/python -m benchmarks.ocpp_load connect --chargers 10000 --rate 500
    .venv/bin/python -m benchmarks.ocpp_load meter --chargers 10000 --rate 1500 --duration 30
    .venv/bin/python -m benchmarks.ocpp_load start --chargers 2000 --rate 200
    .venv/bin/python -m benchmarks.ocpp_load all --chargers 500 --duration 10      # the quick run (make bench)
    .venv/bin/python -m benchmarks.ocpp_load connect --chargers 10000 --web-concurrency 2   # the Procfile's pool

Every run: creates and migrates its own PostgreSQL database, registers the chargers (bulk insert, each with its
own AuthorizationKey, Accepted so no BootNotification is needed), starts daphne exactly as production does,
connects the chargers with Basic auth, runs its phase(s), prints a table and stops everything it started.
See benchmarks/README.md for the targets and the figures measured.
"""

import argparse
import contextlib
import multiprocessing
import secrets
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from benchmarks import harness
from benchmarks.generator import worker_main

WARM_CHARGERS = 10
KIB_PER_CONNECTION_TARGET = 40
CONNECT_RATE_TARGET = 500
METER_RATE_TARGET = 1500
METER_P99_TARGET_MS = 100


# --- Generator processes ----------------------------------------------------------------------------------------


@dataclass
class Generators:
    pipes: list[Connection]
    processes: list[multiprocessing.Process]

    def ask(self, command: str, **arguments: object) -> list[dict]:
        """Send one command to every generator at once and wait for all results."""
        for pipe in self.pipes:
            pipe.send({"command": command, **arguments})
        return [pipe.recv() for pipe in self.pipes]

    def cpu_seconds(self) -> float:
        return sum(harness.cpu_seconds(p.pid) for p in self.processes if p.is_alive())


@contextlib.contextmanager
def generators_running(
    port: int, chargers: list[tuple[str, str]], count: int, target: Callable = worker_main
) -> Iterator[Generators]:
    """`count` generator processes, each with its slice of `chargers`; `target` is their main function."""
    context = multiprocessing.get_context("spawn")
    pipes, processes = [], []
    for i in range(count):
        parent_end, child_end = context.Pipe()
        process = context.Process(target=target, args=(child_end, "127.0.0.1", port, chargers[i::count]), daemon=True)
        process.start()
        pipes.append(parent_end)
        processes.append(process)
    try:
        yield Generators(pipes, processes)
    finally:
        for pipe, process in zip(pipes, processes, strict=True):
            with contextlib.suppress(OSError, BrokenPipeError):
                pipe.send({"command": "quit"})
            process.join(10)
            if process.is_alive():
                process.kill()
                process.join()


# --- Figures ------------------------------------------------------------------------------------------------------


def percentiles_ms(latencies: list[float]) -> dict[str, float]:
    if not latencies:
        return {"p50": float("nan"), "p90": float("nan"), "p99": float("nan"), "max": float("nan")}
    ordered = sorted(latencies)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return {"p50": at(0.50), "p90": at(0.90), "p99": at(0.99), "max": ordered[-1] * 1000}


def latency_text(latencies: list[float]) -> str:
    p = percentiles_ms(latencies)
    return f"p50 {p['p50']:.1f} / p90 {p['p90']:.1f} / p99 {p['p99']:.1f} / max {p['max']:.1f} ms"


@dataclass
class CpuWindow:
    """CPU used by each party during a phase, as a share of one core."""

    server_pid: int
    generators: Generators
    server_pids: list[int] | None = None  # the pool's daphne processes, summed; None: server_pid alone
    began: float = field(default_factory=time.perf_counter)
    start: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.server_pids = self.server_pids or [self.server_pid]
        self.start = self._sample()

    def _sample(self) -> dict[str, object]:
        return {
            "server": harness.summed_cpu_times(self.server_pids),
            "loop": sum(harness.main_thread_cpu_seconds(pid) for pid in self.server_pids),
            "generator": self.generators.cpu_seconds(),
            "postgres": harness.cpu_seconds_by_pid("postgres"),
            "redis": harness.cpu_seconds_by_pid("redis-server"),
        }

    def text(self, operations: int, unit: str) -> str:
        """Shares of one core, and the server's CPU per operation: the figure that other load on the machine
        distorts least (a starved server is slow, but spends about the same CPU per frame).
        PostgreSQL counts every backend on the machine, other people's test databases included."""
        wall = time.perf_counter() - self.began
        end = self._sample()
        user = end["server"][0] - self.start["server"][0]
        system = end["server"][1] - self.start["server"][1]
        used = {
            "server": user + system,
            "generator": end["generator"] - self.start["generator"],
            "postgres": harness.cpu_delta(self.start["postgres"], end["postgres"]),
            "redis": harness.cpu_delta(self.start["redis"], end["redis"]),
        }
        shares = " / ".join(f"{k} {100 * v / wall:.0f}%" for k, v in used.items())
        per = 1000 * used["server"] / max(1, operations)
        loop = 1000 * (end["loop"] - self.start["loop"]) / max(1, operations)
        return (
            f"{shares} of one core over {wall:.1f} s; server {per:.2f} ms CPU per {unit}: event loop thread "
            f"{loop:.2f}, database thread {per - loop:.2f} ({100 * system / max(1e-9, user + system):.0f}% kernel)"
        )


@dataclass
class Report:
    rows: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, figure: str, value: str, target: str = "") -> None:
        self.rows.append((figure, value, target))
        print(f"  {figure}: {value}" + (f"   [{target}]" if target else ""), flush=True)

    def print(self, title: str) -> None:
        width = max(len(r[0]) for r in self.rows)
        value_width = min(70, max(len(r[1]) for r in self.rows))
        print(f"\n{title}\n" + "=" * len(title))
        for figure, value, target in self.rows:
            print(f"{figure:<{width}}  {value:<{value_width}}  {target}")


def verdict(ok: bool, target: str) -> str:
    return f"{'MET' if ok else 'MISSED'}: {target}"


# --- Phases -------------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def maybe_profile(args: argparse.Namespace, pid: int, phase: str, seconds: float) -> Iterator[None]:
    if not args.profile:
        yield
        return
    output = Path(args.profile) / f"{phase}.txt"
    output.parent.mkdir(parents=True, exist_ok=True)
    # With a pool, py-spy records its first daphne process only (each serves its share of the chargers).
    with harness.py_spy_recording(pid, output, seconds):
        yield
    print(f"  py-spy profile of the {phase} phase: {output}", flush=True)


def phase_connect(args: argparse.Namespace, portal: harness.Portal, gens: Generators, report: Report) -> int:
    rss_before = portal.rss_kib()
    cpu = CpuWindow(portal.pid, gens, portal.server_pids)
    start_at = time.time() + 0.5
    with maybe_profile(args, portal.server_pids[0], "connect", args.chargers / args.connect_rate + 2):
        results = gens.ask(
            "connect",
            rate=args.connect_rate / len(gens.pipes),
            start_at=start_at,
            timeout=args.handshake_timeout,
            max_pending=args.max_pending // len(gens.pipes),
        )
    connected = sum(r["ok"] for r in results)
    failures: Counter[str] = Counter()
    for r in results:
        failures.update(r["failures"])
    wall = max(r["last_ok_at"] for r in results) - start_at
    cpu_text = cpu.text(args.chargers, "handshake attempted")
    time.sleep(2)  # let the connect writes land and the allocator settle before reading RSS
    rss_after = portal.rss_kib()
    per_connection = (rss_after - rss_before) / max(1, connected)
    latencies = [x for r in results for x in r["latencies"]]
    achieved = connected / wall if wall > 0 else float("nan")
    online = harness.online_count() - WARM_CHARGERS
    report.add("chargers connected", f"{connected} of {args.chargers} (online in the database: {online})")
    report.add(
        "connect rate",
        f"{achieved:.0f}/s achieved, {args.connect_rate:.0f}/s offered"
        + (f" (at most {args.max_pending} in flight)" if args.max_pending else " (open loop)"),
        verdict(achieved >= CONNECT_RATE_TARGET and not failures, f">= {CONNECT_RATE_TARGET}/s, no failure"),
    )
    report.add("failed handshakes", ", ".join(f"{k}: {v}" for k, v in failures.items()) or "none")
    report.add("handshake latency", latency_text(latencies))
    report.add("CPU during connect", cpu_text)
    report.add(
        "server RSS",
        f"{rss_before / 1024:.1f} MiB before, {rss_after / 1024:.1f} MiB after: "
        f"{per_connection:.1f} KiB per connection",
        verdict(per_connection <= KIB_PER_CONNECTION_TARGET, f"<= {KIB_PER_CONNECTION_TARGET} KiB"),
    )
    return connected


def phase_start(args: argparse.Namespace, portal: harness.Portal, gens: Generators, report: Report) -> None:
    cpu = CpuWindow(portal.pid, gens, portal.server_pids)
    with maybe_profile(args, portal.server_pids[0], "start", (args.start_count or args.chargers) / args.start_rate + 1):
        per_generator = None if args.start_count is None else args.start_count // len(gens.pipes)
        results = gens.ask(
            "start", rate=args.start_rate / len(gens.pipes), start_at=time.time() + 0.2, count=per_generator
        )
    latencies = [x for r in results for x in r["latencies"]]
    errors: Counter[str] = Counter()
    for r in results:
        errors.update(r["errors"])
    report.add(
        "StartTransaction",
        f"{len(latencies)} answered at {args.start_rate:.0f}/s offered, "
        f"{harness.table_count('transactions_transaction')} stored, errors: {dict(errors) or 'none'}",
    )
    report.add("StartTransaction round trip", latency_text(latencies))
    report.add("CPU during StartTransaction", cpu.text(len(latencies), "StartTransaction"))


def phase_meter(args: argparse.Namespace, portal: harness.Portal, gens: Generators, report: Report) -> None:
    rows_before = harness.table_count("transactions_metervalue")
    cpu = CpuWindow(portal.pid, gens, portal.server_pids)
    start_at = time.time() + 0.3
    with maybe_profile(args, portal.server_pids[0], "meter", args.duration + 1):
        results = gens.ask("meter", rate=args.meter_rate / len(gens.pipes), duration=args.duration, start_at=start_at)
    cpu_text = cpu.text(sum(r["ok"] for r in results), "MeterValues")
    rows = harness.table_count("transactions_metervalue") - rows_before
    answered = sum(r["ok"] for r in results)
    wall = max(r["answered_until"] for r in results) - start_at
    latencies = [x for r in results for x in r["latencies"]]
    errors: Counter[str] = Counter()
    for r in results:
        errors.update(r["errors"])
    p99 = percentiles_ms(latencies)["p99"]
    stored_rate = rows / 10 / wall
    report.add(
        "MeterValues offered",
        f"{args.meter_rate:.0f}/s for {args.duration:.0f} s: {sum(r['sent'] for r in results)} sent, "
        f"{sum(r['skipped'] for r in results)} skipped (charger busy), "
        f"{sum(r['unanswered'] for r in results)} unanswered, errors: {dict(errors) or 'none'}",
    )
    report.add(
        "MeterValues stored",
        f"{answered} answered, {rows} rows = {rows / 10:.0f} frames; {stored_rate:.0f} frames/s over {wall:.1f} s",
        verdict(stored_rate >= METER_RATE_TARGET, f">= {METER_RATE_TARGET}/s"),
    )
    report.add(
        "MeterValues round trip",
        latency_text(latencies),
        verdict(p99 < METER_P99_TARGET_MS, f"p99 < {METER_P99_TARGET_MS} ms at 1000/s offered"),
    )
    report.add("CPU during MeterValues", cpu_text)
    report.add("server RSS after MeterValues", f"{portal.rss_kib() / 1024:.1f} MiB")


def phase_close(portal: harness.Portal, gens: Generators, report: Report) -> None:
    began = time.perf_counter()
    gens.ask("close")
    deadline = time.monotonic() + 60
    while harness.online_count() > WARM_CHARGERS and time.monotonic() < deadline:
        time.sleep(0.2)
    still = harness.online_count() - WARM_CHARGERS
    report.add("disconnect", f"{still} still online {time.perf_counter() - began:.1f} s after closing all")


# --- Main ---------------------------------------------------------------------------------------------------------


def warm_up(portal: harness.Portal, warm: Generators) -> None:
    """Connect a few chargers and send each kind of frame once, so the baseline RSS already holds the pools,
    the compiled validators and the writers; the connections stay open."""
    results = warm.ask("connect", rate=100, start_at=time.time(), timeout=30)
    if results[0]["failures"]:
        log = portal.log_path.read_text()[-3000:]
        raise SystemExit(f"warm-up chargers could not connect: {results[0]['failures']}\n{log}")
    warm.ask("start", rate=100, start_at=time.time())
    warm.ask("meter", rate=50, duration=0.5, start_at=time.time())
    time.sleep(1)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", choices=["connect", "start", "meter", "all"])
    parser.add_argument("--chargers", type=int, default=10_000)
    parser.add_argument("--rate", type=float, help="rate of the scenario's own phase (connects, starts or frames /s)")
    parser.add_argument("--connect-rate", type=float, default=500)
    parser.add_argument("--start-rate", type=float, default=200)
    parser.add_argument(
        "--start-count", type=int, help="StartTransaction for this many chargers only (default: all of them)"
    )
    parser.add_argument("--meter-rate", type=float, default=1000)
    parser.add_argument("--duration", type=float, default=30, help="seconds of MeterValues")
    parser.add_argument("--workers", type=int, default=2, help="generator processes")
    parser.add_argument("--handshake-timeout", type=float, default=30)
    parser.add_argument(
        "--max-pending", type=int, default=0, help="cap handshakes in flight (0: open loop, the default)"
    )
    parser.add_argument(
        "--switch-interval", type=float, help="experiment: start daphne with sys.setswitchinterval(S) (default 0.005)"
    )
    parser.add_argument(
        "--daphne-option", action="append", default=[], help="extra daphne option, e.g. --daphne-option=-v0"
    )
    parser.add_argument(
        "--web-concurrency",
        type=int,
        metavar="N",
        help="start the Procfile's web pool (portal.daphne_pool, WEB_CONCURRENCY=N) instead of one daphne",
    )
    parser.add_argument("--profile", metavar="DIR", help="record the server with py-spy (raw stacks) into DIR")
    parser.add_argument("--database-url", default=harness.DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=harness.DEFAULT_REDIS_URL)
    args = parser.parse_args(argv)
    if args.web_concurrency is not None and args.web_concurrency < 1:
        parser.error("--web-concurrency must be 1 or more")
    if args.web_concurrency is not None and args.switch_interval is not None:
        # The pool's daphne processes are started by the pool, not by the harness's launcher.
        parser.error("--switch-interval applies to one daphne process, not to the pool")
    if args.rate is not None:
        name = {"connect": "connect_rate", "start": "start_rate", "meter": "meter_rate"}.get(args.scenario)
        if name is None:
            parser.error("--rate needs a single-phase scenario; use --connect/--start/--meter-rate with all")
        setattr(args, name, args.rate)
    return args


def server_text(portal: harness.Portal) -> str:
    if portal.web_concurrency is None:
        return f"one daphne process, pid {portal.pid}"
    pids = ", ".join(str(pid) for pid in portal.server_pids)
    return f"daphne pool pid {portal.pid}, WEB_CONCURRENCY={portal.web_concurrency}: daphne pids {pids}"


def run(args: argparse.Namespace) -> Report:
    report = Report()
    nofile = harness.raise_nofile_limit()
    load_before = harness.load_average()
    harness.database_prepare(args.database_url)
    secret = secrets.token_hex(8)
    seconds = harness.chargers_register(args.chargers + WARM_CHARGERS, secret)
    idents = harness.charger_ids(args.chargers + WARM_CHARGERS)
    chargers = [(ident, harness.charger_key(secret, ident)) for ident in idents]
    report.add("setup", f"{len(idents)} chargers registered in {seconds:.1f} s; RLIMIT_NOFILE {nofile}")
    with (
        harness.portal_running(
            args.database_url,
            args.redis_url,
            switch_interval=args.switch_interval,
            daphne_options=args.daphne_option,
            web_concurrency=args.web_concurrency,
        ) as portal,
        generators_running(portal.port, chargers[args.chargers :], 1) as warm,
        generators_running(portal.port, chargers[: args.chargers], args.workers) as gens,
    ):
        report.add("server", f"{server_text(portal)} on port {portal.port}, log {portal.log_path}")
        warm_up(portal, warm)
        phase_connect(args, portal, gens, report)
        if args.scenario in ("start", "meter", "all"):
            phase_start(args, portal, gens, report)
        if args.scenario in ("meter", "all"):
            phase_meter(args, portal, gens, report)
        phase_close(portal, gens, report)
        errors = [line for line in portal.log_path.read_text().splitlines() if " ERROR " in line]
        report.add("server log errors", f"{len(errors)}" + (f" (first: {errors[0][:100]})" if errors else ""))
    report.add("load average", f"{load_before} before, {harness.load_average()} after (2 cores)")
    return report


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    print(f"OCPP load: {args.scenario}, {args.chargers} chargers, {args.workers} generator processes", flush=True)
    report = run(args)
    server = "one daphne process" if args.web_concurrency is None else f"WEB_CONCURRENCY={args.web_concurrency}"
    report.print(f"{args.scenario}: {args.chargers} chargers, {server}, {time.strftime('%Y-%m-%d %H:%M')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
