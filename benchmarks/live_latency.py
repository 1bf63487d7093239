"""The live feed under load: how long a charger's reading takes to reach the pages watching, and what the watching
costs the chargers' MeterValues.

    .venv/bin/python -m benchmarks.live_latency latency --chargers 1000 --interval 10 --duration 30 --watchers 50
    .venv/bin/python -m benchmarks.live_latency throughput --chargers 500 --duration 10 --watchers 50 --rounds 2

`latency`: every charger sends one MeterValues per `--interval` seconds, each reading stamped with the time it
is sent (to the microsecond); `--watchers` websocket clients speak the browser protocol of ws/live/ (a logged-in
operator's session cookie, the page's Origin, `{"watch": [...]}`): `--fleet-watchers` of them watch the fleet,
the others each the charger feeds of an equal share of the chargers. A watcher's latency is the time it receives
a `meter_values` event minus the reading's timestamp: frame sent, stored, published after commit, through Redis,
to the socket. Same machine, same clock.

`throughput`: `benchmarks.ocpp_load meter` as `make bench` runs it (1 000 frames/s offered), once without and once
with the watchers attached, `--rounds` times in turn (the machine is shared: alternate, and compare the CPU per
frame, which other load distorts least).

See benchmarks/README.md for the figures measured.
"""

import argparse
import contextlib
import multiprocessing
import secrets
import sys
import time
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path

from benchmarks import harness
from benchmarks.live_watchers import watchers_main
from benchmarks.ocpp_load import (
    WARM_CHARGERS,
    CpuWindow,
    Generators,
    Report,
    generators_running,
    latency_text,
    percentiles_ms,
    verdict,
    warm_up,
)

LATENCY_P99_TARGET_MS = 100
THROUGHPUT_DROP_TARGET = 0.10
OPERATOR = "bench-operator"


# --- The watchers -------------------------------------------------------------------------------------------------


def operator_cookie() -> str:
    """A logged-in operator's session cookie in the benchmark's database, as a browser would hold it."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission
    from django.test import Client

    user, _ = get_user_model().objects.get_or_create(username=OPERATOR, defaults={"is_staff": True})
    user.user_permissions.set(Permission.objects.filter(codename__in=["view_chargepoint", "view_transaction"]))
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def watch_lists(charger_pks: list[int], watchers: int, fleet_watchers: int) -> list[list[str]]:
    """What each watcher watches: the fleet, or the charger feeds of its share of the chargers."""
    lists = [["fleet"] for _ in range(min(fleet_watchers, watchers))]
    others = watchers - len(lists)
    for i in range(others):
        lists.append([f"charger:{pk}" for pk in charger_pks[i::others]])
    return lists


def charger_pks(count: int) -> list[int]:
    from chargers.models import ChargePoint

    idents = harness.charger_ids(count)
    by_ident = dict(ChargePoint.objects.filter(charge_point_id__in=idents).values_list("charge_point_id", "pk"))
    return [by_ident[ident] for ident in idents]


@contextlib.contextmanager
def watchers_running(port: int, lists: list[list[str]]) -> Iterator[Connection]:
    """A process of its own holding every watcher's websocket; yields once all of them have their snapshot."""
    if not lists:
        yield None
        return
    context = multiprocessing.get_context("spawn")
    parent_end, child_end = context.Pipe()
    process = context.Process(target=watchers_main, args=(child_end, port, operator_cookie(), lists), daemon=True)
    process.start()
    try:
        ready = parent_end.recv()
        if ready.get("failed"):
            raise SystemExit(f"watchers could not watch: {ready['failed']}")
        yield parent_end
    finally:
        with contextlib.suppress(OSError, BrokenPipeError):
            parent_end.send({"command": "quit"})
        process.join(10)
        if process.is_alive():
            process.kill()
            process.join()


# --- Runs ---------------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def fleet_running(args: argparse.Namespace, report: Report) -> Iterator[tuple[harness.Portal, Generators]]:
    """Database, chargers, one daphne, the generators; every charger connected and charging."""
    harness.raise_nofile_limit()
    harness.database_prepare(args.database_url)
    secret = secrets.token_hex(8)
    idents = harness.charger_ids(args.chargers + WARM_CHARGERS)
    harness.chargers_register(len(idents), secret)
    chargers = [(ident, harness.charger_key(secret, ident)) for ident in idents]
    with (
        harness.portal_running(args.database_url, args.redis_url) as portal,
        generators_running(portal.port, chargers[args.chargers :], 1) as warm,
        generators_running(portal.port, chargers[: args.chargers], args.workers) as gens,
    ):
        warm_up(portal, warm)
        results = gens.ask("connect", rate=500 / len(gens.pipes), start_at=time.time() + 0.2, timeout=30)
        results = gens.ask("start", rate=args.start_rate / len(gens.pipes), start_at=time.time() + 0.2)
        started = sum(len(r["latencies"]) for r in results)
        errors = {k: v for r in results for k, v in r["errors"].items()}
        report.add(
            "chargers",
            f"{args.chargers} connected, {started} charging (StartTransaction errors: {errors or 'none'}); "
            f"daphne pid {portal.pid}",
        )
        yield portal, gens
        gens.ask("close")


def meter(gens: Generators, portal: harness.Portal, rate: float, duration: float, real_timestamps: bool) -> dict:
    rows_before = harness.table_count("transactions_metervalue")
    cpu = CpuWindow(portal.pid, gens)
    start_at = time.time() + 0.3
    per = rate / len(gens.pipes)
    results = gens.ask("meter", rate=per, duration=duration, start_at=start_at, real_timestamps=real_timestamps)
    answered = sum(r["ok"] for r in results)
    rows = harness.table_count("transactions_metervalue") - rows_before
    wall = max(r["answered_until"] for r in results) - start_at
    return {
        "answered": answered,
        "stored_rate": rows / 10 / wall,
        "cpu": cpu.text(answered, "MeterValues"),
        "cpu_ms": cpu_ms_per_frame(cpu, answered),
        "round_trip": [x for r in results for x in r["latencies"]],
        "start_at": start_at,
    }


def cpu_ms_per_frame(cpu: CpuWindow, frames: int) -> float:
    used = sum(harness.cpu_times(cpu.server_pid)) - sum(cpu.start["server"])
    return 1000 * used / max(1, frames)


def run_latency(args: argparse.Namespace) -> Report:
    report = Report()
    load_before = harness.load_average()
    with fleet_running(args, report) as (portal, gens):
        lists = watch_lists(charger_pks(args.chargers), args.watchers, args.fleet_watchers)
        with watchers_running(portal.port, lists) as watchers:
            rate = args.chargers / args.interval
            measured = meter(gens, portal, rate, args.duration, real_timestamps=True)
            time.sleep(2)  # the last events on their way
            watchers.send({"command": "report", "since": measured["start_at"]})
            seen = watchers.recv()
        fleet = [x for w in seen["latencies"][: args.fleet_watchers] for x in w]
        chargers = [x for w in seen["latencies"][args.fleet_watchers :] for x in w]
        everything = fleet + chargers
        p99 = percentiles_ms(everything)["p99"]
        report.add("MeterValues", f"{rate:.0f}/s offered for {args.duration:.0f} s, {measured['answered']} answered")
        report.add("readings seen by each fleet watcher", ", ".join(str(len(w)) for w in seen["latencies"][:5]) + " …")
        report.add("latency, all watchers", f"{len(everything)} events: " + latency_text(everything))
        report.add("latency, fleet watchers", latency_text(fleet))
        report.add("latency, charger watchers", latency_text(chargers))
        report.add("verdict", verdict(p99 <= LATENCY_P99_TARGET_MS, f"p99 <= {LATENCY_P99_TARGET_MS} ms"))
        report.add("MeterValues round trip", latency_text(measured["round_trip"]))
        report.add("CPU during MeterValues", measured["cpu"])
        report.add("watcher errors", str(seen["errors"] or "none"))
    report.add("load average", f"{load_before} before, {harness.load_average()} after (2 cores)")
    return report


@contextlib.contextmanager
def profiled(args: argparse.Namespace, portal: harness.Portal, watched: bool) -> Iterator[None]:
    """py-spy on the server during the MeterValues (`--profile DIR`; summarise with benchmarks.profile_summary)."""
    if not args.profile:
        yield
        return
    output = Path(args.profile) / f"meter-{'watched' if watched else 'unwatched'}.txt"
    output.parent.mkdir(parents=True, exist_ok=True)
    with harness.py_spy_recording(portal.pid, output, args.duration + 1):
        yield
    print(f"  py-spy profile: {output}", flush=True)


def run_throughput(args: argparse.Namespace) -> Report:
    report = Report()
    figures: dict[bool, list[dict]] = {False: [], True: []}
    for _ in range(args.rounds):
        for watched in (False, True):
            with fleet_running(args, report) as (portal, gens):
                lists = watch_lists(charger_pks(args.chargers), args.watchers, args.fleet_watchers) if watched else []
                with watchers_running(portal.port, lists), profiled(args, portal, watched):
                    measured = meter(gens, portal, args.meter_rate, args.duration, real_timestamps=False)
            figures[watched].append(measured)
            label = f"with {args.watchers} watchers" if watched else "without watchers"
            report.add(
                f"MeterValues {label}",
                f"{measured['stored_rate']:.0f} frames/s stored, {measured['cpu_ms']:.2f} ms server CPU per frame, "
                f"round trip {latency_text(measured['round_trip'])}",
            )
    rate = {w: sum(m["stored_rate"] for m in f) / len(f) for w, f in figures.items()}
    cpu = {w: sum(m["cpu_ms"] for m in f) / len(f) for w, f in figures.items()}
    drop = 1 - rate[True] / rate[False]
    report.add(
        "throughput drop",
        f"{100 * drop:.1f}% ({rate[False]:.0f} -> {rate[True]:.0f} frames/s); CPU per frame "
        f"{cpu[False]:.2f} -> {cpu[True]:.2f} ms (+{100 * (cpu[True] / cpu[False] - 1):.0f}%)",
        verdict(drop <= THROUGHPUT_DROP_TARGET, f"drop <= {100 * THROUGHPUT_DROP_TARGET:.0f}%"),
    )
    return report


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", choices=["latency", "throughput"])
    parser.add_argument("--chargers", type=int, help="default: 1000 for latency, 500 for throughput")
    parser.add_argument("--interval", type=float, default=10, help="latency: seconds between a charger's frames")
    parser.add_argument("--meter-rate", type=float, default=1000, help="throughput: frames/s offered")
    parser.add_argument("--duration", type=float, help="seconds of MeterValues (default: 30 latency, 10 throughput)")
    parser.add_argument("--start-rate", type=float, default=50, help="StartTransaction/s before the readings")
    parser.add_argument("--watchers", type=int, default=50)
    parser.add_argument("--fleet-watchers", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=1, help="throughput: runs without and with watchers, in turn")
    parser.add_argument("--workers", type=int, default=2, help="generator processes")
    parser.add_argument("--profile", metavar="DIR", help="throughput: record the server with py-spy into DIR")
    parser.add_argument("--database-url", default=harness.DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=harness.DEFAULT_REDIS_URL)
    args = parser.parse_args(argv)
    latency = args.scenario == "latency"
    args.chargers = args.chargers or (1000 if latency else 500)
    args.duration = args.duration or (30 if latency else 10)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    print(f"live feed: {args.scenario}, {args.chargers} chargers, {args.watchers} watchers", flush=True)
    report = run_latency(args) if args.scenario == "latency" else run_throughput(args)
    report.print(f"live feed {args.scenario}: {args.chargers} chargers, {time.strftime('%Y-%m-%d %H:%M')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
