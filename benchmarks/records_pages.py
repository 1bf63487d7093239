"""The record pages on a big database: how long the transaction pages and CSV exports take, and whether the
CSVs stream (daphne's memory must not grow with the rows).

    .venv/bin/python -m benchmarks.records_pages [--hours 24] [--interval 10] [--transactions 20000]
        [--database-url URL] [--redis-url URL]

Seeds its own PostgreSQL database (bench_records): 20 chargers, --transactions finished sessions, and one running
session of --hours with a MeterValues frame of ten sampled values every --interval s (24 h at 10 s: 86 400
rows). Starts one daphne process as production does and fetches each page over HTTP as a logged-in superuser,
printing the time to the first byte, the total time, the size, and daphne's peak RSS growth during the request.
"""

import argparse
import http.client
import threading
import time
from datetime import timedelta
from decimal import Decimal

from benchmarks import harness

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_records"
SAMPLED = [  # (measurand, phase, unit, value)
    ("Energy.Active.Import.Register", "", "Wh", None),
    *[("Power.Active.Import", p, "W", Decimal("3600")) for p in ("L1", "L2", "L3")],
    *[("Current.Import", p, "A", Decimal("15.65")) for p in ("L1", "L2", "L3")],
    ("Voltage", "L1-N", "V", Decimal("230.1")),
    ("Frequency", "", "Hz", Decimal("50.01")),
    ("Power.Factor", "", "", Decimal("0.99")),
]


def seed(hours: float, interval_s: int, finished: int) -> int:
    """Returns the running session's id."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from chargers.models import ChargePoint
    from transactions.models import MeterValue, Site, Transaction

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE chargers_chargepoint, transactions_transaction, transactions_metervalue, transactions_site "
            "RESTART IDENTITY CASCADE"
        )
    site = Site.objects.create(name="Bench depot", grid_limit_a=250)
    chargers = ChargePoint.objects.bulk_create(
        [ChargePoint(charge_point_id=f"REC-{i:03d}", registration_status="Accepted", site=site) for i in range(20)]
    )
    now = timezone.now()
    Transaction.objects.bulk_create(
        [
            Transaction(
                charge_point=chargers[i % 20],
                connector_id=1,
                id_tag=f"TAG{i % 500:05d}",
                id_tag_status="Accepted",
                meter_start_wh=i * 10,
                meter_stop_wh=i * 10 + 12_000,
                started_at=now - timedelta(hours=2 + i),
                stopped_at=now - timedelta(hours=1 + i),
                stop_reason="Local",
            )
            for i in range(finished)
        ],
        batch_size=5000,
    )
    start = now - timedelta(hours=hours)
    running = Transaction.objects.create(
        charge_point=chargers[0],
        connector_id=2,
        id_tag="RUNNING1",
        id_tag_status="Accepted",
        meter_start_wh=0,
        started_at=start,
    )
    frames = int(hours * 3600 // interval_s)
    rows = []
    for n in range(frames):
        at = start + timedelta(seconds=n * interval_s)
        for measurand, phase, unit, value in SAMPLED:
            value = Decimal(n * 30) if value is None else value  # 10.8 kW: 30 Wh per 10 s
            rows.append(
                MeterValue(
                    charge_point=chargers[0],
                    connector_id=2,
                    transaction=running,
                    timestamp=at,
                    measurand=measurand,
                    phase=phase,
                    location="Outlet",
                    context="Sample.Periodic",
                    unit=unit,
                    raw_value=str(value),
                    value=value,
                    si_unit=unit,
                )
            )
        if len(rows) >= 20_000:
            MeterValue.objects.bulk_create(rows, batch_size=5000)
            rows = []
    MeterValue.objects.bulk_create(rows, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE transactions_metervalue")
        cursor.execute("VACUUM ANALYZE transactions_transaction")
    get_user_model().objects.filter(username="bench-records").delete()
    get_user_model().objects.create_superuser("bench-records", password="bench-records-password-1")
    return running.pk


def session_cookie() -> str:
    from django.test import Client

    client = Client()
    assert client.login(username="bench-records", password="bench-records-password-1")
    return client.cookies["sessionid"].value


def fetch(port: int, path: str, cookie: str, pid: int) -> dict:
    base = harness.rss_kib(pid)
    peak = [base]
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], harness.rss_kib(pid))
            time.sleep(0.01)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    began = time.perf_counter()
    connection.request("GET", path, headers={"Cookie": f"sessionid={cookie}", "Host": "127.0.0.1"})
    response = connection.getresponse()
    first_byte = time.perf_counter() - began
    size = 0
    while chunk := response.read(65536):
        size += len(chunk)
    total = time.perf_counter() - began
    done.set()
    watcher.join()
    connection.close()
    return {"status": response.status, "ttfb": first_byte, "total": total, "size": size, "rss": peak[0] - base}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hours", type=float, default=24)
    parser.add_argument("--interval", type=int, default=10)
    parser.add_argument("--transactions", type=int, default=20_000)
    parser.add_argument("--database-url", default=DATABASE_URL)
    parser.add_argument("--redis-url", default=harness.DEFAULT_REDIS_URL)
    args = parser.parse_args()
    harness.database_prepare(args.database_url)
    began = time.perf_counter()
    running = seed(args.hours, args.interval, args.transactions)
    from transactions.models import MeterValue

    values = MeterValue.objects.count()
    print(
        f"seeded {args.transactions} finished sessions and {values} meter values in {time.perf_counter() - began:.0f} s"
    )
    cookie = session_cookie()
    pages = [
        "/transactions/",
        "/transactions/?q=TAG00042&state=ended",
        "/transactions/export.csv",
        f"/transactions/{running}/",
        f"/transactions/{running}/meter-values.csv",
        "/transactions/stale/",
        "/sites/",
    ]
    with harness.portal_running(args.database_url, args.redis_url) as portal:
        fetch(portal.port, "/transactions/", cookie, portal.pid)  # warm-up: imports, templates, connection
        print(f"\nRecord pages over HTTP, one daphne process, PostgreSQL, load {harness.load_average()}")
        print(f"  {'page':48} {'status':>6} {'first byte':>11} {'total':>9} {'size':>10} {'RSS growth':>11}")
        for path in pages:
            r = fetch(portal.port, path, cookie, portal.pid)
            print(
                f"  {path:48} {r['status']:>6} {r['ttfb'] * 1000:>8.0f} ms {r['total'] * 1000:>6.0f} ms "
                f"{r['size'] / 1024:>7.0f} KiB {r['rss'] / 1024:>7.1f} MiB"
            )


if __name__ == "__main__":
    main()
