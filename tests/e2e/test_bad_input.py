"""Bad input gets a clear OCPP 1.6 CALLERROR, loses nothing, and the session stays up."""

import asyncio
import json
import uuid

import pytest
import websockets

from chargers.models import ConnectionAttempt, MessageLog
from chargers.services import charge_point_register
from tests.simulator import CallErrorReceived, SimulatedCharger
from transactions.models import MeterValue

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "00112233445566778899aabbccddeeff00112233"


def registered():
    return charge_point_register(charge_point_id=f"BAD-{uuid.uuid4().hex[:10]}", auth_key=KEY)


async def error_for(sim: SimulatedCharger, text: str, unique_id: str) -> list:
    frame = await sim.send_frame(text, unique_id)
    assert frame[0] == 4, frame
    return frame


@pytest.mark.parametrize(
    ("text", "unique_id", "code"),
    [
        ('[2, "b1", "Heartbeat", {', "b1", "FormationViolation"),  # not JSON, id still recovered
        ('{"not": "an array"}', "-1", "FormationViolation"),
        ('[2, "b2", "Heartbeat"]', "b2", "ProtocolError"),  # missing payload
        ('[9, "b3", "Heartbeat", {}]', "b3", "ProtocolError"),  # unknown message type
        ('[2, "b4", "Heartbeat", []]', "b4", "FormationViolation"),  # payload is not an object
        ('[2, "b5", "FlyToTheMoon", {}]', "b5", "NotImplemented"),  # unknown action
        ('[2, "b6", "Reset", {"type": "Soft"}]', "b6", "NotSupported"),  # a central-system action
        ('[2, "b7", "Authorize", {}]', "b7", "OccurenceConstraintViolation"),
        ('[2, "b8", "Authorize", {"idTag": 12}]', "b8", "TypeConstraintViolation"),
        ('[2, "b9", "Authorize", {"idTag": "123456789012345678901"}]', "b9", "TypeConstraintViolation"),
        (
            '[2, "b10", "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Dancing"}]',
            "b10",
            "PropertyConstraintViolation",
        ),
        ('[2, "b11", "Heartbeat", {"extra": 1}]', "b11", "FormationViolation"),
    ],
)
def test_a_bad_frame_gets_the_1_6_error_code_and_the_session_stays_up(portal, text, unique_id, code) -> None:
    charger = registered()

    async def scenario() -> tuple[list, dict]:
        async with SimulatedCharger(portal.ocpp_url, charger.charge_point_id, password=KEY) as sim:
            await sim.boot()
            frame = await error_for(sim, text, unique_id)
            return frame, await sim.call("Heartbeat", {})

    frame, heartbeat = asyncio.run(scenario())
    assert frame[1] == unique_id
    assert frame[2] == code
    assert frame[3]  # a description that says what is wrong
    assert "currentTime" in heartbeat


def test_a_schema_violation_names_the_field(portal) -> None:
    charger = registered()

    async def scenario() -> CallErrorReceived:
        async with SimulatedCharger(portal.ocpp_url, charger.charge_point_id, password=KEY) as sim:
            await sim.boot()
            with pytest.raises(CallErrorReceived) as error:
                await sim.call(
                    "StartTransaction", {"connectorId": 1, "idTag": "X", "timestamp": "2026-01-01T00:00:00Z"}
                )
            return error.value

    error = asyncio.run(scenario())
    assert error.code == "OccurenceConstraintViolation"
    assert "meterStart" in error.description


def test_an_unparseable_frame_is_kept_in_the_message_log_as_sent(portal) -> None:
    charger = registered()

    async def scenario() -> None:
        async with SimulatedCharger(portal.ocpp_url, charger.charge_point_id, password=KEY) as sim:
            await sim.boot()
            await error_for(sim, '[2, "z1", "Heartbeat", {oops}]', "z1")
            await asyncio.sleep(0.3)

    asyncio.run(scenario())
    entry = MessageLog.objects.get(charge_point=charger, direction="in", error_code="FormationViolation")
    assert entry.raw == '[2, "z1", "Heartbeat", {oops}]'


def test_vendor_quirks_in_meter_values_never_cost_the_message(portal) -> None:
    charger = registered()
    quirky = {
        "connectorId": 1,
        "vendorSpecific": {"building": True},
        "meterValue": [
            {
                "timestamp": "2026-11-24T09:00:00Z",
                "sampledValue": [
                    {"value": "50.02", "measurand": "Frequency", "unit": "Hz"},
                    {"value": "12.5", "measurand": "Building.Consumption", "unit": "kW"},
                    {"value": "3.1", "unit": "kWh", "vendorField": "x"},
                    {"value": 7, "measurand": "Current.Import", "unit": "A", "phase": "L1"},
                    {"measurand": "Voltage"},
                ],
            },
            {"timestamp": "yesterday", "sampledValue": [{"value": "1"}]},
        ],
    }

    async def scenario() -> dict:
        async with SimulatedCharger(portal.ocpp_url, charger.charge_point_id, password=KEY) as sim:
            await sim.boot()
            reply = await sim.call("MeterValues", quirky)
            await asyncio.sleep(0.3)
            return reply

    assert asyncio.run(scenario()) == {}
    stored = {m.measurand: (m.raw_value, m.si_unit, m.value) for m in MeterValue.objects.filter(charge_point=charger)}
    assert set(stored) == {"Frequency", "Building.Consumption", "Energy.Active.Import.Register", "Current.Import"}
    assert stored["Building.Consumption"][1] == "W"
    assert stored["Energy.Active.Import.Register"][2] == 3100
    logged = MessageLog.objects.get(charge_point=charger, direction="in", action="MeterValues")
    assert "non-standard 'Building.Consumption'" in logged.problems
    assert "meterValue[1].timestamp" in logged.problems
    assert "sampledValue[4].value: missing" in logged.problems


def test_binary_frames_are_read_as_text(portal) -> None:
    charger = registered()

    async def scenario() -> list:
        async with SimulatedCharger(portal.ocpp_url, charger.charge_point_id, password=KEY) as sim:
            await sim.boot()
            future = asyncio.get_running_loop().create_future()
            sim._waiting["bin1"] = future
            await sim.ws.send(json.dumps([2, "bin1", "Heartbeat", {}]).encode())
            return await asyncio.wait_for(future, 5)

    frame = asyncio.run(scenario())
    assert frame[0] == 3


@pytest.mark.parametrize(
    ("password", "subprotocols", "reason"),
    [
        ("wrong-key-wrong-key-wrong", ("ocpp1.6",), "wrong AuthorizationKey"),
        (None, ("ocpp1.6",), "no Basic auth credentials"),
        (KEY, ("ocpp2.0.1",), "subprotocol ocpp1.6 not offered"),
        (KEY, (), "subprotocol ocpp1.6 not offered"),
    ],
)
def test_a_refused_handshake_is_logged_with_its_reason(portal, password, subprotocols, reason) -> None:
    charger = registered()

    async def scenario() -> int:
        sim = SimulatedCharger(portal.ocpp_url, charger.charge_point_id, password=password, subprotocols=subprotocols)
        with pytest.raises(websockets.InvalidStatus) as refused:
            await sim.connect()
        return refused.value.response.status_code

    assert asyncio.run(scenario()) == 403
    attempt = ConnectionAttempt.objects.get(charge_point_ident=charger.charge_point_id)
    assert reason in attempt.reason
    assert attempt.remote_addr == "127.0.0.1"


def test_the_40_hex_key_and_its_raw_20_bytes_both_authenticate(portal) -> None:
    charger = registered()

    async def scenario() -> None:
        for password in (KEY, bytes.fromhex(KEY)):
            async with SimulatedCharger(portal.ocpp_url, charger.charge_point_id, password=password) as sim:
                await sim.call("Heartbeat", {})

    asyncio.run(scenario())


def test_an_unknown_charger_is_refused_under_reject(closed_portal) -> None:
    ident = f"NEW-{uuid.uuid4().hex[:8]}"

    async def scenario() -> None:
        with pytest.raises(websockets.InvalidStatus):
            await SimulatedCharger(closed_portal.ocpp_url, ident).connect()

    asyncio.run(scenario())
    assert "OCPP_REGISTRATION=reject" in ConnectionAttempt.objects.get(charge_point_ident=ident).reason


def test_an_unknown_charger_waits_as_pending_by_default(portal) -> None:
    from chargers.models import ChargePoint

    ident = f"NEW-{uuid.uuid4().hex[:8]}"

    async def scenario() -> dict:
        async with SimulatedCharger(portal.ocpp_url, ident, password="a-key-of-sixteen-or-more") as sim:
            return await sim.boot()

    assert asyncio.run(scenario())["status"] == "Pending"
    charger = ChargePoint.objects.get(charge_point_id=ident)
    assert charger.registration_status == "Pending"
    assert charger.has_auth_key  # trust on first use: the key it presented is now its key


def test_an_unknown_charger_is_accepted_under_accept(open_portal) -> None:
    ident = f"NEW-{uuid.uuid4().hex[:8]}"

    async def scenario() -> dict:
        async with SimulatedCharger(open_portal.ocpp_url, ident) as sim:
            return await sim.boot()

    assert asyncio.run(scenario())["status"] == "Accepted"


def test_a_websocket_to_another_path_is_refused_and_logged(portal) -> None:
    async def scenario() -> None:
        with pytest.raises(websockets.InvalidStatus):
            await websockets.connect(f"ws://127.0.0.1:{portal.port}/not-ocpp/x", subprotocols=["ocpp1.6"])

    asyncio.run(scenario())
    assert ConnectionAttempt.objects.filter(path="/not-ocpp/x", reason__startswith="bad URL").exists()
