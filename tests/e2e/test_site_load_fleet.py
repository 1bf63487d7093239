"""Twenty simulated chargers on one 63 A site (real daphne, real Celery worker, real Redis and database): sessions
start staggered, the building's draw rises twice (posted over HTTP with a `commands` key), some sessions stop and the
paused ones resume. A sampler reads what the simulators hold every 100 ms and checks, at every sample, that the limits
the chargers last accepted never add up to more than the site's limit less the building load, that no running session
holds a limit between 0 and the EV's 6 A, and that a session is paused only when there is no room for all at 6 A.
It also counts what a session without its TxProfile yet draws, its charger's safe default (0 A here: 63 A / 20
connectors is below 6 A): what all hold never adds up to more than the limit, also while a session starts on a full
site."""

import asyncio
import math
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from chargers.services import charge_point_register
from portal.services import api_key_create
from rfid.services import id_tag_create
from tests.e2e import test_site_load as base
from tests.e2e.test_site_load_building import http
from tests.factories import OperatorFactory
from tests.simulator import SimulatedCharger
from transactions.sites.services import site_save

pytestmark = pytest.mark.django_db(transaction=True)

LIMIT_A = Decimal(63)
FLOOR_A = Decimal(6)  # the EV's minimum (transactions/load/allocator.py EV_MIN_CURRENT_A)
DEFAULT_A = Decimal(0)  # the safe TxDefaultProfile each charger gets (transactions/load/allocator.py default_limits)
CHARGERS = 20
TAG = "LOADTAG20"
SAMPLE_EVERY_S = 0.1
# A paused session while there is room for all is a transient only while the round that resumes it travels (an
# event, a Celery task, a CALL); longer than this counts as starved.
RESUME_GRACE_S = 5.0
# How long the limits may stay above a building load that just rose: the post, the round and the cuts' CALLs.
CUT_GRACE_S = 5.0


def profile_bound(changes: list[tuple[tuple[int, ...], Decimal]]) -> int:
    """The most TxProfiles the scenario may cause. Each change (one start, one stop, one building reading) moves the
    limit of the sessions whose share it changes (a new session counts: it gets its first profile, a pause too);
    with one profile in flight per session, a session may get an intermediate value before the final one: twice
    the sessions each change moves."""
    bound, before = 0, {}
    for txs, headroom_a in changes:
        after = expected_shares(list(txs), headroom_a)
        bound += 2 * sum(1 for tx, share in after.items() if before.get(tx) != share)
        before = after
    return bound


def expected_shares(txs: list[int], headroom_a: Decimal) -> dict[int, Decimal]:
    """What the allocator should converge to for these sessions (oldest first, all three-phase, no charger maximum
    reached): as many as fit at 6 A are admitted, oldest first, and share the headroom equally, rounded down to a
    tenth; the others are paused at 0 A."""
    admitted = min(len(txs), int(headroom_a // FLOOR_A))
    share = Decimal(math.floor(headroom_a * 10 / admitted)) / 10 if admitted else Decimal(0)
    return {tx: share if index < admitted else Decimal(0) for index, tx in enumerate(txs)}


@dataclass
class Sampler:
    """Reads the simulators' held limits every SAMPLE_EVERY_S and records every breach of the rules."""

    log: base.ProfileLog
    building_a: Decimal = Decimal(0)
    building_since: float = 0.0
    samples: int = 0
    started: float = 0.0
    sampled_s: float = 0.0
    max_sum: Decimal = Decimal(0)
    # The same with the default its charger accepted for a running session whose first TxProfile has not arrived
    # (a charger that accepted none yet counts its session at the limit: nothing limits it).
    max_sum_with_defaults: Decimal = Decimal(0)
    over_limit_with_defaults: list[Decimal] = field(default_factory=list)
    over_headroom: list[tuple[float, Decimal, Decimal]] = field(default_factory=list)
    over_limit: list[Decimal] = field(default_factory=list)
    below_floor: list[tuple[int, Decimal]] = field(default_factory=list)
    starved: list[tuple[int, float]] = field(default_factory=list)
    worst_cut_s: float = 0.0
    paused_with_room_since: dict[int, float] = field(default_factory=dict)

    def building_rises(self, building_a: Decimal) -> None:
        self.building_a, self.building_since = building_a, time.monotonic()

    def sample(self) -> None:
        now = time.monotonic()
        running = set(self.log.running)
        held = {tx: self.log.held[tx] for tx in running if tx in self.log.held}
        total = sum(held.values(), Decimal(0))
        headroom = LIMIT_A - self.building_a
        self.samples += 1
        self.max_sum = max(self.max_sum, total)
        with_defaults = sum((self.log.held.get(tx, self._default(tx)) for tx in running), Decimal(0))
        self.max_sum_with_defaults = max(self.max_sum_with_defaults, with_defaults)
        if with_defaults > LIMIT_A:
            self.over_limit_with_defaults.append(with_defaults)
        if total > LIMIT_A:
            self.over_limit.append(total)
        if total > headroom:
            # Allowed only while the cuts for a building load that just rose are on their way (then it is timed);
            # with no building reading, or once that time is up, it is a breach.
            cutting_s = now - self.building_since
            if self.building_a and total <= LIMIT_A and cutting_s <= CUT_GRACE_S:
                self.worst_cut_s = max(self.worst_cut_s, cutting_s)
            else:
                self.over_headroom.append((round(cutting_s, 2), total, headroom))
        self.below_floor += [(tx, a) for tx, a in held.items() if Decimal(0) < a < FLOOR_A]
        room_for_all = len(running) * FLOOR_A <= headroom
        for tx in running:
            if room_for_all and held.get(tx) == 0:
                since = self.paused_with_room_since.setdefault(tx, now)
                if now - since > RESUME_GRACE_S:
                    self.starved.append((tx, now - since))
            else:
                self.paused_with_room_since.pop(tx, None)

    def _default(self, tx: int) -> Decimal:
        return self.log.defaults.get(self.log.charger_of.get(tx, ""), LIMIT_A)

    async def run(self) -> None:
        self.started = time.monotonic()
        while True:
            self.sampled_s = time.monotonic() - self.started
            self.sample()
            await asyncio.sleep(SAMPLE_EVERY_S)


@dataclass
class Fleet:
    """The scenario's moves on the simulators, each recorded as a change (for the bound) and a stage (for the
    figures)."""

    ocpp_url: str
    building_url: str
    key: str
    log: base.ProfileLog = field(default_factory=base.ProfileLog)
    sims: list[SimulatedCharger] = field(default_factory=list)
    txs: list[int] = field(default_factory=list)  # the running sessions, oldest first
    stages: list[tuple[str, int, float]] = field(default_factory=list)  # (what, sessions running, s to converge)
    changes: list[tuple[tuple[int, ...], Decimal]] = field(default_factory=list)  # after each: (running, headroom)

    def __post_init__(self) -> None:
        self.sampler = Sampler(self.log)

    def changed(self) -> None:
        self.changes.append((tuple(self.txs), LIMIT_A - self.sampler.building_a))

    async def connect(self, charge_point_ids: list[str]) -> None:
        for index, charge_point_id in enumerate(charge_point_ids):
            sim = SimulatedCharger(self.ocpp_url, charge_point_id, password=base.KEY)
            # Some chargers are slow to answer: a raise sent before a slow one took its cut shows as a sum too high.
            sim.answers["SetChargingProfile"] = self.log.answer(sim, delay_s=0.4 if index % 5 == 0 else 0.05)
            await sim.connect()
            await sim.boot()
            self.sims.append(sim)
        async with asyncio.timeout(15):  # each gets its safe default on connecting
            while self.log.purposes().count("TxDefaultProfile") < len(charge_point_ids):
                await asyncio.sleep(0.05)

    async def start(self, sims: list[SimulatedCharger]) -> None:
        for sim in sims:  # staggered: each start is its own event and its own round
            self.txs.append((await sim.start(1, TAG, 0))["transactionId"])
            self.log.charger_of[self.txs[-1]] = sim.charge_point_id
            self.log.running.add(self.txs[-1])
            self.sampler.sample()  # at the very start too: the new session draws its charger's default
            self.changed()
            await asyncio.sleep(0.1)

    async def stop_oldest(self, sims: list[SimulatedCharger]) -> None:
        for sim in sims:
            tx = self.txs.pop(0)
            await sim.stop(tx, 1000)
            self.log.running.discard(tx)
            self.changed()

    async def building(self, current_a: list[int]) -> None:
        self.sampler.building_rises(Decimal(max(current_a)))  # from the post on, the chargers must come under it
        self.changed()
        status, _ = await asyncio.to_thread(http, "POST", self.building_url, self.key, {"current_a": current_a})
        assert status == 202

    async def converge(self, what: str) -> None:
        expected = expected_shares(self.txs, LIMIT_A - self.sampler.building_a)
        self.stages.append((what, len(self.txs), await base.held_become(self.log, expected, timeout=15)))

    async def scenario(self, charge_point_ids: list[str]) -> None:
        await self.connect(charge_point_ids)
        sampling = asyncio.get_running_loop().create_task(self.sampler.run())
        sims = self.sims
        await self.start(sims[:9])
        await self.converge("9 start: 7.0 A each")
        await self.building([8, 5, 4])
        await self.converge("building 8 A: 55 A left, 9 at 6.1 A")
        await self.start(sims[9:14])
        await self.converge("5 more start: 9 at 6.1 A, the 5 newest paused")
        await self.building([15, 12, 10])
        await self.converge("building 15 A: 8 at 6.0 A, exactly full, 6 paused")
        await self.stop_oldest(sims[:6])
        await self.converge("6 oldest stop: the 8 left at 6.0 A, the paused resumed")
        await self.start(sims[14:17])
        await self.converge("3 start on fresh chargers: 8 at 6.0 A, 3 paused")
        self.sampler.sample()
        sampling.cancel()
        for sim in sims:
            await sim.close()

    def report(self, took_s: float) -> None:
        sampler, purposes = self.sampler, self.log.purposes()
        print(f"\nfleet of {CHARGERS} on {LIMIT_A} A in {took_s:.1f} s, {sampler.samples} samples")
        for what, running, took in self.stages:
            print(f"  {what}: {running} running, converged in {took:.2f} s")
        print(f"  largest held sum {sampler.max_sum} A ({sampler.max_sum_with_defaults} A counting the {DEFAULT_A} A")
        print(f"  default of a session not yet profiled), worst cut after a building rise {sampler.worst_cut_s:.2f} s")
        print(f"  SetChargingProfile: {purposes.count('TxDefaultProfile')} TxDefaultProfiles,")
        print(f"  {purposes.count('TxProfile')} TxProfiles (bound {profile_bound(self.changes)})")


def test_twenty_chargers_share_a_63_a_site_as_the_building_rises_and_sessions_come_and_go(
    command_portal, celery_worker
) -> None:
    site = site_save(name=f"Fleet {uuid.uuid4().hex[:6]}", grid_limit_a=LIMIT_A)
    chargers = [
        charge_point_register(charge_point_id=f"FLT-{uuid.uuid4().hex[:8]}", auth_key=base.KEY) for _ in range(CHARGERS)
    ]
    site_save(site=site, name=site.name, grid_limit_a=LIMIT_A, charge_points=chargers)
    id_tag_create(id_tag=TAG)
    _, key = api_key_create(user=OperatorFactory(), name="meter", scopes=["commands", "read"])
    fleet = Fleet(command_portal.ocpp_url, f"{command_portal.http_url}/api/v1/sites/{site.pk}/load/building/", key)

    began = time.monotonic()
    asyncio.run(fleet.scenario([charger.charge_point_id for charger in chargers]))
    fleet.report(time.monotonic() - began)

    sampler, log = fleet.sampler, fleet.log
    # The sampler shares the simulators' event loop: at least half its ticks happened, or a breach could hide.
    assert sampler.samples >= 0.5 * sampler.sampled_s / SAMPLE_EVERY_S, (sampler.samples, sampler.sampled_s)
    assert not sampler.over_limit, sampler.over_limit
    assert not sampler.over_limit_with_defaults, sampler.over_limit_with_defaults
    assert set(log.defaults.values()) == {DEFAULT_A}, log.defaults
    assert max(log.sums) <= LIMIT_A, log.sums  # also at every accept, between samples
    assert not sampler.over_headroom, sampler.over_headroom
    assert not sampler.below_floor, sampler.below_floor
    assert not sampler.starved, sampler.starved
    # Bounds: one default per charger, on connecting; TxProfiles as profile_bound derives them.
    assert log.purposes().count("TxDefaultProfile") == CHARGERS
    assert log.purposes().count("TxProfile") <= profile_bound(fleet.changes), log.calls
