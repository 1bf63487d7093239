"""Remote-command latency and bulk throughput through the whole pipeline (issue 4's benchmark).

    .venv/bin/python -m benchmarks.commands_load [--commands 1000] [--bulk 1000] [--database-url URL]
        [--redis-url URL]

Starts its own PostgreSQL database (bench_commands, or --database-url), one daphne process and one Celery worker
on Redis db 4 (or --redis-url), connects simulated chargers over real websockets, and measures:
1. latency from the REST POST `chargers/<id>/commands/` to the CALL arriving at the charger, and to the answer
   stored (Command.answered_at), one command at a time on an otherwise idle portal (p50/p99 over --commands);
2. a bulk Reset (`POST commands/bulk/`) to --bulk connected chargers: time until every CALL arrived and until
   every answer is stored; lost = commands not answered.
"""

import argparse
import asyncio
import http.client
import json
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from benchmarks import harness

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_commands"
SECRET = "bench-commands"


@contextmanager
def celery_worker(env: dict[str, str]):
    log = Path("/tmp/bench-celery.log").open("w")  # noqa: S108,SIM115 (a log for the reader)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "--app",
            "portal",
            "worker",
            "--pool",
            "threads",
            "--concurrency",
            "16",
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--hostname",
            f"bench-{os.getpid()}@local",
        ],
        cwd=harness.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        time.sleep(3)  # the worker connects to the broker
        yield process
    finally:
        process.terminate()
        process.wait(20)
        log.close()


def api_token() -> str:
    from django.contrib.auth import get_user_model

    from portal.services import api_key_create

    user, _ = get_user_model().objects.get_or_create(username="bench")
    # Queuing commands needs the permission to add them (portal/roles.py): the bench user gets every right.
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    return api_key_create(user=user, name="bench")[1]


def percentiles(values: list[float]) -> str:
    if not values:
        return "(none measured)"
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return f"p50 {at(0.50):.1f} ms, p90 {at(0.90):.1f} ms, p99 {at(0.99):.1f} ms, max {ordered[-1] * 1000:.1f} ms"


class Charger:
    """A lean simulated charger: answers every CALL Accepted and notes when each arrived (wall clock)."""

    def __init__(self, port: int, ident: str) -> None:
        self.url = f"ws://127.0.0.1:{port}/ocpp/{ident}"
        self.ident = ident
        self.arrivals: dict[str, float] = {}
        self.arrived = asyncio.Event()

    async def run(self, ready: asyncio.Event, counter: list[int], total: int) -> None:
        import base64

        import websockets

        key = harness.charger_key(SECRET, self.ident)
        auth = base64.b64encode(f"{self.ident}:{key}".encode()).decode()
        async with websockets.connect(
            self.url,
            subprotocols=["ocpp1.6"],
            ping_interval=None,
            additional_headers={"Authorization": f"Basic {auth}"},
        ) as ws:
            counter[0] += 1
            if counter[0] == total:
                ready.set()
            async for text in ws:
                frame = json.loads(text)
                if frame[0] == 2:
                    self.arrivals[frame[1]] = time.time()
                    self.arrived.set()
                    await ws.send(json.dumps([3, frame[1], {"status": "Accepted"}]))


def post(connection: http.client.HTTPConnection, token: str, path: str, body: dict) -> dict:
    connection.request(
        "POST", path, json.dumps(body), {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    )
    response = connection.getresponse()
    data = response.read()
    if response.status != 202:
        raise RuntimeError(f"{path}: HTTP {response.status} {data[:300]!r}")
    return json.loads(data)


def answered_at(command_ids: list[int]) -> dict[int, float]:
    from chargers.models import Command

    return {
        pk: at.timestamp()
        for pk, at in Command.objects.filter(pk__in=command_ids, answered_at__isnull=False).values_list(
            "pk", "answered_at"
        )
    }


async def single_commands(port: int, token: str, count: int) -> tuple[list[float], list[float]]:
    charger = Charger(port, harness.charger_ids(1)[0])
    ready = asyncio.Event()
    task = asyncio.create_task(charger.run(ready, [0], 1))
    await ready.wait()
    connection = http.client.HTTPConnection("127.0.0.1", port)
    to_call, starts, ids, post_s = [], [], [], []
    for i in range(count + 20):
        charger.arrived.clear()
        began = time.time()
        command = await asyncio.to_thread(
            post,
            connection,
            token,
            f"/api/v1/chargers/{charger.ident}/commands/",
            {"action": "ClearCache", "payload": {}},
        )
        answered = time.time()
        await asyncio.wait_for(charger.arrived.wait(), 30)
        arrival = charger.arrivals[command["unique_id"]] if command["unique_id"] else max(charger.arrivals.values())
        if i >= 20:  # warm-up: the first commands pay for imports and connections
            to_call.append(arrival - began)
            post_s.append(answered - began)
            starts.append(began)
            ids.append(command["id"])
        await asyncio.sleep(0.01)
    await asyncio.sleep(1)
    stored = await asyncio.to_thread(answered_at, ids)
    to_stored = [stored[pk] - began for pk, began in zip(ids, starts, strict=True) if pk in stored]
    task.cancel()
    return to_call, to_stored, post_s


async def bulk_reset(port: int, token: str, count: int, profile: dict | None = None) -> dict:
    idents = harness.charger_ids(count)
    chargers = [Charger(port, ident) for ident in idents]
    ready, counter = asyncio.Event(), [0]
    tasks = []
    for i, charger in enumerate(chargers):
        tasks.append(asyncio.create_task(charger.run(ready, counter, count)))
        if i % 100 == 99:
            await asyncio.sleep(0.2)  # a connect ramp, not the storm the OCPP benchmark measures
    await asyncio.wait_for(ready.wait(), 120)
    await asyncio.sleep(2)
    connection = http.client.HTTPConnection("127.0.0.1", port)
    recorders = [harness.py_spy_recording(pid, Path(f"{path}.txt"), 6) for path, pid in (profile or {}).items()]
    for recorder in recorders:
        recorder.__enter__()
    began = time.time()
    batch = await asyncio.to_thread(
        post,
        connection,
        token,
        "/api/v1/commands/bulk/",
        {"action": "Reset", "payload": {"type": "Soft"}, "target": {"charge_point_ids": idents}},
    )
    posted = time.time()
    from chargers.models import Command

    deadline = began + 60
    while time.time() < deadline:
        done = await asyncio.to_thread(
            lambda: Command.objects.filter(batch_id=batch["id"], answered_at__isnull=False).count()
        )
        if done == count:
            break
        await asyncio.sleep(0.05)
    all_stored = time.time()
    for recorder in recorders:
        recorder.__exit__(None, None, None)
    arrivals = [t for c in chargers for t in c.arrivals.values()]
    for task in tasks:
        task.cancel()
    statuses = await asyncio.to_thread(
        lambda: dict(
            Command.objects.filter(batch_id=batch["id"])
            .values_list("status")
            .annotate(n=__import__("django.db.models", fromlist=["Count"]).Count("id"))
            .order_by()
        )
    )
    return {
        "post_s": posted - began,
        "all_calls_s": (max(arrivals) - began) if arrivals else float("nan"),
        "calls": len(arrivals),
        "all_stored_s": all_stored - began,
        "statuses": statuses,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commands", type=int, default=1000)
    parser.add_argument("--bulk", type=int, default=1000)
    parser.add_argument("--profile", type=Path, help="py-spy the bulk phase: DIR/daphne.txt and DIR/celery.txt")
    # Another database and Redis than the defaults: two people benchmarking at once must not share a queue.
    parser.add_argument("--database-url", default=DATABASE_URL)
    parser.add_argument("--redis-url", default=harness.DEFAULT_REDIS_URL)
    args = parser.parse_args()
    harness.raise_nofile_limit()
    harness.database_prepare(args.database_url)
    harness.chargers_register(max(args.bulk, 1), SECRET)
    from chargers.models import Command

    Command.objects.all().delete()
    token = api_token()
    with harness.portal_running(args.database_url, args.redis_url) as portal:
        env = dict(
            os.environ,
            DATABASE_URL=args.database_url,
            REDIS_URL=args.redis_url,
            CHANNEL_PREFIX=f"bench{portal.port}",
            PYTHONUNBUFFERED="1",
        )
        with celery_worker(env) as worker:
            to_call, to_stored, post_s = asyncio.run(single_commands(portal.port, token, args.commands))
            profile = None
            if args.profile:
                args.profile.mkdir(parents=True, exist_ok=True)
                profile = {args.profile / "daphne": portal.pid, args.profile / "celery": worker.pid}
            bulk = asyncio.run(bulk_reset(portal.port, token, args.bulk, profile))
    print(f"\nRemote commands, one daphne + one Celery worker (threads), PostgreSQL, load {harness.load_average()}")
    print(
        f"  POST -> CALL at charger ({len(to_call)} commands, one at a time): {percentiles(to_call)}"
        "   target p50 < 15 ms, p99 < 60 ms"
    )
    print(f"  POST answered (202)     ({len(post_s)} commands): {percentiles(post_s)}")
    print(f"  POST -> answer stored   ({len(to_stored)} commands): {percentiles(to_stored)}")
    print(
        f"  bulk Reset to {args.bulk} connected chargers: POST answered in {bulk['post_s'] * 1000:.0f} ms, "
        f"{bulk['calls']} CALLs arrived within {bulk['all_calls_s']:.2f} s, all answers stored within "
        f"{bulk['all_stored_s']:.2f} s (target 3 s); statuses {bulk['statuses']}"
    )


if __name__ == "__main__":
    main()
