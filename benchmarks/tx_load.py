"""Transactional OCPP messages under load, side by side with a bare Channels consumer (issue 15, item 3).

    .venv/bin/python -m benchmarks.tx_load tx --chargers 500 --duration 30          # sessions in a closed loop
    .venv/bin/python -m benchmarks.tx_load tx --chargers 500 --duration 30 --bare   # the same against the yardstick
    .venv/bin/python -m benchmarks.tx_load boot --chargers 2000                     # registered, never booted
    .venv/bin/python -m benchmarks.tx_load boot --chargers 2000 --unknown           # the portal does not know them

tx: N strict chargers (one CALL at a time, the next when the answer arrives), each running sessions back to back
(tx_generator.py: StatusNotification, StartTransaction, StatusNotification, 20 MeterValues, StatusNotification,
StopTransaction, StatusNotification); prints calls/s, p50/p99 per action, and the server's CPU per call.
boot: N connected chargers that never booted send BootNotification and a StatusNotification per connector, all at
once; prints boots/s (chargers whose every answer arrived / seconds to the last). With --unknown the chargers are
not registered and the portal runs with OCPP_REGISTRATION=accept: the connect creates them.
--bare: the same run against benchmarks/bare_consumer.py (daphne and Channels, no database).
"""

import argparse
import secrets
import sys
import time
from collections import Counter

from benchmarks import harness
from benchmarks.ocpp_load import CpuWindow, Report, generators_running, latency_text, maybe_profile
from benchmarks.tx_generator import tag_for, tx_worker_main

BARE_APPLICATION = "benchmarks.bare_consumer:application"
START_P99_TARGET_MS = 200
BOOT_RATE_TARGET = 200


def tags_register(idents: list[str]) -> None:
    from rfid.models import IdTag

    IdTag.objects.bulk_create([IdTag(id_tag=tag_for(ident)) for ident in idents], batch_size=5000)


def connect(args: argparse.Namespace, gens, report: Report) -> None:
    began = time.time()
    max_pending = args.max_pending // args.workers
    results = gens.ask(
        "connect", rate=args.connect_rate / args.workers, start_at=began, timeout=60, max_pending=max_pending
    )
    failures: Counter[str] = Counter()
    for r in results:
        failures.update(r["failures"])
    connected = sum(r["ok"] for r in results)
    wall = max(r["last_ok_at"] for r in results) - began
    report.add("connected", f"{connected} of {args.chargers} in {wall:.1f} s, failures: {dict(failures) or 'none'}")


def phase_tx(args: argparse.Namespace, portal: harness.Portal, gens, report: Report) -> None:
    cpu = CpuWindow(portal.pid, gens, portal.server_pids)
    start_at = time.time() + 0.5
    with maybe_profile(args, portal.pid, "tx", args.duration + 15):  # the sessions in flight finish after
        results = gens.ask("tx", duration=args.duration, start_at=start_at, meter_values=args.meter_values)
    latencies: dict[str, list[float]] = {}
    errors: Counter[str] = Counter()
    for r in results:
        errors.update(r["errors"])
        for action, values in r["latencies"].items():
            latencies.setdefault(action, []).extend(values)
    calls = sum(len(v) for v in latencies.values())
    wall = max(r["ended_at"] for r in results) - start_at
    report.add(
        "calls answered",
        f"{calls} in {wall:.1f} s: {calls / wall:.0f} calls/s, "
        f"{sum(r['sessions'] for r in results)} sessions, errors: {dict(errors) or 'none'}",
    )
    for action in sorted(latencies):
        text = f"{len(latencies[action])}: {latency_text(latencies[action])}"
        if action == "StartTransaction":
            p99 = sorted(latencies[action])[int(0.99 * (len(latencies[action]) - 1))] * 1000
            ok = p99 <= START_P99_TARGET_MS
            text += f"   [{'MET' if ok else 'MISSED'}: p99 <= {START_P99_TARGET_MS} ms]"
        report.add(f"  {action}", text)
    report.add("CPU", cpu.text(calls, "call"))
    if not args.bare:
        report.add("stored", f"{harness.table_count('transactions_transaction')} transactions")


def phase_boot(args: argparse.Namespace, portal: harness.Portal, gens, report: Report) -> None:
    cpu = CpuWindow(portal.pid, gens, portal.server_pids)
    start_at = time.time() + 0.5
    with maybe_profile(args, portal.pid, "boot", 10):
        results = gens.ask("boot", start_at=start_at, connectors=args.connectors)
    booted = sum(r["booted"] for r in results)
    wall = max(r["last_done_at"] for r in results) - start_at
    errors: Counter[str] = Counter()
    latencies: dict[str, list[float]] = {}
    for r in results:
        errors.update(r["errors"])
        for action, values in r["latencies"].items():
            latencies.setdefault(action, []).extend(values)
    rate = booted / wall if wall > 0 else float("nan")
    ok = rate >= BOOT_RATE_TARGET and not errors
    report.add(
        "boots",
        f"{booted} of {args.chargers} booted (BootNotification + {args.connectors + 1} StatusNotification) in "
        f"{wall:.1f} s: {rate:.0f} boots/s, errors: {dict(errors) or 'none'}"
        f"   [{'MET' if ok else 'MISSED'}: >= {BOOT_RATE_TARGET}/s]",
    )
    for action in sorted(latencies):
        report.add(f"  {action}", f"{len(latencies[action])}: {latency_text(latencies[action])}")
    calls = sum(len(v) for v in latencies.values())
    report.add("CPU", cpu.text(calls, "call"))


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", choices=["tx", "boot"])
    parser.add_argument("--chargers", type=int, default=500)
    parser.add_argument(
        "--duration", type=float, default=30, help="seconds in which sessions start (tx; those in flight finish)"
    )
    parser.add_argument("--meter-values", type=int, default=20, help="MeterValues per session (tx)")
    parser.add_argument("--connectors", type=int, default=2, help="connectors besides 0 that report status (boot)")
    parser.add_argument("--unknown", action="store_true", help="boot: chargers the portal does not know yet")
    parser.add_argument("--bare", action="store_true", help="against a bare Channels consumer (no database)")
    parser.add_argument("--connect-rate", type=float, default=200)
    parser.add_argument("--max-pending", type=int, default=40, help="handshakes in flight at most (the connect)")
    parser.add_argument("--workers", type=int, default=2, help="generator processes")
    parser.add_argument(
        "--web-concurrency", type=int, metavar="N", help="the Procfile's web pool of N daphnes instead of one"
    )
    parser.add_argument("--profile", metavar="DIR", help="record the server with py-spy (raw stacks) into DIR")
    parser.add_argument("--database-url", default=harness.DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=harness.DEFAULT_REDIS_URL)
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> Report:
    report = Report()
    harness.raise_nofile_limit()
    load_before = harness.load_average()
    harness.database_prepare(args.database_url)
    secret = secrets.token_hex(8)
    idents = harness.charger_ids(args.chargers)
    seconds = harness.chargers_register(0 if args.unknown else args.chargers, secret)
    tags_register(idents)
    report.add("setup", f"{0 if args.unknown else args.chargers} chargers registered in {seconds:.1f} s")
    env = {"OCPP_REGISTRATION": "accept"} if args.unknown else {}
    application = BARE_APPLICATION if args.bare else "portal.asgi:application"
    chargers = [(ident, harness.charger_key(secret, ident)) for ident in idents]
    with (
        harness.portal_running(
            args.database_url,
            args.redis_url,
            extra_env=env,
            application=application,
            web_concurrency=args.web_concurrency,
        ) as portal,
        generators_running(portal.port, chargers, args.workers, target=tx_worker_main) as gens,
    ):
        report.add("server", f"{'bare consumer' if args.bare else 'portal'}, pid {portal.pid}, log {portal.log_path}")
        connect(args, gens, report)
        (phase_tx if args.scenario == "tx" else phase_boot)(args, portal, gens, report)
        gens.ask("close")
        errors = [line for line in portal.log_path.read_text().splitlines() if " ERROR " in line]
        report.add("server log errors", f"{len(errors)}" + (f" (first: {errors[0][:100]})" if errors else ""))
    report.add("load average", f"{load_before} before, {harness.load_average()} after (2 cores)")
    return report


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    report = run(args)
    server = "bare consumer" if args.bare else "portal"
    server += f", WEB_CONCURRENCY={args.web_concurrency}" if args.web_concurrency else ", one daphne"
    report.print(f"{args.scenario}: {args.chargers} chargers, {server}, {time.strftime('%Y-%m-%d %H:%M')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
