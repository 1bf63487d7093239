"""OCPP 1.6 SOAP against a real daphne server and a real Celery worker: a SOAP charger simulator (requests built by
zeep from the official WSDL, a small HTTP server for the central system's calls) boots, reports, charges and
receives commands through the same dispatch, services and command pipeline as a JSON charger."""

import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from zeep.exceptions import Fault

from chargers.commands.services import command_create
from chargers.models import ChargePoint, Command, CommandStatus, Connector, MessageLog, Transport
from chargers.ocpp.results import request_problem
from chargers.services import charge_point_register
from rfid.services import id_tag_create
from tests.chargers.test_profiles import load_inch
from tests.e2e.test_remote_commands import EIGHTEEN_OPERATIONS, wait_until_final
from tests.e2e.test_soap_faults import envelope, fault_of
from tests.simulator import inch_sampled_values
from tests.soap_simulator import CS, SoapCharger, now, raw_post
from transactions.models import Transaction

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "0123456789abcdef0123456789abcdef01234567"


def registered(prefix: str = "SOAP") -> ChargePoint:
    return charge_point_register(charge_point_id=f"{prefix}-{uuid.uuid4().hex[:10]}", auth_key=KEY)


def test_a_soap_charger_boots_beats_and_reports_status_through_the_one_dispatch(command_portal) -> None:
    charger = registered()
    sim = SoapCharger(command_portal.http_url, charger.charge_point_id, password=KEY)
    try:
        booted = sim.call("BootNotification", chargePointVendor="Etrel", chargePointModel="G-HB1V5CY20-A14")
        assert (booted["status"], booted["interval"]) == ("Accepted", 300)
        assert sim.response_header("Action") == "/BootNotificationResponse"
        boot_message_id = sim.request_header("MessageID")
        assert sim.response_header("RelatesTo") == boot_message_id != ""
        assert sim.call("Heartbeat") is not None
        sim.call("StatusNotification", connectorId=1, status="Charging", errorCode="NoError", timestamp=now())
    finally:
        sim.stop()
    charger.refresh_from_db()
    assert (charger.transport, charger.is_online, charger.vendor) == (Transport.OCPP16_SOAP, True, "Etrel")
    assert charger.soap_address == sim.from_address and charger.soap_address_seen_at is not None
    assert charger.last_heartbeat_at is not None
    assert Connector.objects.get(charge_point=charger, connector_id=1).status == "Charging"
    logged = list(MessageLog.objects.filter(charge_point=charger).order_by("id").values_list("direction", "action"))
    assert logged == [(d, a) for a in ("BootNotification", "Heartbeat", "StatusNotification") for d in ("in", "out")]
    boot = MessageLog.objects.get(charge_point=charger, action="BootNotification", direction="in")
    assert boot.payload == {"chargePointVendor": "Etrel", "chargePointModel": "G-HB1V5CY20-A14"}
    assert boot.unique_id == boot_message_id[:64]


def test_a_full_inch_session_over_soap_is_stored_as_over_json(command_portal) -> None:
    load_inch()
    id_tag_create(id_tag="77:FD:2A:FA")
    charger = registered("INCH")
    sim = SoapCharger(command_portal.http_url, charger.charge_point_id, password=KEY)
    sampled = inch_sampled_values(2.5, 3.7)
    try:
        sim.call("BootNotification", chargePointVendor="Etrel", chargePointModel="G-HB1V5CY20-A14")
        authorized = sim.call("Authorize", idTag="FA2AFD77")
        # The expiryDate is when the charger's authorization cache forgets the answer (RFID_AUTH_CACHE_S ahead).
        assert (authorized["status"], authorized["parentIdTag"]) == ("Accepted", None)
        assert authorized["expiryDate"] > datetime.now(UTC)
        started = sim.call("StartTransaction", connectorId=1, idTag="FA2AFD77", timestamp=now(), meterStart=1000)
        meter_value = {"timestamp": "2026-11-24T10:05:00Z", "sampledValue": sampled}
        sim.call("MeterValues", connectorId=1, transactionId=started["transactionId"], meterValue=[meter_value])
        # Stored before the answer (rule 4), as over JSON: the connector's power is the three phases' sum.
        assert Connector.objects.get(charge_point=charger, connector_id=1).power_w == Decimal("11100")
        stopped = sim.call(
            "StopTransaction",
            transactionId=started["transactionId"],
            idTag="FA2AFD77",
            timestamp=now(),
            meterStop=4500,
            reason="Local",
            transactionData=[{"timestamp": "2026-11-24T10:06:00Z", "sampledValue": sampled[:1]}],
        )
    finally:
        sim.stop()
    assert started["idTagInfo"]["status"] == stopped["status"] == "Accepted"
    tx = Transaction.objects.get(pk=started["transactionId"])
    assert (tx.meter_start_wh, tx.meter_stop_wh, tx.stop_reason) == (1000, 4500, "Local")
    energies = tx.meter_values.filter(measurand="Energy.Active.Import.Register").values_list("value", flat=True)
    assert sorted(energies) == [Decimal("2500"), Decimal("2500")]
    logged = MessageLog.objects.get(charge_point=charger, action="MeterValues", direction="in")
    # Exactly the payload a JSON INCH sends: ints as ints, values as strings, lists as lists, nothing added.
    expected = {"connectorId": 1, "transactionId": started["transactionId"], "meterValue": [meter_value]}
    assert logged.payload == expected
    assert logged.problems == ""


def test_every_operation_reaches_a_soap_charger_in_order_and_its_answer_is_stored(
    command_portal, celery_worker
) -> None:
    charger = registered()
    sim = SoapCharger(command_portal.http_url, charger.charge_point_id, password=KEY)
    try:
        sim.call("BootNotification", chargePointVendor="Etrel", chargePointModel="G-HB1V5CY20-A14")
        commands = [
            command_create(
                check_payload=request_problem, charge_point=charger, action=action, payload=EIGHTEEN_OPERATIONS[action]
            )
            for action in sorted(EIGHTEEN_OPERATIONS)
        ]
        done = [wait_until_final(command) for command in commands]
    finally:
        sim.stop()
    assert [(c.action, c.status) for c in done] == [(a, CommandStatus.ACCEPTED) for a in sorted(EIGHTEEN_OPERATIONS)]
    assert [action for action, _, _ in sim.received_calls] == sorted(EIGHTEEN_OPERATIONS)
    for command, (_, payload, headers) in zip(done, sim.received_calls, strict=True):
        assert set(payload) == set(command.payload), command.action
        assert headers["chargeBoxIdentity"] == charger.charge_point_id
        assert headers["Action"] == f"/{command.action}" and headers["MessageID"] == f"urn:uuid:{command.unique_id}"
    reset = next(c for c in done if c.action == "Reset")
    assert reset.response == {"status": "Accepted"}
    answers = MessageLog.objects.filter(charge_point=charger, direction="in", message_type=3)
    assert answers.count() == len(EIGHTEEN_OPERATIONS)


def test_an_unreachable_soap_charger_fails_its_command_and_holds_up_no_other(command_portal, celery_worker) -> None:
    gone, alive = registered(), registered()
    gone_sim = SoapCharger(command_portal.http_url, gone.charge_point_id, password=KEY)
    alive_sim = SoapCharger(command_portal.http_url, alive.charge_point_id, password=KEY)
    try:
        gone_sim.call("Heartbeat")  # says where it listens, then goes away: connections are refused
        gone_sim.stop()
        alive_sim.call("Heartbeat")
        lost = command_create(
            check_payload=request_problem, charge_point=gone, action="Reset", payload={"type": "Soft"}
        )
        kept = command_create(
            check_payload=request_problem, charge_point=alive, action="Reset", payload={"type": "Hard"}
        )
        lost, kept = wait_until_final(lost), wait_until_final(kept)
    finally:
        alive_sim.stop()
    assert lost.status == CommandStatus.FAILED
    assert "cannot reach" in lost.error_description and lost.payload == {"type": "Soft"}
    assert kept.status == CommandStatus.ACCEPTED
    assert Command.objects.filter(pk__in=[lost.pk, kept.pk]).count() == 2


def test_a_command_for_a_silent_soap_charger_waits_and_goes_out_at_its_next_request(command_portal, celery_worker):
    charger = registered()
    sim = SoapCharger(command_portal.http_url, charger.charge_point_id, password=KEY)
    try:
        sim.call("Heartbeat")
        ChargePoint.objects.filter(pk=charger.pk).update(is_online=False)  # as beat marks a silent charger
        command = command_create(check_payload=request_problem, charge_point=charger, action="ClearCache", payload={})
        time.sleep(0.3)  # a command wrongly sent to an offline charger reaches the simulator within ~50 ms
        command.refresh_from_db()
        assert command.status == CommandStatus.QUEUED and sim.received_calls == []
        sim.call("Heartbeat")  # back: what waited goes out
        command = wait_until_final(command)
    finally:
        sim.stop()
    assert command.status == CommandStatus.ACCEPTED
    assert [action for action, _, _ in sim.received_calls] == ["ClearCache"]


def test_a_charger_with_a_wrong_key_gets_a_security_error_fault_and_changes_nothing(command_portal) -> None:
    charger = registered()
    sim = SoapCharger(command_portal.http_url, charger.charge_point_id, password="not-the-key-at-all")
    with pytest.raises(Fault):
        sim.call("Heartbeat")
    sim.stop()
    body = f'<heartbeatRequest xmlns="{CS}"/>'
    answer = raw_post(command_portal.http_url, envelope(body, identity=charger.charge_point_id))
    assert answer.status_code == 400
    assert fault_of(answer)[:2] == ("Sender", "SecurityError")
    charger.refresh_from_db()
    assert (charger.transport, charger.is_online, charger.last_heartbeat_at) == (Transport.OCPP16_JSON, False, None)


def test_a_pending_charger_may_only_boot_over_soap(command_portal) -> None:
    charger = charge_point_register(charge_point_id=f"PEND-{uuid.uuid4().hex[:8]}", registration_status="Pending")
    sim = SoapCharger(command_portal.http_url, charger.charge_point_id)
    try:
        assert sim.call("BootNotification", chargePointVendor="Etrel", chargePointModel="X")["status"] == "Pending"
        with pytest.raises(Fault) as refused:
            sim.call("Heartbeat")
    finally:
        sim.stop()
    assert "Pending" in refused.value.message


def test_a_body_the_schema_refuses_is_a_sender_fault_and_a_missing_message_id_is_tolerated(command_portal) -> None:
    charger = registered()
    sim = SoapCharger(command_portal.http_url, charger.charge_point_id, password=KEY)
    sim.drop_message_id = True
    try:
        assert sim.call("Heartbeat") is not None
        assert sim.response_header("RelatesTo") == ""
        assert sim.response_header("Action") == "/HeartbeatResponse"
    finally:
        sim.stop()
    body = (
        f'<statusNotificationRequest xmlns="{CS}"><connectorId>one</connectorId><status>Available</status>'
        "<errorCode>NoError</errorCode></statusNotificationRequest>"
    )
    answer = raw_post(
        command_portal.http_url,
        envelope(body, identity=charger.charge_point_id),
        auth=(charger.charge_point_id, KEY),
    )
    assert answer.status_code == 400
    assert fault_of(answer)[:2] == ("Sender", "TypeConstraintViolation")
    refused = MessageLog.objects.get(charge_point=charger, action="StatusNotification", direction="in")
    assert (refused.payload["connectorId"], refused.error_code) == ("one", "TypeConstraintViolation")
