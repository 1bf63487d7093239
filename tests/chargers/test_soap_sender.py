"""The worker-side sender of commands to SOAP chargers (chargers/ocpp/soap/client.py) and a SOAP charger's
presence (chargers/services/soap.py), against a real HTTP server in the SOAP simulator and the real database."""

import uuid
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from chargers.commands.services import command_create
from chargers.models import ChargePoint, CommandStatus, MessageLog, Transport
from chargers.ocpp.results import request_problem
from chargers.ocpp.soap.client import soap_commands_deliver
from chargers.services import charge_point_register, charge_points_soap_silent
from tests.soap_simulator import SoapCharger

# The sender runs the delivery's database calls through database_sync_to_async, which closes old connections
# around each: it needs real transactions, not a test wrapped in one.
sender_test = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sim():
    simulator = SoapCharger("http://127.0.0.1:9", "SIM", listen=True)  # only its ChargePointService is used
    yield simulator
    simulator.stop()


def soap_charger(**fields) -> ChargePoint:
    charger = charge_point_register(charge_point_id=f"SOAP-{uuid.uuid4().hex[:10]}")
    defaults = {"transport": Transport.OCPP16_SOAP, "is_online": True, "last_seen": timezone.now()}
    ChargePoint.objects.filter(pk=charger.pk).update(**{**defaults, **fields})
    charger.refresh_from_db()
    return charger


def queued(charger: ChargePoint, action: str = "Reset", payload: dict | None = None):
    return command_create(
        check_payload=request_problem,
        charge_point=charger,
        action=action,
        payload=payload or {"type": "Soft"},
        dispatch=False,  # the test runs the sender itself
    )


@sender_test
def test_a_charger_that_does_not_answer_in_time_times_the_command_out(sim, settings) -> None:
    settings.OCPP_CALL_TIMEOUT = 0.3
    sim.delay_s = 1.5
    charger = soap_charger(soap_address=sim.from_address)
    command = queued(charger)
    assert soap_commands_deliver(charge_point_pk=charger.pk) is True
    command.refresh_from_db()
    assert command.status == CommandStatus.TIMED_OUT
    assert command.error_description == "no answer within 0.3s"
    assert [action for action, _, _ in sim.received_calls] == ["Reset"]


@sender_test
def test_the_operator_s_address_wins_over_the_charger_s_own(sim) -> None:
    charger = soap_charger(soap_address="http://127.0.0.1:9/unreachable", soap_address_override=sim.from_address)
    command = queued(charger, "UnlockConnector", {"connectorId": 1})
    sim.answers["UnlockConnector"] = {"status": "UnlockFailed"}
    soap_commands_deliver(charge_point_pk=charger.pk)
    command.refresh_from_db()
    assert (command.status, command.response) == (CommandStatus.REJECTED, {"status": "UnlockFailed"})
    logged = MessageLog.objects.filter(charge_point=charger, action="UnlockConnector").order_by("id")
    assert [(m.direction, m.message_type, m.payload) for m in logged] == [
        ("out", 2, {"connectorId": 1}),
        ("in", 3, {"status": "UnlockFailed"}),
    ]


@sender_test
def test_a_charger_without_an_address_fails_its_command_with_the_reason(sim) -> None:
    charger = soap_charger()
    command = queued(charger)
    soap_commands_deliver(charge_point_pk=charger.pk)
    command.refresh_from_db()
    assert command.status == CommandStatus.FAILED
    assert "no SOAP address" in command.error_description


@sender_test
def test_a_second_sender_for_the_same_charger_stands_aside(sim) -> None:
    charger = soap_charger(soap_address=sim.from_address)
    command = queued(charger)
    cache.set(f"soap-sender:{charger.pk}", "another worker", 30)
    try:
        assert soap_commands_deliver(charge_point_pk=charger.pk) is False
    finally:
        cache.delete(f"soap-sender:{charger.pk}")
    command.refresh_from_db()
    assert command.status == CommandStatus.QUEUED and sim.received_calls == []


@pytest.mark.django_db
def test_a_soap_charger_silent_for_three_heartbeats_goes_offline_and_others_stay() -> None:
    long_ago = timezone.now() - timedelta(seconds=3 * 60 + 5)
    silent = soap_charger(heartbeat_interval_s=60, last_seen=long_ago)
    beating = soap_charger(heartbeat_interval_s=60, last_seen=timezone.now() - timedelta(seconds=100))
    websocket = charge_point_register(charge_point_id=f"WS-{uuid.uuid4().hex[:8]}")
    ChargePoint.objects.filter(pk=websocket.pk).update(is_online=True, last_seen=long_ago, channel_name="x")
    assert charge_points_soap_silent() == 1
    online = dict(
        ChargePoint.objects.filter(pk__in=[silent.pk, beating.pk, websocket.pk]).values_list("pk", "is_online")
    )
    assert online == {silent.pk: False, beating.pk: True, websocket.pk: True}


@sender_test
def test_a_charger_back_on_a_websocket_is_left_to_its_consumer(sim) -> None:
    charger = soap_charger(transport=Transport.OCPP16_JSON, channel_name="specific.abc", soap_address=sim.from_address)
    command = queued(charger)
    assert soap_commands_deliver(charge_point_pk=charger.pk) is True  # returns: nothing to do here
    command.refresh_from_db()
    assert command.status == CommandStatus.QUEUED and sim.received_calls == []
