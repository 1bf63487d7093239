"""Site load management live: simulated chargers on one site against a real daphne and a real Celery worker.

    .venv/bin/python -m benchmarks.site_load_live [--chargers 20] [--limit-a 63] [--seconds 60] [--churn 20]

The chargers connect (each gets its TxDefaultProfile), every one starts a session, then for `--seconds` about
`--churn` sessions a minute stop and start again on a random idle charger. Each charger accepts every profile at
once and holds its limit from then on. Prints: the SetChargingProfile calls (defaults and TxProfiles) per minute,
the largest sum of the limits the chargers held for their running sessions (never above the site's), the time
from a StartTransaction to that session's first TxProfile, and the sessions that went without one for more than
10 s. The portal runs no beat here: the rounds come from the events only.
Uses its own database (bench_load) and Redis db 5. Not part of the suite.
"""

import argparse
import asyncio
import os
import random
import statistics
import time
from decimal import Decimal

from benchmarks import harness
from benchmarks.commands_load import celery_worker
from tests.simulator import SimulatedCharger  # the project's OCPP charger simulator (tests/simulator.py)

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_load"
REDIS_URL = "redis://127.0.0.1:6379/5"
SECRET = "bench-load"


class Fleet:
    def __init__(self, limit_a: Decimal) -> None:
        self.limit_a = limit_a
        self.held: dict[int, Decimal] = {}
        self.running: dict[int, float] = {}  # transaction id -> when it started (monotonic)
        self.first_profile_s: list[float] = []
        self.sums: list[Decimal] = [Decimal(0)]
        self.calls = {"TxDefaultProfile": 0, "TxProfile": 0}

    def answer(self, payload: dict) -> dict:
        profile = payload["csChargingProfiles"]
        self.calls[profile["chargingProfilePurpose"]] += 1
        tx = profile.get("transactionId")
        if tx in self.running:
            if tx not in self.held:
                self.first_profile_s.append(time.monotonic() - self.running[tx])
            self.held[tx] = Decimal(str(profile["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"]))
            self.sums.append(sum(self.held.get(t, Decimal(0)) for t in self.running))
        return {"status": "Accepted"}

    def starved(self, now: float) -> int:
        return sum(1 for tx, since in self.running.items() if tx not in self.held and now - since > 10)


async def scenario(port: int, idents: list[str], fleet: Fleet, seconds: float, churn: float) -> None:
    sims = []
    for ident in idents:
        sim = SimulatedCharger(f"ws://127.0.0.1:{port}/ocpp", ident, password=harness.charger_key(SECRET, ident))
        sim.answers["SetChargingProfile"] = fleet.answer
        await sim.connect()
        sims.append(sim)
    sessions: dict[int, tuple[SimulatedCharger, int]] = {}  # sim index -> (sim, transaction id)

    async def start(index: int) -> None:
        tx = (await sims[index].start(1, harness.ID_TAG, 0))["transactionId"]
        fleet.running[tx] = time.monotonic()
        sessions[index] = (sims[index], tx)

    for index in range(len(sims)):
        await start(index)
    rng, began, starved = random.Random(14), time.monotonic(), 0
    while time.monotonic() - began < seconds:
        await asyncio.sleep(1)
        if rng.random() < churn / 60:
            index = rng.choice(list(sessions))
            sim, tx = sessions.pop(index)
            fleet.running.pop(tx)
            fleet.held.pop(tx, None)
            await sim.stop(tx, 1000)
            await start(rng.choice([i for i in range(len(sims)) if i not in sessions]))
        starved = max(starved, fleet.starved(time.monotonic()))
    fleet.starved_max = starved
    for sim in sims:
        await sim.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chargers", type=int, default=20)
    parser.add_argument("--limit-a", type=Decimal, default=Decimal(63))
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--churn", type=float, default=20, help="sessions that stop (and start) a minute")
    args = parser.parse_args()
    harness.raise_nofile_limit()
    harness.database_prepare(DATABASE_URL)
    harness.chargers_register(args.chargers, SECRET)
    from chargers.models import ChargePoint, Command
    from transactions.models import LoadAllocation, Site
    from transactions.sites.services import site_save

    LoadAllocation.objects.all().delete()
    Command.objects.all().delete()
    Site.objects.all().delete()
    site_save(name="Live depot", grid_limit_a=args.limit_a, charge_points=list(ChargePoint.objects.all()))
    fleet = Fleet(args.limit_a)
    with harness.portal_running(DATABASE_URL, REDIS_URL) as portal:
        env = dict(os.environ, DATABASE_URL=DATABASE_URL, REDIS_URL=REDIS_URL, CHANNEL_PREFIX=f"bench{portal.port}")
        with celery_worker(env):
            began = time.monotonic()
            asyncio.run(scenario(portal.port, harness.charger_ids(args.chargers), fleet, args.seconds, args.churn))
            minutes = (time.monotonic() - began) / 60
    first = fleet.first_profile_s or [float("nan")]
    print(f"{args.chargers} chargers on a {args.limit_a} A site for {minutes:.1f} min, load {harness.load_average()}")
    print(f"  TxDefaultProfile calls {fleet.calls['TxDefaultProfile']}, TxProfile calls {fleet.calls['TxProfile']}")
    print(f"  TxProfiles a minute {fleet.calls['TxProfile'] / minutes:.0f}")
    print(f"  largest sum of held limits {max(fleet.sums)} A (limit {args.limit_a} A)")
    print(
        f"  start -> first TxProfile: median {statistics.median(first):.2f} s, max {max(first):.2f} s "
        f"({len(fleet.first_profile_s)} sessions)"
    )
    print(f"  sessions without a TxProfile after 10 s (worst moment): {fleet.starved_max}")


if __name__ == "__main__":
    main()
