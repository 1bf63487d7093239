"""One hostile charger's frames cost only its own data: values the database cannot hold, NUL characters, lone
surrogates, impossible timestamps and colliding unknown transactions, sent over a real websocket to a real daphne."""

import asyncio
import json
import time
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from chargers.commands.services import command_create
from chargers.models import ChargePoint, Command, CommandStatus, ConfigurationKey, Connector, MessageLog
from chargers.ocpp.results import request_problem
from chargers.services import charge_point_register
from tests.db import in_db_thread
from tests.simulator import CallErrorReceived, SimulatedCharger, inch_sampled_values
from transactions.models import MeterValue, Transaction

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "00112233445566778899aabbccddeeff00112233"


def registered(prefix: str = "HOST") -> ChargePoint:
    return charge_point_register(charge_point_id=f"{prefix}-{uuid.uuid4().hex[:10]}", auth_key=KEY)


async def answer_to(sim: SimulatedCharger, action: str, payload: dict) -> list:
    """The frame answering one CALL (CALLRESULT or CALLERROR), sent as text so that any JSON can go out."""
    unique_id = uuid.uuid4().hex[:20]
    return await sim.send_frame(json.dumps([2, unique_id, action, payload]), unique_id)


def wait_for(predicate, timeout: float = 5.0) -> None:
    """The message log is written just after the reply: wait for what a test expects to be there."""
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.05)


# --- 1. A bad value in one frame never fails the frames of others --------------------------------------------


def test_a_bad_meter_value_costs_only_its_own_frame(portal) -> None:
    good = [registered("GOOD") for _ in range(10)]
    hostile = registered("EVIL")
    rounds = 8
    bad_values = ["1\u0000", "1e30", "NaN", "-" + "9" * 40]

    async def good_charger(charger: ChargePoint) -> list[list]:
        async with SimulatedCharger(portal.ocpp_url, charger.charge_point_id, password=KEY) as sim:
            frames = []
            for n in range(rounds):
                frames.append(
                    await answer_to(
                        sim,
                        "MeterValues",
                        {
                            "connectorId": 1,
                            "meterValue": [
                                {
                                    "timestamp": f"2026-11-24T10:{n:02d}:00Z",
                                    "sampledValue": inch_sampled_values(1 + n, 3.7),
                                }
                            ],
                        },
                    )
                )
            return frames

    async def hostile_charger() -> list[list]:
        async with SimulatedCharger(portal.ocpp_url, hostile.charge_point_id, password=KEY) as sim:
            frames = []
            for n in range(rounds):
                sampled = [
                    {"value": value, "measurand": "Voltage", "phase": f"L{i + 1}"} for i, value in enumerate(bad_values)
                ]
                sampled.append({"value": f"{n}.5", "unit": "kWh"})  # a valid value beside the bad ones
                sampled.append({"value": float("nan"), "measurand": "Frequency"})  # a bare NaN, which json allows
                frames.append(
                    await answer_to(
                        sim,
                        "MeterValues",
                        {
                            "connectorId": 1,
                            "meterValue": [{"timestamp": f"2026-11-24T10:{n:02d}:00Z", "sampledValue": sampled}],
                        },
                    )
                )
            return frames

    async def scenario() -> tuple[list[list[list]], list[list]]:
        *good_frames, hostile_frames = await asyncio.gather(*(good_charger(c) for c in good), hostile_charger())
        return good_frames, hostile_frames

    good_frames, hostile_frames = asyncio.run(scenario())

    for frames in good_frames:
        assert [f[0] for f in frames] == [3] * rounds, frames
    for frame in hostile_frames:
        assert frame[0] == 3 or frame[2] != "InternalError", frame
    for charger in good:
        assert MeterValue.objects.filter(charge_point=charger).count() == rounds * 10
    # The hostile charger's valid energy readings are kept too.
    assert MeterValue.objects.filter(charge_point=hostile, measurand="Energy.Active.Import.Register").count() == rounds
    # Every frame in and out is in the message log: the hostile charger's included, stored sanitised.
    expected = {c.pk: 2 * rounds for c in [*good, hostile]}
    wait_for(lambda: MessageLog.objects.filter(charge_point__in=[*good, hostile]).count() >= sum(expected.values()))
    for charger in [*good, hostile]:
        assert MessageLog.objects.filter(charge_point=charger, action="MeterValues").count() == 2 * rounds, charger


# --- 2. Values outside what the database holds are input errors, never InternalError -------------------------


def start(**changes) -> dict:
    return {"connectorId": 1, "idTag": "FA2AFD77", "meterStart": 100, "timestamp": "2026-11-24T10:00:00Z", **changes}


def stop(**changes) -> dict:
    return {"transactionId": 77, "meterStop": 200, "timestamp": "2026-11-24T11:00:00Z", **changes}


def meter(**changes) -> dict:
    return {
        "connectorId": 1,
        "meterValue": [{"timestamp": "2026-11-24T10:30:00Z", "sampledValue": [{"value": "5"}]}],
        **changes,
    }


@pytest.mark.parametrize(
    ("action", "payload", "code"),
    [
        ("StartTransaction", start(connectorId=-1), "PropertyConstraintViolation"),
        ("StartTransaction", start(connectorId=2**31), "TypeConstraintViolation"),
        ("StartTransaction", start(meterStart=2**70), "TypeConstraintViolation"),
        ("StartTransaction", start(idTag="FA\u00002AFD77"), "PropertyConstraintViolation"),
        ("StartTransaction", start(reservationId=-(2**40)), "TypeConstraintViolation"),
        ("StopTransaction", stop(transactionId=2**40), "TypeConstraintViolation"),
        ("StopTransaction", stop(meterStop=-(2**63)), "TypeConstraintViolation"),
        ("StopTransaction", stop(idTag="\ud800"), "PropertyConstraintViolation"),
        ("MeterValues", meter(connectorId=-(2**31)), "PropertyConstraintViolation"),
        ("MeterValues", meter(transactionId=2**40), "TypeConstraintViolation"),
        ("Authorize", {"idTag": "AB\u0000CD"}, "PropertyConstraintViolation"),
        ("Authorize", {"idTag": "\udcff"}, "PropertyConstraintViolation"),
        (
            "BootNotification",
            {"chargePointVendor": "Etrel\u0000", "chargePointModel": "G-HB1V5CY20-A14"},
            "PropertyConstraintViolation",
        ),
        ("DataTransfer", {"vendorId": "Etrel", "data": "x\u0000y"}, "PropertyConstraintViolation"),
        (
            "StatusNotification",
            {"connectorId": 2**33, "errorCode": "NoError", "status": "Available"},
            "TypeConstraintViolation",
        ),
        (
            "StatusNotification",
            {"connectorId": 1, "errorCode": "NoError", "status": "Available", "info": "\ud83d"},
            "PropertyConstraintViolation",
        ),
        ("FirmwareStatusNotification", {"status": "Installed\u0000"}, "PropertyConstraintViolation"),
    ],
)
def test_a_value_the_database_cannot_hold_is_a_constraint_violation(portal, action, payload, code) -> None:
    charger = registered()

    async def scenario() -> tuple[list, dict]:
        async with SimulatedCharger(portal.ocpp_url, charger.charge_point_id, password=KEY) as sim:
            frame = await answer_to(sim, action, payload)
            return frame, await sim.call("Heartbeat", {})

    frame, heartbeat = asyncio.run(scenario())
    assert frame[0] == 4, frame
    assert frame[2] == code, frame
    assert frame[4].get("field"), frame  # the field at fault is named
    assert "currentTime" in heartbeat
    wait_for(lambda: MessageLog.objects.filter(charge_point=charger, action=action, direction="in").exists())
    logged = MessageLog.objects.get(charge_point=charger, action=action, direction="in")
    assert logged.error_code == code


@pytest.mark.parametrize("bad", ["1\u0000", "1e30", "-1e300", "NaN", "99999999999999999999", "\ud800"])
def test_a_sampled_value_the_database_cannot_hold_is_dropped_and_the_rest_kept(portal, bad) -> None:
    charger = registered()
    payload = {
        "connectorId": 1,
        "meterValue": [
            {
                "timestamp": "2026-11-24T10:30:00Z",
                "sampledValue": [{"value": "2.5", "unit": "kWh"}, {"value": bad, "measurand": "Voltage"}],
            }
        ],
    }
    stop_payload = stop(transactionId=-5, transactionData=payload["meterValue"])

    async def scenario() -> tuple[dict, dict]:
        async with SimulatedCharger(portal.ocpp_url, charger.charge_point_id, password=KEY) as sim:
            return await sim.call("MeterValues", payload), await sim.call("StopTransaction", stop_payload)

    assert asyncio.run(scenario()) == ({}, {})
    energy = MeterValue.objects.filter(charge_point=charger, measurand="Energy.Active.Import.Register")
    assert sorted(energy.values_list("source", "value")) == [("MeterValues", 2500), ("StopTransaction", 2500)]
    for voltage in MeterValue.objects.filter(charge_point=charger, measurand="Voltage"):
        assert voltage.value is None  # kept as text at most, never as a number the column cannot hold
        assert "\x00" not in voltage.raw_value
    assert Transaction.objects.get(charge_point=charger, charger_transaction_id=-5).meter_stop_wh == 200
    wait_for(lambda: MessageLog.objects.filter(charge_point=charger, action="StopTransaction").count() == 2)
    logged = MessageLog.objects.get(charge_point=charger, direction="in", action="MeterValues")
    assert "sampledValue[1].value" in logged.problems


# --- 3. Implausible charger times are not stored; no stored value breaks a page --------------------------------


@pytest.mark.parametrize(
    "moment", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "1970-01-01T00:00:00Z", "2199-01-01T00:00:00Z"]
)
def test_an_implausible_charger_time_is_replaced_by_the_time_received_and_every_page_still_works(
    portal, moment
) -> None:
    charger = registered()
    before = timezone.now()

    async def scenario() -> list[list]:
        """The frames' answers, whatever they are: the pages are checked before the answers."""
        async with SimulatedCharger(portal.ocpp_url, charger.charge_point_id, password=KEY) as sim:
            status = {"connectorId": 1, "status": "Preparing", "errorCode": "NoError", "timestamp": moment}
            answers = [await answer_to(sim, "StatusNotification", status)]
            answers.append(await answer_to(sim, "StartTransaction", start(timestamp=moment)))
            tx_id = answers[-1][2]["transactionId"] if answers[-1][0] == 3 else 1
            reading = {"timestamp": moment, "sampledValue": [{"value": "1.5", "unit": "kWh"}]}
            answers.append(await answer_to(sim, "MeterValues", meter(transactionId=tx_id, meterValue=[reading])))
            answers.append(await answer_to(sim, "StopTransaction", stop(transactionId=tx_id, timestamp=moment)))
            return answers

    async def later_session() -> None:
        async with SimulatedCharger(portal.ocpp_url, charger.charge_point_id, password=KEY) as sim:
            again = await sim.start(1, "FA2AFD77", 2000)
            await sim.stop(again["transactionId"], 2500)

    answers = asyncio.run(scenario())
    after = timezone.now()

    tx_id = answers[1][2]["transactionId"] if answers[1][0] == 3 else 1
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw-pw-pw-pw")
    client = Client()
    client.force_login(admin)
    for url in [
        "/api/v1/chargers/",
        f"/api/v1/chargers/{charger.charge_point_id}/",
        "/api/v1/transactions/",
        f"/api/v1/transactions/{tx_id}/",
        f"/api/v1/transactions/{tx_id}/meter-values/",
        "/",
        "/chargers/",
        f"/chargers/{charger.charge_point_id}/",
        "/admin/chargers/chargepoint/",
        "/admin/chargers/messagelog/",
        "/admin/transactions/transaction/",
        "/admin/transactions/metervalue/",
    ]:
        assert client.get(url).status_code == 200, url
    assert [answer[0] for answer in answers] == [3, 3, 3, 3], answers
    # A later session on the same connector, with a sane clock, still works.
    asyncio.run(later_session())

    tx = Transaction.objects.get(pk=tx_id)
    assert before <= tx.started_at <= after
    assert before <= tx.stopped_at <= after
    assert Transaction.objects.filter(charge_point=charger).count() == 2
    value = MeterValue.objects.get(charge_point=charger, transaction=tx)
    assert before <= value.timestamp <= after
    connector = Connector.objects.get(charge_point=charger, connector_id=1)
    assert before <= connector.status_timestamp <= after
    wait_for(lambda: MessageLog.objects.filter(charge_point=charger, action="StopTransaction").count() == 4)
    logged = MessageLog.objects.filter(charge_point=charger, direction="in", action="StartTransaction").earliest("id")
    assert logged.payload["timestamp"] == moment  # the value as sent stays in the log
    assert "implausible" in logged.problems


def test_a_charger_time_within_a_day_ahead_is_kept_as_sent(portal) -> None:
    """Clock drift and a charger that sends local time as UTC are ordinary: their times are kept as sent."""
    charger = registered()
    ahead = timezone.now() + timedelta(hours=13)

    async def scenario() -> dict:
        async with SimulatedCharger(portal.ocpp_url, charger.charge_point_id, password=KEY) as sim:
            return await sim.start(1, "FA2AFD77", 1000, timestamp=ahead.isoformat())

    started = asyncio.run(scenario())
    assert Transaction.objects.get(pk=started["transactionId"]).started_at == ahead


# --- 4. Stops of different unknown transactions that look alike are both kept ---------------------------------


def test_two_unknown_stops_with_the_same_time_and_meter_are_both_stored(portal) -> None:
    charger = registered()

    async def scenario() -> list:
        async with SimulatedCharger(portal.ocpp_url, charger.charge_point_id, password=KEY) as sim:
            answers = []
            for transaction_id in (900001, 900002, 900002, 900001):  # the last two are resends
                answers.append(await sim.stop(transaction_id, 4200, timestamp="2026-11-24T12:00:00Z"))
            return answers

    try:
        answers = asyncio.run(scenario())
    except CallErrorReceived as error:
        pytest.fail(f"a StopTransaction was refused: {error}")
    assert answers == [{}, {}, {}, {}]
    orphans = Transaction.objects.filter(charge_point=charger).order_by("charger_transaction_id")
    assert [(t.charger_transaction_id, t.meter_stop_wh) for t in orphans] == [(900001, 4200), (900002, 4200)]


# --- 13. A charger's answer to a command is stored whatever it holds --------------------------------------------


def test_an_answer_with_characters_the_database_cannot_hold_still_ends_its_command(command_portal, celery_worker):
    charger = registered()

    async def scenario() -> None:
        async with SimulatedCharger(command_portal.ocpp_url, charger.charge_point_id, password=KEY) as sim:
            sim.answers["GetConfiguration"] = {
                "configurationKey": [{"key": "Heartbeat\x00Interval", "readonly": False, "value": "\ud800"}],
                "unknownKey": ["x\x00"],
            }
            command = await in_db_thread(
                command_create,
                charge_point=charger,
                action="GetConfiguration",
                payload={},
                check_payload=request_problem,
            )
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                await in_db_thread(command.refresh_from_db)
                if command.status not in (CommandStatus.QUEUED, CommandStatus.SENT):
                    return
                await asyncio.sleep(0.05)

    asyncio.run(scenario())
    command = Command.objects.get(charge_point=charger)
    assert command.status == CommandStatus.ACCEPTED, command.status
    assert command.response["unknownKey"] == ["x\\x00"]
    assert list(ConfigurationKey.objects.filter(charge_point=charger).values_list("key", "value")) == [
        ("Heartbeat\\x00Interval", "\\ud800")
    ]
