"""What site load management costs: the allocator alone on a big site, and the loop (database, commands) under churn.

    .venv/bin/python -m benchmarks.site_load [--chargers 500] [--limit-a 1500] [--churn 30] [--minutes 1]

Prints:
- allocate: the pure allocator on `--chargers` sessions (a site and three circuits, a mix of one- and three-phase
  cars and priorities), median and worst of 50 runs;
- loop: `--chargers` chargers on one site with sessions running, then `--minutes` simulated minutes in which
  `--churn` sessions a minute stop and as many start, spread evenly. Each second: the stops and starts, a round (as
  the subscriber queues one per event batch), every open profile answered Accepted at once, and the round the
  answers bring. Figures: the time of a round, and the SetChargingProfile commands queued per minute (TxProfiles).
Uses its own database (bench_load, created and migrated when missing). Not part of the suite.
"""

import argparse
import os
import random
import statistics
import time
from decimal import Decimal

from benchmarks.harness import database_prepare

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_load"


def bench_allocate(chargers: int, limit_a: float) -> None:
    from transactions.load.allocator import Circuit, Session, allocate

    rng = random.Random(14)
    circuits = [Circuit(1, limit_a), Circuit(2, limit_a / 3, 1), Circuit(3, limit_a / 3, 1), Circuit(4, None, 2)]
    sessions = [
        Session(
            key=n,
            circuit=rng.choice([1, 2, 3, 4]),
            phases=rng.choice([1, 3, 3]),
            phase=rng.choice([1, 2, 3]),
            priority=rng.choice([0, 0, 1]),
            max_a=rng.choice([16.0, 32.0]),
        )
        for n in range(chargers)
    ]
    times = []
    for _ in range(50):
        started = time.perf_counter()
        limits = allocate(circuits=circuits, sessions=sessions)
        times.append(time.perf_counter() - started)
    paused = sum(1 for limit in limits.values() if limit == 0)
    print(
        f"allocate: {chargers} sessions, 4 circuits: median {statistics.median(times) * 1000:.1f} ms, "
        f"worst {max(times) * 1000:.1f} ms ({paused} paused)"
    )


def _site(chargers: int, limit_a: float):
    from chargers.models import ChargePoint, Command, RegistrationStatus
    from transactions.models import LoadAllocation, Site, Transaction
    from transactions.sites.services import site_save

    LoadAllocation.objects.all().delete()
    Command.objects.all().delete()
    Transaction.objects.all().delete()
    ChargePoint.objects.all().delete()
    Site.objects.all().delete()
    site = site_save(name="Bench depot", grid_limit_a=Decimal(str(limit_a)))
    fleet = ChargePoint.objects.bulk_create(
        ChargePoint(
            charge_point_id=f"LOAD-BENCH-{n:05d}",
            registration_status=RegistrationStatus.ACCEPTED,
            site=site,
            is_online=True,
            channel_name=f"specific.bench{n}",
        )
        for n in range(chargers)
    )
    return site, fleet


def _start(charge_point) -> None:
    from django.utils import timezone

    from transactions.models import Transaction

    Transaction.objects.create(
        charge_point=charge_point,
        connector_id=1,
        id_tag="BENCH",
        id_tag_status="Accepted",
        meter_start_wh=0,
        started_at=timezone.now(),
    )


def _answer_all() -> int:
    from chargers.models import Command, CommandStatus

    return Command.objects.filter(status__in=[CommandStatus.QUEUED, CommandStatus.SENT]).update(
        status=CommandStatus.ACCEPTED
    )


def bench_loop(chargers: int, limit_a: float, churn: int, minutes: int) -> None:
    from django.utils import timezone

    from chargers.models import Command
    from transactions.load.services import site_load_balance
    from transactions.models import Transaction

    site, fleet = _site(chargers, limit_a)
    for charge_point in fleet:
        _start(charge_point)
    started = time.perf_counter()
    first = site_load_balance(site=site)
    _answer_all()
    site_load_balance(site=site)
    print(f"loop: first round of {chargers} sessions {time.perf_counter() - started:.2f} s, {len(first)} profiles")
    _answer_all()
    before = Command.objects.count()
    rng, rounds, carry = random.Random(14), [], 0.0
    for _second in range(60 * minutes):
        carry += churn / 60
        for _ in range(int(carry)):
            victim = Transaction.objects.filter(stopped_at__isnull=True).order_by("?").first()
            Transaction.objects.filter(pk=victim.pk).update(stopped_at=timezone.now(), meter_stop_wh=1)
            busy = set(Transaction.objects.filter(stopped_at__isnull=True).values_list("charge_point_id", flat=True))
            _start(rng.choice([cp for cp in fleet if cp.pk not in busy]))
        carry -= int(carry)
        for _ in range(2):  # the event's round, then the round the answers bring
            tick = time.perf_counter()
            site_load_balance(site=site)
            rounds.append(time.perf_counter() - tick)
            _answer_all()
    sent = Command.objects.count() - before
    print(
        f"loop: {churn} starts and {churn} stops a minute for {minutes} min: {sent / minutes:.0f} profiles a minute; "
        f"a round median {statistics.median(rounds) * 1000:.0f} ms, worst {max(rounds) * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chargers", type=int, default=500)
    parser.add_argument("--limit-a", type=float, default=1500.0)
    parser.add_argument("--churn", type=int, default=30, help="sessions that stop (and start) a minute")
    parser.add_argument("--minutes", type=int, default=1)
    args = parser.parse_args()
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/5")
    database_prepare(DATABASE_URL)
    bench_allocate(args.chargers, args.limit_a)
    bench_loop(args.chargers, args.limit_a, args.churn, args.minutes)


if __name__ == "__main__":
    main()
