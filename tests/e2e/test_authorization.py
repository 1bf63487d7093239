"""Each authorization outcome through the real handlers: a simulated charger over a real daphne server."""

import asyncio
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from chargers.services import charge_point_register
from rfid.models import IdTagStatus
from rfid.services import id_tag_create, id_tag_update
from tests.db import in_db_thread
from tests.simulator import SimulatedCharger

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "0123456789abcdef0123456789abcdef01234567"


def test_authorize_start_and_stop_answer_each_outcome_with_an_expiry_date(command_portal) -> None:
    here = charge_point_register(charge_point_id=f"AUTH-{uuid.uuid4().hex[:8]}", auth_key=KEY)
    there = charge_point_register(charge_point_id=f"AUTH-{uuid.uuid4().hex[:8]}", auth_key=KEY)
    driver = id_tag_create(id_tag="D21VE2")
    id_tag_create(id_tag="B10C", status=IdTagStatus.BLOCKED)
    id_tag_create(id_tag="E1D0", expires_at=timezone.now() - timedelta(days=1))
    id_tag_create(id_tag="DEB0").allowed_charge_points.add(there)

    async def scenario() -> dict:
        async with (
            SimulatedCharger(command_portal.ocpp_url, here.charge_point_id, password=KEY) as sim_here,
            SimulatedCharger(command_portal.ocpp_url, there.charge_point_id, password=KEY) as sim_there,
        ):
            await sim_here.boot()
            await sim_there.boot()
            seen = {
                tag: await sim_here.call("Authorize", {"idTag": tag}) for tag in ("0BADC0DE", "B10C", "E1D0", "DEB0")
            }
            started = await sim_there.start(1, "D21VE2", 0)
            seen["elsewhere"] = await sim_here.start(2, "d21ve2", 0)
            # Blocked while charging: StopTransaction's answer says so (the charger may then refuse it next time).
            await in_db_thread(id_tag_update, tag=driver, status=IdTagStatus.BLOCKED)
            seen["stop"] = await sim_there.stop(started["transactionId"], 500, idTag="D21VE2")
        return seen

    seen = asyncio.run(scenario())
    statuses = {key: answer["idTagInfo"]["status"] for key, answer in seen.items()}
    assert statuses == {
        "0BADC0DE": "Invalid",
        "B10C": "Blocked",
        "E1D0": "Expired",
        "DEB0": "Invalid",  # allowed only at the other charger
        "elsewhere": "ConcurrentTx",
        "stop": "Blocked",
    }
    assert all(answer["idTagInfo"]["expiryDate"].endswith("Z") for answer in seen.values())
