"""The INCH's building consumption end to end: two simulated INCH chargers (matched to the shipped profile at boot)
share a 20 A site (real daphne, real Celery worker); one sends a MeterValues at connectorId 0 with the
non-standard "Building consumption" in kW without a unit (the profile's assumed form); the round it brings cuts
both sessions to what is left, and the site's load shows the building's draw."""

import asyncio
import uuid
from decimal import Decimal

import pytest

from chargers.services import charge_point_register
from rfid.services import id_tag_create
from tests.chargers.test_profiles import load_inch
from tests.db import in_db_thread
from tests.e2e import test_site_load as base
from tests.simulator import SimulatedCharger, now_iso
from transactions.load.selectors import building_load
from transactions.sites.models import Site
from transactions.sites.services import site_save

pytestmark = pytest.mark.django_db(transaction=True)

LIMIT_A = Decimal(20)
TAG = "LOADTAG3"


def building_now(site_pk: int) -> tuple[float, float, float] | None:
    found = building_load(site=Site.objects.get(pk=site_pk))
    return found.current_a if found is not None else None


def test_an_inch_s_metered_building_consumption_cuts_the_site_s_sessions_to_what_is_left(
    command_portal, celery_worker
) -> None:
    load_inch()
    site = site_save(name=f"Depot {uuid.uuid4().hex[:6]}", grid_limit_a=LIMIT_A)
    chargers = [charge_point_register(charge_point_id=f"INL-{uuid.uuid4().hex[:8]}", auth_key=base.KEY) for _ in "ab"]
    site_save(site=site, name=site.name, grid_limit_a=LIMIT_A, charge_points=chargers)
    id_tag_create(id_tag=TAG)
    log = base.ProfileLog()

    async def scenario() -> dict:
        sims, txs = [], []
        for charger in chargers:
            sim = SimulatedCharger(command_portal.ocpp_url, charger.charge_point_id, password=base.KEY)
            sim.answers["SetChargingProfile"] = log.answer(sim, delay_s=0.05)
            await sim.connect()
            await sim.boot()  # an INCH: vendor Etrel, model G-HB1V5CY20-A14
            sims.append(sim)
        for sim in sims:
            txs.append((await sim.start(1, TAG, 0))["transactionId"])
            log.running.add(txs[-1])
        await base.held_become(log, dict.fromkeys(txs, Decimal(10)), timeout=10)
        # 5.52 kW over three phases at 230 V: 8 A a phase; 20 A - 8 A leaves 12 A: 6 A each.
        building = [{"value": "5.52", "measurand": "Building consumption"}]
        await sims[0].call(
            "MeterValues", {"connectorId": 0, "meterValue": [{"timestamp": now_iso(), "sampledValue": building}]}
        )
        cut = await base.held_become(log, dict.fromkeys(txs, Decimal(6)), timeout=10)
        seen = await in_db_thread(building_now, site_pk=site.pk)
        for sim in sims:
            await sim.close()
        return {"cut": cut, "seen": seen}

    result = asyncio.run(scenario())
    assert result["cut"] < 10 and result["seen"] == (8.0, 8.0, 8.0)
    assert max(log.sums) <= LIMIT_A, log.sums
