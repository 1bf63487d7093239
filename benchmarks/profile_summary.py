"""Where the server's time goes: a summary of a py-spy raw (collapsed stacks) recording.

    .venv/bin/python -m benchmarks.profile_summary /tmp/prof/meter.txt

Prints, per thread, the share of samples; then the share of all samples spent inside each area of the stack
(inclusive: a sample counts for every area on its stack, so the areas overlap) and the top functions by own time.
"""

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

# Areas, matched against "function (file:line)" frames; the first match from the leaf upwards names the leaf area.
AREAS: list[tuple[str, re.Pattern[str]]] = [
    ("message log (MessageLog rows, redact, bulk insert)", re.compile(r"log_message|message_log_write")),
    ("meter values store (ORM, SQL)", re.compile(r"meter_values_store")),
    ("connect/auth services", re.compile(r"charge_points?_(authenticate|connected?|disconnect(ed)?|for_handshake)")),
    ("last seen writer", re.compile(r"charge_points_mark_seen")),
    ("Django ORM (all)", re.compile(r"django/db/")),
    ("psycopg (driver)", re.compile(r"/psycopg/")),
    ("json (loads/dumps)", re.compile(r"json/(__init__|decoder|encoder)\.py")),
    ("fastjsonschema validation", re.compile(r"fastjsonschema|validate_(request|response)")),
    ("meter reading (metering.py, Decimal)", re.compile(r"chargers/ocpp/metering\.py")),
    ("channel layer (channels_redis, redis)", re.compile(r"channels_redis/|/redis/")),
    ("asgiref sync_to_async hand-off", re.compile(r"asgiref/sync\.py")),
    ("logging", re.compile(r"/logging/")),
    ("autobahn websocket protocol", re.compile(r"/autobahn/")),
    ("daphne", re.compile(r"/daphne/")),
    ("Twisted", re.compile(r"/twisted/")),
    ("asyncio event loop", re.compile(r"asyncio/(base_events|events|selector_events|tasks|futures)\.py")),
]
_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^:()]+)(?::\d+)?\)$")


def read_stacks(path: Path) -> Counter[tuple[str, ...]]:
    stacks: Counter[tuple[str, ...]] = Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks[tuple(stack.split(";"))] += int(count)
    return stacks


def short(frame: str) -> str:
    match = _FRAME.match(frame)
    if not match:
        return frame
    file = match["file"]
    for marker in ("site-packages/", "python3.11/", "/work/main/"):
        if marker in file:
            file = file.split(marker, 1)[1]
    return f"{match['func']} ({file})"


def summarize(stacks: Counter[tuple[str, ...]], top: int) -> str:
    total = sum(stacks.values()) or 1
    threads: Counter[str] = Counter()
    areas: Counter[str] = Counter()
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for stack, count in stacks.items():
        threads[stack[0] if stack and stack[0].startswith(("thread", "process")) else "?"] += count
        text = ";".join(stack)
        for name, pattern in AREAS:
            if pattern.search(text):
                areas[name] += count
        own[short(stack[-1])] += count
        for frame in {short(f) for f in stack[1:]}:
            inclusive[frame] += count
    lines = [f"{total} samples (only non-idle samples are recorded)", "", "threads:"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in threads.most_common()]
    lines += ["", "areas (inclusive, overlapping):"]
    lines += [f"  {100 * areas[name] / total:5.1f}%  {name}" for name, _ in AREAS if areas[name]]
    lines += ["", f"top {top} functions by own time:"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in own.most_common(top)]
    lines += ["", f"top {top} functions by inclusive time (below the event loop):"]
    skip = ("asyncio/", "twisted/internet/", "daphne/cli", "daphne/server", "daphne/__main__", "<module>", "threading")
    interesting = [(name, n) for name, n in inclusive.most_common() if not any(s in name for s in skip)]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in interesting[:top]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("recordings", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    for path in args.recordings:
        print(f"== {path}")
        print(summarize(read_stacks(path), args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
