"""A firmware rollout over a handful of simulated chargers through the real pipeline: the API creates it, the Celery
worker sends UpdateFirmware in waves of two, each wave going out once the previous one reported Installed or failed;
a charger whose download fails is retried; a rollout whose failures pass max_failure_rate pauses."""

import asyncio
import time
import uuid

import pytest

from chargers.files.models import FirmwareRollout, RolloutStatus
from chargers.files.services import firmware_create
from chargers.services import charge_point_register
from tests.factories import OperatorFactory, token_client
from tests.simulator import SimulatedCharger

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "fedcba9876543210fedcba9876543210fedcba98"
SUCCESS = ["Downloading", "Downloaded", "Installing", "Installed"]


class FleetCharger:
    """A simulated charger that answers UpdateFirmware and then reports the statuses of its next script."""

    def __init__(self, sim: SimulatedCharger, scripts: list[list[str]]) -> None:
        self.sim, self.scripts, self.updates = sim, scripts, []
        sim.answers["UpdateFirmware"] = self._update

    def _update(self, payload: dict) -> dict:
        self.updates.append(time.monotonic())
        script = self.scripts.pop(0) if self.scripts else SUCCESS
        asyncio.get_running_loop().create_task(self._report(script))
        return {}

    async def _report(self, statuses: list[str]) -> None:
        await asyncio.sleep(0.05)  # the CALLRESULT first, as a charger would
        for status in statuses:
            await self.sim.call("FirmwareStatusNotification", {"status": status})


IN_FLIGHT = {"sent", "downloading", "downloaded", "installing"}


def settled(detail: dict) -> bool:
    """Completed, or paused with its last wave finished."""
    if detail["status"] == RolloutStatus.COMPLETED:
        return True
    return detail["status"] == RolloutStatus.PAUSED and not IN_FLIGHT & {row["status"] for row in detail["chargers"]}


def rollout_of(chargers: dict[str, list[list[str]]], **fields) -> tuple[dict, dict[str, FleetCharger]]:
    """Connect the chargers, create the rollout through the API, and run until it completes or pauses."""
    prefix = f"RO-{uuid.uuid4().hex[:8]}"  # one for the fleet: the ids sort as the names do
    ids = {f"{prefix}-{name}": scripts for name, scripts in chargers.items()}
    for charge_point_id in ids:
        charge_point_register(charge_point_id=charge_point_id, auth_key=KEY)
    firmware = firmware_create(chunks=[b"firmware"], file_name="f.zip", version=uuid.uuid4().hex[:8], model="INCH")
    client = token_client(OperatorFactory())

    async def scenario(portal_url: str) -> tuple[dict, dict[str, FleetCharger]]:
        fleet = {}
        for charge_point_id, scripts in ids.items():
            sim = await SimulatedCharger(portal_url, charge_point_id, password=KEY).connect()
            await sim.boot()
            fleet[charge_point_id] = FleetCharger(sim, list(scripts))
        body = {"firmware": firmware.pk, "charge_point_ids": sorted(ids), **fields}
        created = await asyncio.to_thread(lambda: client.post("/api/v1/firmware-rollouts/", body, format="json"))
        assert created.status_code == 201, created.json()
        detail = created.json()
        deadline = time.monotonic() + 20
        while not settled(detail):
            assert time.monotonic() < deadline, detail
            await asyncio.sleep(0.1)
            detail = (await asyncio.to_thread(client.get, f"/api/v1/firmware-rollouts/{detail['id']}/")).json()
        for charger in fleet.values():
            await charger.sim.close()
        return detail, fleet

    return scenario


def test_a_rollout_goes_out_in_waves_and_retries_a_charger_whose_download_failed(command_portal, celery_worker) -> None:
    scenario = rollout_of(
        {"a": [], "b": [["Downloading", "DownloadFailed"]], "c": [], "d": []},
        batch_size=2,
        retries=1,
        max_failure_rate=0.5,
    )
    detail, fleet = asyncio.run(scenario(command_portal.ocpp_url))
    assert detail["status"] == RolloutStatus.COMPLETED
    by_id = {row["charge_point_id"]: row for row in detail["chargers"]}
    assert {row["status"] for row in by_id.values()} == {"installed"}
    [a, b, c, d] = sorted(by_id)
    assert (by_id[b]["attempts"], by_id[a]["attempts"]) == (2, 1)
    # Waves of two: c and d were sent only after a and b had both finished (b's failure included).
    first_wave_done = max(fleet[a].updates[0], fleet[b].updates[0])
    assert min(fleet[c].updates[0], fleet[d].updates[0]) > first_wave_done
    assert len(fleet[b].updates) == 2


def test_a_rollout_pauses_when_its_failures_pass_the_threshold(command_portal, celery_worker) -> None:
    failing = [["Downloading", "Downloaded", "Installing", "InstallationFailed"]]
    scenario = rollout_of({"a": failing, "b": failing, "c": [], "d": []}, batch_size=2, max_failure_rate=0.25)
    detail, fleet = asyncio.run(scenario(command_portal.ocpp_url))
    assert detail["status"] == RolloutStatus.PAUSED and "failed" in detail["reason"]
    statuses = sorted(row["status"] for row in detail["chargers"])
    assert statuses == ["failed", "failed", "pending", "pending"]
    assert sum(len(charger.updates) for charger in fleet.values()) == 2
    assert FirmwareRollout.objects.get(pk=detail["id"]).status == RolloutStatus.PAUSED
