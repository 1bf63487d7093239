"""A building reading end to end: two simulated chargers share a 20 A site (real daphne, real Celery worker); an
integrator posts the building's draw over HTTP with a `commands` key; the round it brings cuts both chargers to what
is left, and the site's history shows the round with the building in it."""

import asyncio
import json
import urllib.request
import uuid
from decimal import Decimal

import pytest

from chargers.services import charge_point_register
from portal.services import api_key_create
from rfid.services import id_tag_create
from tests.e2e import test_site_load as base
from tests.factories import OperatorFactory
from tests.simulator import SimulatedCharger
from transactions.sites.services import site_save

pytestmark = pytest.mark.django_db(transaction=True)

LIMIT_A = Decimal(20)
TAG = "LOADTAG2"


def http(method: str, url: str, key: str, body: dict | None = None) -> tuple[int, object]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", f"Token {key}")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def test_a_posted_building_load_cuts_the_chargers_to_what_is_left_and_shows_in_the_history(
    command_portal, celery_worker
) -> None:
    site = site_save(name=f"Depot {uuid.uuid4().hex[:6]}", grid_limit_a=LIMIT_A)
    chargers = [charge_point_register(charge_point_id=f"BLD-{uuid.uuid4().hex[:8]}", auth_key=base.KEY) for _ in "ab"]
    site_save(site=site, name=site.name, grid_limit_a=LIMIT_A, charge_points=chargers)
    id_tag_create(id_tag=TAG)
    _, key = api_key_create(user=OperatorFactory(), name="meter", scopes=["commands", "read"])
    api = f"{command_portal.http_url}/api/v1/sites/{site.pk}/load"
    log = base.ProfileLog()

    async def scenario() -> dict:
        sims, txs = [], []
        for charger in chargers:
            sim = SimulatedCharger(command_portal.ocpp_url, charger.charge_point_id, password=base.KEY)
            sim.answers["SetChargingProfile"] = log.answer(sim, delay_s=0.05)
            await sim.connect()
            await sim.boot()
            sims.append(sim)
        for sim in sims:
            txs.append((await sim.start(1, TAG, 0))["transactionId"])
            log.running.add(txs[-1])
        await base.held_become(log, dict.fromkeys(txs, Decimal(10)), timeout=10)
        posted = await asyncio.to_thread(http, "POST", f"{api}/building/", key, {"current_a": [8, 7, 6]})
        # 20 A - 8 A on L1 (the worst phase) leaves 12 A: 6 A each.
        cut = await base.held_become(log, dict.fromkeys(txs, Decimal(6)), timeout=10)
        history = await asyncio.to_thread(http, "GET", f"{api}/history/", key)
        for sim in sims:
            await sim.close()
        return {"posted": posted, "cut": cut, "history": history}

    result = asyncio.run(scenario())
    assert result["posted"][0] == 202 and result["cut"] < 10
    assert max(log.sums) <= LIMIT_A, log.sums
    status, rows = result["history"]
    assert status == 200
    assert rows[-1]["allocated_a"] == 12.0 and rows[-1]["building_a"] == 8.0 and rows[-1]["limit_a"] == 20.0
