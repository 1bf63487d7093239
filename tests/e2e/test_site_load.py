"""Site load management end to end: four simulated chargers on one 20 A site, a real daphne (command_portal) and a
real Celery worker. Sessions start and stop; the chargers hear their TxProfiles; the limits they hold never add up
to more than the site's, and the number of SetChargingProfile calls stays bounded."""

import asyncio
import json
import time
import uuid
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from chargers.services import charge_point_register
from rfid.services import id_tag_create
from tests.db import in_db_thread
from tests.simulator import SimulatedCharger
from transactions.load.selectors import site_load
from transactions.sites.models import Site
from transactions.sites.services import site_save

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "0123456789abcdef0123456789abcdef01234567"
LIMIT_A = Decimal(20)
TAG = "LOADTAG1"


class ProfileLog:
    """Every SetChargingProfile the chargers received, in the order they arrived (one event loop). A charger
    answers each after its delay and holds the limit from then on. The first charger is slow (it holds the most
    at first and is cut first): a raise sent to a quick one before the slow one answered its cut shows as a sum
    over the limit."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.held: dict[int, Decimal] = {}  # transaction id -> the limit of its newest accepted TxProfile
        self.defaults: dict[str, Decimal] = {}  # charge point id -> the limit of its newest accepted default
        self.running: set[int] = set()
        self.charger_of: dict[int, str] = {}  # transaction id -> charge point id (the scenario notes it)
        self.sums: list[Decimal] = []

    def answer(self, sim: SimulatedCharger, delay_s: float):
        def record(payload: dict) -> None:
            self.calls.append((sim.charge_point_id, payload))
            unique_id = sim.received_calls[-1][0]  # the simulator logs the CALL before it asks for the answer
            asyncio.get_running_loop().create_task(self._accept_later(sim, unique_id, payload, delay_s))
            return None  # answered by _accept_later

        return record

    async def _accept_later(self, sim: SimulatedCharger, unique_id: str, payload: dict, delay_s: float) -> None:
        await asyncio.sleep(delay_s)
        profile = payload["csChargingProfiles"]
        limit = Decimal(str(profile["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"]))
        if profile["chargingProfilePurpose"] == "TxDefaultProfile":
            self.defaults[sim.charge_point_id] = limit
        if profile["chargingProfilePurpose"] == "TxProfile":
            self.held[profile["transactionId"]] = limit
            self.sums.append(sum(self.held.get(tx, Decimal(0)) for tx in self.running))
        await sim.ws.send(json.dumps([3, unique_id, {"status": "Accepted"}]))

    def purposes(self) -> list[str]:
        return [payload["csChargingProfiles"]["chargingProfilePurpose"] for _, payload in self.calls]


async def held_become(log: ProfileLog, expected: dict[int, Decimal], timeout: float) -> float:
    """Seconds until the chargers hold exactly `expected` for these sessions."""
    started = time.monotonic()
    async with asyncio.timeout(timeout):
        while {tx: log.held.get(tx) for tx in expected} != expected:
            await asyncio.sleep(0.05)
    return time.monotonic() - started


def test_four_chargers_share_a_20_a_site_and_never_hold_more_than_its_limit(command_portal, celery_worker) -> None:
    site = site_save(name=f"Depot {uuid.uuid4().hex[:6]}", grid_limit_a=LIMIT_A)
    chargers = [charge_point_register(charge_point_id=f"LOAD-{uuid.uuid4().hex[:8]}", auth_key=KEY) for _ in range(4)]
    site_save(site=site, name=site.name, grid_limit_a=LIMIT_A, charge_points=chargers)
    id_tag_create(id_tag=TAG)
    log = ProfileLog()

    async def scenario() -> dict:
        sims = []
        for index, charger in enumerate(chargers):
            sim = SimulatedCharger(command_portal.ocpp_url, charger.charge_point_id, password=KEY)
            sim.answers["SetChargingProfile"] = log.answer(sim, delay_s=0.8 if index == 0 else 0.05)
            await sim.connect()
            await sim.boot()
            sims.append(sim)
        async with asyncio.timeout(10):  # each gets its safe default on connecting
            while log.purposes().count("TxDefaultProfile") < 4:
                await asyncio.sleep(0.05)
        txs, took = [], []
        for sim in sims:
            start = await sim.start(1, TAG, 0)
            txs.append(start["transactionId"])
            log.running.add(start["transactionId"])
            shares = {1: [Decimal(20)], 2: [Decimal(10)] * 2, 3: [Decimal("6.6")] * 3, 4: [Decimal("6.6")] * 3 + [0]}
            took.append(await held_become(log, dict(zip(txs, shares[len(txs)], strict=True)), timeout=10))
        api = await in_db_thread(api_load, site_pk=site.pk)
        await sims[0].stop(txs[0], 1000)
        log.running.discard(txs[0])
        rise = await held_become(log, {tx: Decimal("6.6") for tx in txs[1:]}, timeout=15)
        for sim in sims:
            await sim.close()
        return {"txs": txs, "took": took, "rise": rise, "api": api}

    result = asyncio.run(scenario())
    assert max(result["took"]) < 10 and result["rise"] < 15
    assert max(log.sums) <= LIMIT_A, log.sums
    # 4 defaults; then 8 TxProfiles are all it takes: 20 A; a cut to 10 and a 10; two cuts to 6.6 and a 6.6; a
    # pause; a resume at 6.6 (two spare for a profile the busy machine lets time out and the next round resends).
    assert log.purposes().count("TxDefaultProfile") == 4
    assert 8 <= log.purposes().count("TxProfile") <= 10, log.calls
    api = result["api"]
    assert api["limit_a"] == 20.0
    assert sum(Decimal(str(a["limit_a"])) for a in api["allocations"]) <= LIMIT_A
    assert [a["transaction_id"] for a in api["allocations"]] == result["txs"]
    assert [a["limit_a"] for a in api["allocations"]] == [6.6, 6.6, 6.6, 0.0]
    final = site_load(site=Site.objects.get(pk=site.pk))
    assert [a["transaction_id"] for a in final.allocations] == result["txs"][1:]


def api_load(*, site_pk: int) -> dict:
    user = User.objects.create_user(f"op-{uuid.uuid4().hex[:6]}", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_site"))
    client = Client()
    client.force_login(user)
    response = client.get(f"/api/v1/sites/{site_pk}/load/")
    assert response.status_code == 200, response.content
    return response.json()
