"""A Full local-list sync of many tags to one simulated charger, through the whole pipeline (issue 10's benchmark).

    .venv/bin/python -m benchmarks.local_list_sync [--tags 100000] [--chunk 1000] [--database-url URL]
        [--redis-url URL]

Starts its own PostgreSQL database (bench_locallist, or --database-url), one daphne process and one Celery worker
(on Redis db 5, or --redis-url), stores --tags accepted id tags, and connects one simulated charger whose profile
takes SendLocalList and which reports SendLocalListMaxLength = --chunk (tests/simulator.py, holding the list and
refusing a chunk longer than that). Nobody presses a button: the charger coming online starts the sync
(GetConfiguration of its limits, then the Full update in chunks). Prints:
- the time from the charger's connection to the first chunk arriving, and to the whole list confirmed (the
  charger holds every tag and the portal's confirmed version is the version it sent);
- the RSS of the daphne process and of the Celery worker before and at their peak (sampled every 0.1 s).
"""

import argparse
import asyncio
import os
import time

from benchmarks import harness
from benchmarks.commands_load import celery_worker

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_locallist"
REDIS_URL = "redis://127.0.0.1:6379/5"
SECRET = "bench-locallist"
MESSAGES = ["SendLocalList", "GetConfiguration", "BootNotification", "Heartbeat", "Authorize"]


def prepare(tags: int) -> str:
    """One accepted charger with a list-taking profile, `tags` accepted tags, no list or command from before."""
    from chargers.models import ChargePoint, ChargerModel, Command
    from rfid.locallist.models import LocalList
    from rfid.models import IdTag

    harness.chargers_register(1, SECRET)
    ident = harness.charger_ids(1)[0]
    profile, _ = ChargerModel.objects.get_or_create(
        vendor="Bench", model="List holder", defaults={"supported_messages": {"ocpp16_json": MESSAGES}}
    )
    ChargePoint.objects.filter(charge_point_id=ident).update(charger_model=profile, charger_model_overridden=True)
    Command.objects.all().delete()
    LocalList.objects.all().delete()
    IdTag.objects.all().delete()
    IdTag.objects.bulk_create((IdTag(id_tag=f"{n:08X}") for n in range(tags)), batch_size=10_000)
    return ident


def confirmed(sim_version: int) -> bool:
    from rfid.locallist.models import LocalList

    local_list = LocalList.objects.first()
    return local_list is not None and local_list.confirmed_version == local_list.version == sim_version > 0


class PeakRss:
    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.before = {name: harness.rss_kib(pid) for name, pid in pids.items()}
        self.peak = dict(self.before)

    def sample(self) -> None:
        for name, pid in self.pids.items():
            self.peak[name] = max(self.peak[name], harness.rss_kib(pid))


async def run(port: int, ident: str, chunk: int, tags: int, rss: PeakRss) -> dict:
    from tests.simulator import SimulatedCharger

    sim = SimulatedCharger(f"ws://127.0.0.1:{port}/ocpp", ident, password=harness.charger_key(SECRET, ident))
    sim.hold_local_list(send_max=chunk, total_max=max(tags, 1) * 2)
    began = time.monotonic()
    await sim.connect()
    await sim.boot(vendor="Bench", model="List holder")
    first_chunk = None
    deadline = began + 600
    while time.monotonic() < deadline:
        rss.sample()
        if first_chunk is None and any(action == "SendLocalList" for _, action, _ in sim.received_calls):
            first_chunk = time.monotonic() - began
        if len(sim.local_list) == tags and await asyncio.to_thread(confirmed, sim.local_list_version):
            break
        await asyncio.sleep(0.1)
    done = time.monotonic() - began
    await sim.close()
    chunks = [p for _, action, p in sim.received_calls if action == "SendLocalList"]
    return {
        "first_chunk_s": first_chunk,
        "confirmed_s": done,
        "chunks": len(chunks),
        "held": len(sim.local_list),
        "refused": [p["listVersion"] for p in chunks if len(p["localAuthorizationList"]) > chunk],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tags", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=1000, help="the charger's SendLocalListMaxLength")
    parser.add_argument("--database-url", default=DATABASE_URL)
    parser.add_argument("--redis-url", default=REDIS_URL)
    args = parser.parse_args()
    # This process saves tags too (their signals schedule syncs): its broker and cache must be the benchmark's.
    os.environ["REDIS_URL"] = args.redis_url
    harness.database_prepare(args.database_url)
    started = time.monotonic()
    ident = prepare(args.tags)
    print(f"{args.tags} tags stored in {time.monotonic() - started:.1f} s; load average {harness.load_average()}")
    env = {"RFID_LOCAL_LIST_CHUNK": str(args.chunk)}
    with harness.portal_running(args.database_url, args.redis_url, extra_env=env) as portal:
        # The daphne process's channel-layer prefix: the worker's pokes must reach its consumers.
        worker_env = dict(
            os.environ,
            DATABASE_URL=args.database_url,
            REDIS_URL=args.redis_url,
            CHANNEL_PREFIX=f"bench{portal.port}",
            **env,
        )
        with celery_worker(worker_env) as worker:
            rss = PeakRss({"daphne": portal.pid, "celery worker": worker.pid})
            figures = asyncio.run(run(portal.port, ident, args.chunk, args.tags, rss))
    print(f"charger online -> first chunk at the charger: {figures['first_chunk_s']:.1f} s")
    print(
        f"charger online -> {figures['held']} tags held and version confirmed: {figures['confirmed_s']:.1f} s "
        f"({figures['chunks']} SendLocalList of <= {args.chunk}; chunks too long: {len(figures['refused'])})"
    )
    for name in rss.pids:
        before, peak = rss.before[name], rss.peak[name]
        grown = (peak - before) / 1024
        print(f"{name} RSS: {before / 1024:.0f} MiB before, {peak / 1024:.0f} MiB at peak (+{grown:.0f})")
    print(f"load average after: {harness.load_average()}")


if __name__ == "__main__":
    main()
