"""Charging profiles through a real daphne session and a simulated charger: a profile is sent with
SetChargingProfile carrying the portal's id, the charger's answer is kept (Accepted and Rejected), ClearChargingProfile
takes it off by id, and the composite schedule the charger answers is kept and read as a step chart."""

import asyncio
import time
import uuid

import pytest

from chargers.charging.selectors import composite_last, composite_series, profile_state
from chargers.charging.services import charging_profile_clear, charging_profile_create, composite_request
from chargers.models import ChargePoint, ChargingProfile, Command, CommandStatus
from chargers.ocpp.results import request_problem
from chargers.services import charge_point_register
from tests.db import in_db_thread
from tests.simulator import SimulatedCharger

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "0123456789abcdef0123456789abcdef01234567"
PROFILE = {
    "stackLevel": 0,
    "chargingProfilePurpose": "ChargePointMaxProfile",
    "chargingProfileKind": "Relative",
    "chargingSchedule": {"chargingRateUnit": "W", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 11000.0}]},
}
COMPOSITE = {
    "status": "Accepted",
    "connectorId": 0,
    "scheduleStart": "2026-12-01T06:00:00Z",
    "chargingSchedule": {
        "duration": 600,
        "chargingRateUnit": "W",
        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 11000.0}, {"startPeriod": 300, "limit": 7400.5}],
    },
}
ENDED = (CommandStatus.ACCEPTED, CommandStatus.REJECTED, CommandStatus.FAILED, CommandStatus.TIMED_OUT)


def ended_status(command_pk: int, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = Command.objects.get(pk=command_pk).status
        if status in ENDED:
            return status
        time.sleep(0.05)
    raise AssertionError("the command did not end in time")


def test_profiles_are_set_cleared_and_the_composite_schedule_is_kept(command_portal) -> None:
    charger: ChargePoint = charge_point_register(charge_point_id=f"PROF-{uuid.uuid4().hex[:10]}", auth_key=KEY)

    async def send(service, **kwargs):
        result = await in_db_thread(service, check_payload=request_problem, **kwargs)
        command = result.set_command if isinstance(result, ChargingProfile) else result
        return result, await in_db_thread(ended_status, command.pk)

    async def scenario():
        sim = await SimulatedCharger(command_portal.ocpp_url, charger.charge_point_id, password=KEY).connect()
        await sim.boot()
        accepted, set_status = await send(
            charging_profile_create, charge_point=charger, connector_id=0, profile=PROFILE
        )
        _, clear_status = await send(charging_profile_clear, profile=accepted)
        sim.answers["SetChargingProfile"] = {"status": "Rejected"}
        refused, refused_status = await send(
            charging_profile_create, charge_point=charger, connector_id=0, profile=PROFILE
        )
        sim.answers["GetCompositeSchedule"] = COMPOSITE
        _, composite_status = await send(composite_request, charge_point=charger, connector_id=0, duration_s=600)
        await sim.close()
        return sim.received_calls, accepted, refused, (set_status, clear_status, refused_status, composite_status)

    calls, accepted, refused, statuses = asyncio.run(scenario())
    assert statuses == ("accepted", "accepted", "rejected", "accepted")
    sent = [(action, payload) for _, action, payload in calls]
    assert sent[0] == (
        "SetChargingProfile",
        {"connectorId": 0, "csChargingProfiles": {**PROFILE, "chargingProfileId": accepted.pk}},
    )
    assert sent[1] == ("ClearChargingProfile", {"id": accepted.pk})
    assert sent[3] == ("GetCompositeSchedule", {"connectorId": 0, "duration": 600})
    accepted = ChargingProfile.objects.select_related("set_command", "clear_command").get(pk=accepted.pk)
    refused = ChargingProfile.objects.select_related("set_command").get(pk=refused.pk)
    assert (profile_state(profile=accepted), accepted.set_command.response) == ("cleared", {"status": "Accepted"})
    assert (profile_state(profile=refused), refused.set_command.response) == ("rejected", {"status": "Rejected"})
    last = composite_last(charge_point=charger)
    assert last.response == COMPOSITE
    start = 1796104800.0  # 2026-12-01T06:00:00Z
    assert composite_series(response=last.response) == {
        "unit": "W",
        "t": [start, start + 300, start + 600],
        "limit": [11000.0, 7400.5, 7400.5],
    }
