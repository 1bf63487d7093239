"""Import 100 000 id tags from a CSV file through the real import (rfid.imports.id_tags_import_csv, the code
behind /api/v1/id-tags/import/ and /rfid/import/), then a dry run, an update of them all and an export, and print
the time and the memory (RSS) of each; then time the /rfid/ list's pages (keyset) over the 100 000.

    .venv/bin/python -m benchmarks.id_tag_import [--tags 100000] [--database-url postgres://.../rfidbench]

The database is emptied of id tags first (it is the benchmark's own: never point it at a portal's).
Target (issue 10): the import of 100 000 tags within 30 s.
"""

import argparse
import csv
import os
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.harness import database_prepare

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/rfidbench"
GROUP_EVERY = 100  # one group tag per this many cards; the others belong to it
CUSTOMERS = 200


def rss_mib() -> float:
    """This process's resident memory now (VmRSS), MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_csv(path: Path, count: int, *, status: str = "Accepted") -> None:
    """`count` rows, groups first in each block so that every row names a group of the file; card numbers as a
    reader prints them (with colons), a fifth with an owner, a third with an expiry."""
    expiry = (datetime.now(UTC) + timedelta(days=365)).isoformat()
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["id_tag", "status", "expiry_date", "parent_id_tag", "owner"])
        for n in range(count):
            group = f"GROUP{n // GROUP_EVERY:05d}"
            if n % GROUP_EVERY == 0:
                writer.writerow([group, status, "", "", ""])
                continue
            card = f"{n:08X}"
            writer.writerow(
                [
                    ":".join(card[i : i + 2] for i in range(0, 8, 2)),
                    status,
                    expiry if n % 3 == 0 else "",
                    group,
                    f"customer{n % CUSTOMERS:03d}" if n % 5 == 0 else "",
                ]
            )


def timed_import(path: Path, label: str, **options) -> None:
    from rfid.imports import ImportOptions, id_tags_import_csv  # after django.setup(), in main()

    before = rss_mib()
    started = time.perf_counter()
    with path.open("rb") as file:
        report = id_tags_import_csv(file=file, options=ImportOptions(**options))
    elapsed = time.perf_counter() - started
    print(
        f"{label:<28} {elapsed:6.1f} s  rows {report.rows}  created {report.created}  updated {report.updated}  "
        f"errors {len(report.errors)}  RSS {before:.0f} -> {rss_mib():.0f} MiB (peak {peak_rss_mib():.0f} MiB)"
    )


def timed_export(label: str) -> None:
    from rfid.imports import id_tags_csv_lines
    from rfid.models import IdTag

    started = time.perf_counter()
    size = sum(len(line) for line in id_tags_csv_lines(tags=IdTag.objects.all()))
    print(f"{label:<28} {time.perf_counter() - started:6.1f} s  {size / 1e6:.1f} MB of CSV  RSS {rss_mib():.0f} MiB")


def timed_block_all() -> None:
    """The list's "block every tag the filter shows" with no filter: every tag changes (and is recorded)."""
    from rfid.models import IdTag
    from rfid.services import id_tags_set_status

    started = time.perf_counter()
    count = id_tags_set_status(tags=IdTag.objects.all(), status="Accepted", source="benchmark")
    print(f"{'unblock all':<28} {time.perf_counter() - started:6.1f} s  {count} tags  RSS {rss_mib():.0f} MiB")


def timed_pages() -> None:
    """The list's pages: the first, one deep inside, the last, each with the filters the page offers."""
    from rfid.filters import IdTagFilter
    from rfid.selectors import id_tag_list, id_tag_page

    for label, query, after in [
        ("first page", {}, ""),
        ("page after 0007A120", {}, "0007A120"),
        ("last page", {}, "FFFFFFFF"[:7]),
        ("search 'customer01'", {"q": "customer01"}, ""),
        ("status Blocked", {"status": "Blocked"}, ""),
        ("group GROUP00500", {"parent_id_tag": "GROUP00500"}, ""),
    ]:
        started = time.perf_counter()
        page = id_tag_page(tags=IdTagFilter(query, queryset=id_tag_list()).qs, after=after, size=50)
        print(f"  list {label:<24} {(time.perf_counter() - started) * 1000:6.1f} ms  {len(page.tags)} tags")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tags", type=int, default=100_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    args = parser.parse_args()
    database_prepare(args.database_url)
    from django.contrib.auth import get_user_model

    from rfid.models import IdTag, IdTagChange

    IdTagChange.objects.all().delete()
    IdTag.objects.all().delete()
    user_model = get_user_model()
    user_model.objects.bulk_create(
        [user_model(username=f"customer{n:03d}") for n in range(CUSTOMERS)], ignore_conflicts=True
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tags.csv"
        write_csv(path, args.tags)
        print(f"{args.tags} rows, {path.stat().st_size / 1e6:.1f} MB of CSV; RSS at start {rss_mib():.0f} MiB")
        timed_import(path, "dry run (all new)", dry_run=True)
        timed_import(path, "import (all new)")
        print(f"  stored: {IdTag.objects.count()} tags, {IdTagChange.objects.count()} history rows")
        write_csv(path, args.tags, status="Blocked")
        timed_import(path, "import (all updated)", existing="update")
        timed_import(path, "import (all unchanged)", existing="update")
        timed_export("export")
        timed_block_all()
    timed_pages()


if __name__ == "__main__":
    main()
