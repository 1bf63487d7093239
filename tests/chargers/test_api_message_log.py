"""REST API: the OCPP message log and the refused connection attempts, for the fleet and per charger."""

from datetime import UTC, datetime, timedelta

import pytest

from chargers.models import ConnectionAttempt, Direction, MessageLog
from tests.factories import ChargePointFactory, OperatorFactory, UserFactory, token_client

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _frame(charger, *, action: str, direction: str = Direction.IN, minutes: int = 0) -> MessageLog:
    return MessageLog.objects.create(
        charge_point=charger,
        charge_point_ident=charger.charge_point_id,
        direction=direction,
        message_type=2,
        unique_id=f"{action}-{minutes}",
        action=action,
        payload={"connectorId": 1},
        created_at=T0 + timedelta(minutes=minutes),
    )


@pytest.fixture
def operator():
    return token_client(OperatorFactory())


def test_a_chargers_message_log_is_newest_first_and_filtered_by_action_direction_and_time(operator):
    charger = ChargePointFactory(charge_point_id="CP-LOG")
    _frame(charger, action="Heartbeat", minutes=0)
    _frame(charger, action="StatusNotification", minutes=1)
    _frame(charger, action="Reset", direction=Direction.OUT, minutes=2)
    _frame(ChargePointFactory(), action="Heartbeat", minutes=3)  # another charger's

    listed = operator.get("/api/v1/chargers/CP-LOG/message-log/").json()["results"]
    incoming = operator.get("/api/v1/chargers/CP-LOG/message-log/?direction=in").json()["results"]
    later = operator.get("/api/v1/chargers/CP-LOG/message-log/?since=2026-03-01T08:01:00Z").json()["results"]

    assert [m["action"] for m in listed] == ["Reset", "StatusNotification", "Heartbeat"]
    assert listed[0] | {"id": 0} == {
        "id": 0,
        "charge_point_id": "CP-LOG",
        "direction": "out",
        "message_type": 2,
        "unique_id": "Reset-2",
        "action": "Reset",
        "payload": {"connectorId": 1},
        "raw": "",
        "error_code": "",
        "problems": "",
        "created_at": "2026-03-01T08:02:00Z",
    }
    assert [m["action"] for m in incoming] == ["StatusNotification", "Heartbeat"]
    assert [m["action"] for m in later] == ["Reset", "StatusNotification"]


def test_the_fleet_message_log_is_filtered_by_charger_and_action(operator):
    one, two = ChargePointFactory(charge_point_id="CP-A"), ChargePointFactory(charge_point_id="CP-B")
    _frame(one, action="Heartbeat")
    _frame(two, action="Heartbeat", minutes=1)
    _frame(two, action="BootNotification", minutes=2)

    by_charger = operator.get("/api/v1/message-log/?charge_point_id=CP-B").json()["results"]
    by_action = operator.get("/api/v1/message-log/?action=Heartbeat").json()["results"]

    assert [(m["charge_point_id"], m["action"]) for m in by_charger] == [
        ("CP-B", "BootNotification"),
        ("CP-B", "Heartbeat"),
    ]
    assert [m["charge_point_id"] for m in by_action] == ["CP-B", "CP-A"]


def test_connection_attempts_name_the_reason_and_whether_the_charger_is_known(operator):
    charger = ChargePointFactory(charge_point_id="CP-KNOWN")
    ConnectionAttempt.objects.create(
        charge_point=charger, charge_point_ident="CP-KNOWN", reason="Wrong password", created_at=T0
    )
    ConnectionAttempt.objects.create(charge_point_ident="CP-STRANGER", reason="Unknown charger", created_at=T0)

    fleet = operator.get("/api/v1/connection-attempts/").json()["results"]
    mine = operator.get("/api/v1/chargers/CP-KNOWN/connection-attempts/").json()["results"]

    assert {(a["charge_point_id"], a["known_charger"], a["reason"]) for a in fleet} == {
        ("CP-KNOWN", True, "Wrong password"),
        ("CP-STRANGER", False, "Unknown charger"),
    }
    assert [a["reason"] for a in mine] == ["Wrong password"]


def test_an_unknown_charger_is_a_404_and_customers_and_strangers_are_refused(operator):
    ChargePointFactory(charge_point_id="CP-X")

    assert operator.get("/api/v1/chargers/NOPE/message-log/").status_code == 404
    assert operator.get("/api/v1/chargers/NOPE/connection-attempts/").status_code == 404
    for url in ("/api/v1/message-log/", "/api/v1/chargers/CP-X/connection-attempts/"):
        assert token_client().get(url).status_code == 401, url
        assert token_client(UserFactory()).get(url).status_code == 403, url
