"""What the alert rules cost when a whole fleet drops at once, and what beat's sweep costs with many sessions.

    .venv/bin/python -m benchmarks.alerts_storm [--chargers 10000] [--sites 200] [--batch 500] [--sessions 2000]

Uses its own database (bench_alerts, created and migrated when missing) and prints figures:
- the disconnect storm: every charger of every site dropped, in batches as the group commit hands them over,
  timed with the alerts subscriber and without it, and the alerts raised (one per site is the rule);
- the reconnect storm: every charger back, in batches, with the subscriber clearing the site alerts;
- beat's sweep with `--sessions` running sessions of `--values` meter values each.
Not part of the suite.
"""

import argparse
import os
import time
from datetime import timedelta
from decimal import Decimal

from benchmarks.harness import database_prepare

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_alerts"


def _setup() -> None:
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/3")
    database_prepare(DATABASE_URL)


def _fleet(chargers: int, sites: int):
    from alerts.models import Alert
    from chargers.models import ChargePoint, RegistrationStatus
    from transactions.models import MeterValue, Site, Transaction

    MeterValue.objects.all().delete()
    Transaction.objects.all().delete()
    Alert.objects.all().delete()
    ChargePoint.objects.all().delete()
    Site.objects.all().delete()
    site_rows = Site.objects.bulk_create(Site(name=f"Site {n}") for n in range(sites))
    return ChargePoint.objects.bulk_create(
        ChargePoint(
            charge_point_id=f"ALRT-BENCH-{n:06d}",
            registration_status=RegistrationStatus.ACCEPTED,
            site=site_rows[n % sites],
            is_online=True,
            channel_name=f"specific.bench{n}",
        )
        for n in range(chargers)
    )


def _drop_all(fleet, batch: int) -> float:
    from chargers.services import Departure, charge_points_disconnected

    started = time.perf_counter()
    for start in range(0, len(fleet), batch):
        sessions = [Departure(cp.pk, cp.channel_name, cp.charge_point_id) for cp in fleet[start : start + batch]]
        charge_points_disconnected(sessions=sessions)
    return time.perf_counter() - started


def _reconnect_all(fleet, batch: int) -> float:
    from alerts.services import chargers_online_observed
    from chargers.models import ChargePoint

    started = time.perf_counter()
    for start in range(0, len(fleet), batch):
        pks = [cp.pk for cp in fleet[start : start + batch]]
        ChargePoint.objects.filter(pk__in=pks).update(is_online=True)
        chargers_online_observed(charge_point_pks=pks)
    return time.perf_counter() - started


def _without_alerts(run):
    """Run with the alerts subscriber taken off the bus (the baseline)."""
    from alerts.subscribers import alerts_from_events
    from core import events

    entries = [entry for entry in events._subscribers if entry[1] is alerts_from_events]
    for entry in entries:
        events._subscribers.remove(entry)
    try:
        return run()
    finally:
        events._subscribers.extend(entries)


def _storm(args) -> None:
    from alerts.models import Alert, AlertKind
    from chargers.models import ChargePoint

    fleet = _fleet(args.chargers, args.sites)
    baseline = _without_alerts(lambda: _drop_all(fleet, args.batch))
    for cp in fleet:  # online again, in the sessions the disconnects name
        cp.is_online = True
    ChargePoint.objects.bulk_update(fleet, ["is_online", "channel_name"], batch_size=2000)
    with_alerts = _drop_all(fleet, args.batch)
    kinds = {kind: Alert.objects.filter(kind=kind).count() for kind in AlertKind.values}
    print(f"disconnect storm, {args.chargers} chargers in {args.sites} sites, batches of {args.batch}:")
    print(f"  without alerts {baseline:.2f} s, with alerts {with_alerts:.2f} s (+{with_alerts - baseline:.2f} s)")
    print(f"  alerts raised: {kinds}")
    back = _reconnect_all(fleet, args.batch)
    left = Alert.objects.filter(cleared_at=None).count()
    print(f"reconnect storm: rules {back:.2f} s for {args.chargers} chargers; open alerts left: {left}")


def _sweep(args) -> None:
    from django.utils import timezone

    from alerts.services import alerts_sweep
    from transactions.models import MeterValue, Transaction

    fleet = _fleet(args.sessions, max(1, args.sessions // 50))
    now = timezone.now()
    sessions = Transaction.objects.bulk_create(
        Transaction(
            charge_point=cp,
            connector_id=1,
            id_tag="BENCH",
            id_tag_status="Accepted",
            meter_start_wh=0,
            started_at=now - timedelta(hours=2),
            start_received_at=now - timedelta(hours=2),
        )
        for cp in fleet
    )
    MeterValue.objects.bulk_create(
        (
            MeterValue(
                charge_point_id=tx.charge_point_id,
                connector_id=1,
                transaction=tx,
                timestamp=now - timedelta(seconds=10 * (args.values - n)),
                received_at=now - timedelta(seconds=10 * (args.values - n) + (0 if i % 10 else 3600)),
                measurand="Energy.Active.Import.Register",
                location="Outlet",
                context="Sample.Periodic",
                raw_value=str(n),
                value=Decimal(n),
            )
            for i, tx in enumerate(sessions)
            for n in range(args.values)
        ),
        batch_size=5000,
    )
    timings, counts = [], []
    for _ in range(3):
        started = time.perf_counter()
        counts.append(alerts_sweep(now=now))
        timings.append(time.perf_counter() - started)
    print(f"sweep, {args.sessions} running sessions x {args.values} meter values (a tenth silent for an hour):")
    print(f"  first {timings[0]:.3f} s {counts[0]}, then {timings[1]:.3f} s, {timings[2]:.3f} s {counts[2]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chargers", type=int, default=10000)
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--sessions", type=int, default=2000)
    parser.add_argument("--values", type=int, default=100)
    args = parser.parse_args()
    _setup()
    _storm(args)
    _sweep(args)


if __name__ == "__main__":
    main()
