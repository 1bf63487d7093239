"""A charger's answer read in the protocol room (chargers/ocpp/results.py) into plain values, and what the command
services do with them (chargers/commands/effects.py); a request payload checked against its schema."""

import pytest

from chargers.commands.effects import effects_apply
from chargers.commands.values import (
    AvailabilityChanged,
    ConfigurationChanged,
    ConfigurationReported,
    ConfigurationValue,
    ReservationAnswered,
    TransactionNamed,
)
from chargers.models import ConfigurationKey, Connector, Reservation, ReservationStatus
from chargers.ocpp.results import answer_read, request_problem
from chargers.services import charge_point_register


@pytest.mark.parametrize(
    ("action", "response", "accepted"),
    [
        ("Reset", {"status": "Accepted"}, True),
        ("Reset", {"status": "Rejected"}, False),
        ("UnlockConnector", {"status": "Unlocked"}, True),
        ("UnlockConnector", {"status": "UnlockFailed"}, False),
        ("ChangeConfiguration", {"status": "RebootRequired"}, True),
        ("ChangeAvailability", {"status": "Scheduled"}, True),
        ("GetLocalListVersion", {"listVersion": 3}, True),  # no status: the charger did it
        ("Reset", {"status": 7}, True),  # a status that is no text says nothing; the schema problem is noted
    ],
)
def test_an_answer_s_status_decides_accepted_or_rejected(action: str, response: dict, accepted: bool) -> None:
    assert answer_read(action=action, request={}, response=response).accepted is accepted


def test_an_answer_that_strays_from_its_schema_is_kept_with_what_is_wrong() -> None:
    odd = {"status": "Accepted", "extra": 1}
    answer = answer_read(action="Reset", request={"type": "Soft"}, response=odd)
    assert (answer.response, answer.accepted) == (odd, True)
    assert answer.problems.startswith("answer does not follow the OCPP schema")
    assert answer_read(action="Reset", request={}, response={"status": "Accepted"}).problems == ""


def test_a_configuration_read_back_keeps_the_well_formed_keys_as_text() -> None:
    response = {
        "configurationKey": [
            {"key": "HeartbeatInterval", "readonly": False, "value": "300"},
            {"key": "NumberOfConnectors", "readonly": True, "value": 2},
            {"key": "Unset"},
            {"value": "no key"},
            "not an entry",
        ]
    }
    answer = answer_read(action="GetConfiguration", request={}, response=response)
    assert answer.effects == (
        ConfigurationReported(
            keys=(
                ConfigurationValue("HeartbeatInterval", "300", False),
                ConfigurationValue("NumberOfConnectors", "2", True),
                ConfigurationValue("Unset", None, False),
            )
        ),
    )


@pytest.mark.parametrize("keys", [5, "HeartbeatInterval", {"key": "HeartbeatInterval"}, None])
def test_a_configuration_answer_of_the_wrong_shape_changes_nothing_and_says_why(keys: object) -> None:
    answer = answer_read(action="GetConfiguration", request={}, response={"configurationKey": keys})
    assert answer.effects == ()
    assert answer.accepted
    assert "schema" in answer.problems or keys is None


@pytest.mark.parametrize(
    ("action", "request_payload", "response", "effects"),
    [
        (
            "ChangeConfiguration",
            {"key": "HeartbeatInterval", "value": "60"},
            {"status": "Accepted"},
            (ConfigurationChanged("HeartbeatInterval", "60"),),
        ),
        ("ChangeConfiguration", {"key": "HeartbeatInterval", "value": "60"}, {"status": "Rejected"}, ()),
        (
            "ChangeAvailability",
            {"connectorId": 0, "type": "Inoperative"},
            {"status": "Accepted"},
            (AvailabilityChanged(None, "Inoperative", scheduled=False),),
        ),
        (
            "ChangeAvailability",
            {"connectorId": 2, "type": "Inoperative"},
            {"status": "Scheduled"},
            (AvailabilityChanged(2, "Inoperative", scheduled=True),),
        ),
        ("ChangeAvailability", {"connectorId": 2, "type": "Inoperative"}, {"status": "Rejected"}, ()),
        ("ReserveNow", {"reservationId": 4}, {"status": "Accepted"}, (ReservationAnswered(4, "accepted"),)),
        ("ReserveNow", {"reservationId": 4}, {"status": "Occupied"}, (ReservationAnswered(4, "rejected"),)),
        ("CancelReservation", {"reservationId": 4}, {"status": "Accepted"}, (ReservationAnswered(4, "cancelled"),)),
        ("CancelReservation", {"reservationId": 4}, {"status": "Rejected"}, ()),
        ("RemoteStopTransaction", {"transactionId": 9}, {"status": "Rejected"}, (TransactionNamed(9),)),
        ("Reset", {"type": "Soft"}, {"status": "Accepted"}, ()),
    ],
)
def test_what_an_answer_changes_is_read_from_the_request_and_the_answer(
    action: str, request_payload: dict, response: dict, effects: tuple
) -> None:
    assert answer_read(action=action, request=request_payload, response=response).effects == effects


def test_a_request_payload_is_checked_against_its_schema_naming_the_field() -> None:
    assert request_problem("ChangeAvailability", {"connectorId": 1}) == "type: this field is required"
    assert request_problem("UnlockConnector", {"connectorId": "one"}).startswith("connectorId:")
    assert request_problem("Reset", {"type": "Soft"}) is None


@pytest.mark.django_db
def test_the_effects_keep_configuration_availability_and_reservations_up_to_date() -> None:
    charger = charge_point_register(charge_point_id="EFFECTS-1")
    for connector_id in (1, 2):
        Connector.objects.create(charge_point=charger, connector_id=connector_id, availability="Operative")
    reservation = Reservation.objects.create(
        charge_point=charger, connector_id=1, id_tag="AB", expires_at="2030-01-01T00:00:00Z"
    )
    effects_apply(
        charge_point_pk=charger.pk,
        command_pk=0,
        effects=(
            ConfigurationReported(
                keys=(ConfigurationValue("AuthorizationKey", "secret"), ConfigurationValue("A", "1"))
            ),
            ConfigurationChanged("A", "2"),
            AvailabilityChanged(None, "Inoperative", scheduled=False),
            AvailabilityChanged(2, "Operative", scheduled=True),
            ReservationAnswered(reservation.pk, ReservationStatus.ACCEPTED),
        ),
    )
    keys = dict(ConfigurationKey.objects.filter(charge_point=charger).values_list("key", "value"))
    assert keys == {"AuthorizationKey": None, "A": "2"}  # a secret's value is never stored
    connectors = Connector.objects.filter(charge_point=charger, connector_id__in=(1, 2)).order_by("connector_id")
    assert [(c.availability, c.availability_scheduled) for c in connectors] == [
        ("Inoperative", ""),
        ("Inoperative", "Operative"),
    ]
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.ACCEPTED
