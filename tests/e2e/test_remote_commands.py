"""Remote commands through the whole pipeline: service -> Celery worker -> channel layer -> the consumer
holding the charger's socket -> CALL -> the simulator's answer -> the Command row."""

import asyncio
import time
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from chargers.commands.services import command_batch_create, command_create
from chargers.models import ChargePoint, Command, CommandStatus, ConfigurationKey, Reservation
from chargers.ocpp.results import request_problem
from chargers.services import charge_point_register
from tests.db import in_db_thread
from tests.simulator import CallErrorReceived, SimulatedCharger

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "fedcba9876543210fedcba9876543210fedcba98"
SOON = (timezone.now() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")

EIGHTEEN_OPERATIONS = {
    "CancelReservation": {"reservationId": 1},
    "ChangeAvailability": {"connectorId": 1, "type": "Inoperative"},
    "ChangeConfiguration": {"key": "HeartbeatInterval", "value": "120"},
    "ClearCache": {},
    "ClearChargingProfile": {"connectorId": 1},
    "DataTransfer": {
        "vendorId": "Etrel",
        "messageId": "SetChargingMode",
        "data": '{"connectorId": 1, "chargingMode": "Fast"}',
    },
    "GetConfiguration": {"key": ["HeartbeatInterval"]},
    "GetDiagnostics": {"location": "ftp://diagnostics.example.com/uploads/"},
    "GetLocalListVersion": {},
    "RemoteStartTransaction": {"idTag": "AABBCCDD", "connectorId": 1},
    "RemoteStopTransaction": {"transactionId": 1},
    "ReserveNow": {"connectorId": 1, "expiryDate": SOON, "idTag": "AABBCCDD", "reservationId": 7},
    "Reset": {"type": "Soft"},
    "SendLocalList": {
        "listVersion": 2,
        "updateType": "Full",
        "localAuthorizationList": [{"idTag": "AABBCCDD", "idTagInfo": {"status": "Accepted"}}],
    },
    "SetChargingProfile": {
        "connectorId": 0,
        "csChargingProfiles": {
            "chargingProfileId": 1,
            "stackLevel": 0,
            "chargingProfilePurpose": "ChargePointMaxProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}],
            },
        },
    },
    "TriggerMessage": {"requestedMessage": "StatusNotification", "connectorId": 1},
    "UnlockConnector": {"connectorId": 1},
    "UpdateFirmware": {"location": "http://firmware.example.com/inch-1.12.zip", "retrieveDate": SOON},
}


def new_charger() -> ChargePoint:
    return charge_point_register(charge_point_id=f"CMD-{uuid.uuid4().hex[:10]}", auth_key=KEY)


def wait_until_final(command: Command, timeout: float = 15) -> Command:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        command.refresh_from_db()
        if command.status not in (CommandStatus.QUEUED, CommandStatus.SENT):
            return command
        time.sleep(0.05)
    raise AssertionError(f"command {command.pk} still {command.status} after {timeout}s")


async def in_thread(function, /, **kwargs):
    return await in_db_thread(function, **kwargs)


async def connected(portal, charger: ChargePoint) -> SimulatedCharger:
    sim = await SimulatedCharger(portal.ocpp_url, charger.charge_point_id, password=KEY).connect()
    await sim.boot(vendor="Simulated", model="Reference")
    return sim


@pytest.mark.parametrize("action", sorted(EIGHTEEN_OPERATIONS))
def test_each_operation_reaches_the_charger_and_its_answer_is_stored(command_portal, celery_worker, action) -> None:
    charger = new_charger()
    payload = EIGHTEEN_OPERATIONS[action]

    async def scenario() -> tuple[Command, list]:
        sim = await connected(command_portal, charger)
        command = await in_thread(
            command_create, check_payload=request_problem, charge_point=charger, action=action, payload=payload
        )
        done = await in_thread(wait_until_final, command=command)
        await sim.close()
        return done, sim.received_calls

    command, calls = asyncio.run(scenario())
    assert command.status == CommandStatus.ACCEPTED, (command.error_code, command.error_description)
    assert [(a, p) for _, a, p in calls] == [(action, command.payload)]
    assert command.unique_id == calls[0][0]
    assert command.response is not None
    assert command.sent_at is not None and command.answered_at is not None
    assert command.attempts == 1


def test_a_call_error_answer_fails_the_command_with_the_charger_s_code(command_portal, celery_worker) -> None:
    charger = new_charger()

    async def scenario() -> Command:
        sim = await connected(command_portal, charger)
        sim.answers["Reset"] = CallErrorReceived("NotSupported", "not today", {})
        command = await in_thread(
            command_create,
            check_payload=request_problem,
            charge_point=charger,
            action="Reset",
            payload={"type": "Hard"},
        )
        done = await in_thread(wait_until_final, command=command)
        await sim.close()
        return done

    command = asyncio.run(scenario())
    assert command.status == CommandStatus.FAILED
    assert (command.error_code, command.error_description) == ("NotSupported", "not today")


def test_a_rejected_answer_is_recorded_as_rejected(command_portal, celery_worker) -> None:
    charger = new_charger()

    async def scenario() -> Command:
        sim = await connected(command_portal, charger)
        sim.answers["UnlockConnector"] = {"status": "UnlockFailed"}
        command = await in_thread(
            command_create,
            check_payload=request_problem,
            charge_point=charger,
            action="UnlockConnector",
            payload={"connectorId": 1},
        )
        done = await in_thread(wait_until_final, command=command)
        await sim.close()
        return done

    command = asyncio.run(scenario())
    assert command.status == CommandStatus.REJECTED
    assert command.response == {"status": "UnlockFailed"}


def test_a_charger_that_does_not_answer_times_the_command_out(command_portal, celery_worker) -> None:
    charger = new_charger()

    async def scenario() -> Command:
        sim = await connected(command_portal, charger)
        sim.answers["ClearCache"] = lambda payload: None  # never answers
        command = await in_thread(
            command_create, check_payload=request_problem, charge_point=charger, action="ClearCache", payload={}
        )
        done = await in_thread(wait_until_final, command=command)
        await sim.close()
        return done

    command = asyncio.run(scenario())
    assert command.status == CommandStatus.TIMED_OUT


def test_a_charger_that_disconnects_mid_call_fails_the_command_and_the_next_waits(command_portal, celery_worker):
    charger = new_charger()

    async def scenario() -> tuple[Command, Command, list]:
        sim = await connected(command_portal, charger)
        called = asyncio.Event()

        def hang_up(payload: dict) -> None:
            called.set()
            return None

        sim.answers["Reset"] = hang_up
        first = await in_thread(
            command_create,
            check_payload=request_problem,
            charge_point=charger,
            action="Reset",
            payload={"type": "Soft"},
        )
        second = await in_thread(
            command_create, check_payload=request_problem, charge_point=charger, action="ClearCache", payload={}
        )
        await asyncio.wait_for(called.wait(), 10)
        await sim.close()
        first = await in_thread(wait_until_final, command=first)
        await asyncio.sleep(0.3)
        await in_thread(second.refresh_from_db)
        return first, second, sim.received_calls

    first, second, calls = asyncio.run(scenario())
    assert first.status == CommandStatus.FAILED
    assert "closed" in first.error_description
    assert second.status == CommandStatus.QUEUED  # not sent into a dead socket
    assert [a for _, a, _ in calls] == ["Reset"]


def test_commands_for_an_offline_charger_wait_and_go_out_in_order_on_reconnect(command_portal, celery_worker):
    charger = new_charger()
    actions = [
        ("ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "60"}),
        ("ClearCache", {}),
        ("Reset", {"type": "Soft"}),
    ]
    commands = [
        command_create(check_payload=request_problem, charge_point=charger, action=a, payload=p) for a, p in actions
    ]
    time.sleep(0.5)  # the worker has seen them: the charger is offline, so they stay queued
    assert {c.status for c in Command.objects.filter(charge_point=charger)} == {CommandStatus.QUEUED}

    async def scenario() -> list:
        sim = await SimulatedCharger(command_portal.ocpp_url, charger.charge_point_id, password=KEY).connect()
        for command in commands:
            await in_thread(wait_until_final, command=command)
        await sim.close()
        return sim.received_calls

    calls = asyncio.run(scenario())
    assert [a for _, a, _ in calls] == [a for a, _ in actions]
    assert all(c.status == CommandStatus.ACCEPTED for c in Command.objects.filter(charge_point=charger))


def test_an_expired_command_is_never_sent(command_portal, celery_worker) -> None:
    charger = new_charger()
    stale = command_create(
        check_payload=request_problem,
        charge_point=charger,
        action="Reset",
        payload={"type": "Hard"},
        expires_at=timezone.now() + timedelta(milliseconds=300),
    )
    time.sleep(0.6)

    async def scenario() -> list:
        sim = await SimulatedCharger(command_portal.ocpp_url, charger.charge_point_id, password=KEY).connect()
        await sim.call("Heartbeat", {})
        await asyncio.sleep(0.5)
        await sim.close()
        return sim.received_calls

    assert asyncio.run(scenario()) == []
    stale.refresh_from_db()
    assert stale.status == CommandStatus.EXPIRED


def test_a_bulk_command_reaches_every_charger_and_each_answer_is_kept(command_portal, celery_worker) -> None:
    chargers = [new_charger() for _ in range(5)]

    async def scenario() -> list:
        sims = [await connected(command_portal, c) for c in chargers]
        sims[2].answers["Reset"] = {"status": "Rejected"}
        batch, refused = await in_thread(
            command_batch_create,
            check_payload=request_problem,
            charge_points=chargers,
            action="Reset",
            payload={"type": "Soft"},
            description="five test chargers",
        )
        assert refused == {}
        for command in await in_thread(lambda: list(batch.commands.all())):
            await in_thread(wait_until_final, command=command)
        for sim in sims:
            await sim.close()
        return await in_thread(
            lambda: list(
                batch.commands.order_by("charge_point_id").values_list("charge_point__charge_point_id", "status")
            )
        )

    statuses = dict(asyncio.run(scenario()))
    assert statuses == {
        c.charge_point_id: (CommandStatus.REJECTED if i == 2 else CommandStatus.ACCEPTED)
        for i, c in enumerate(chargers)
    }


def test_get_configuration_and_change_configuration_keep_the_keys_up_to_date(command_portal, celery_worker):
    charger = new_charger()

    async def scenario() -> None:
        sim = await connected(command_portal, charger)
        sim.answers["GetConfiguration"] = {
            "configurationKey": [
                {"key": "HeartbeatInterval", "readonly": False, "value": "300"},
                {"key": "NumberOfConnectors", "readonly": True, "value": "1"},
            ],
            "unknownKey": [],
        }
        command = await in_thread(
            command_create, check_payload=request_problem, charge_point=charger, action="GetConfiguration", payload={}
        )
        await in_thread(wait_until_final, command=command)
        change = await in_thread(
            command_create,
            check_payload=request_problem,
            charge_point=charger,
            action="ChangeConfiguration",
            payload={"key": "HeartbeatInterval", "value": "60"},
        )
        await in_thread(wait_until_final, command=change)
        await sim.close()

    asyncio.run(scenario())
    keys = {k.key: (k.value, k.readonly) for k in ConfigurationKey.objects.filter(charge_point=charger)}
    assert keys == {"HeartbeatInterval": ("60", False), "NumberOfConnectors": ("1", True)}


def test_a_configuration_answer_of_the_wrong_shape_ends_its_command_and_is_kept(command_portal, celery_worker):
    charger = new_charger()

    async def scenario() -> Command:
        sim = await connected(command_portal, charger)
        sim.answers["GetConfiguration"] = {"configurationKey": 5}
        command = await in_thread(
            command_create, check_payload=request_problem, charge_point=charger, action="GetConfiguration", payload={}
        )
        done = await in_thread(wait_until_final, command=command, timeout=8)
        await sim.close()
        return done

    command = asyncio.run(scenario())
    assert (command.status, command.response) == (CommandStatus.ACCEPTED, {"configurationKey": 5})
    assert "configurationKey" in command.error_description
    assert not ConfigurationKey.objects.filter(charge_point=charger).exists()


def test_a_remote_start_is_linked_to_the_transaction_that_follows(command_portal, celery_worker) -> None:
    charger = new_charger()

    async def scenario() -> int:
        sim = await connected(command_portal, charger)
        command = await in_thread(
            command_create,
            check_payload=request_problem,
            charge_point=charger,
            action="RemoteStartTransaction",
            payload={"idTag": "REMOTE01", "connectorId": 1},
        )
        await in_thread(wait_until_final, command=command)
        start = await sim.start(1, "REMOTE01", 0)
        await sim.close()
        return start["transactionId"]

    transaction_id = asyncio.run(scenario())
    command = Command.objects.get(charge_point=charger, action="RemoteStartTransaction")
    assert command.transaction_id == transaction_id


def test_a_reservation_without_id_gets_one_from_the_portal_and_follows_the_answer(command_portal, celery_worker):
    charger = new_charger()

    async def scenario() -> Command:
        sim = await connected(command_portal, charger)
        command = await in_thread(
            command_create,
            check_payload=request_problem,
            charge_point=charger,
            action="ReserveNow",
            payload={"connectorId": 1, "expiryDate": SOON, "idTag": "AABBCCDD"},
        )
        done = await in_thread(wait_until_final, command=command)
        await sim.close()
        return done

    command = asyncio.run(scenario())
    reservation = Reservation.objects.get(charge_point=charger)
    assert command.payload["reservationId"] == reservation.pk
    assert reservation.status == "accepted"


def test_commands_reach_chargers_on_two_portal_processes(celery_worker) -> None:
    from tests.conftest import start_portal

    first_portal, second_portal = start_portal(OCPP_REGISTRATION="accept"), start_portal(OCPP_REGISTRATION="accept")
    try:
        chargers = [new_charger() for _ in range(4)]

        async def scenario() -> list:
            sims = [await connected(first_portal if i % 2 else second_portal, c) for i, c in enumerate(chargers)]
            batch, _ = await in_thread(
                command_batch_create,
                check_payload=request_problem,
                charge_points=chargers,
                action="TriggerMessage",
                payload={"requestedMessage": "Heartbeat"},
            )
            for command in await in_thread(lambda: list(batch.commands.all())):
                await in_thread(wait_until_final, command=command)
            for sim in sims:
                await sim.close()
            return [len(sim.received_calls) for sim in sims]

        calls = asyncio.run(scenario())
    finally:
        first_portal.stop()
        second_portal.stop()
    assert calls == [1, 1, 1, 1]
    assert set(Command.objects.filter(charge_point__in=chargers).values_list("status", flat=True)) == {"accepted"}
