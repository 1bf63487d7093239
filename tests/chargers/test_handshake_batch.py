"""Handshakes are decided in batches (chargers/services/authentication.py charge_points_authenticate): one lookup
for the batch, and each attempt decided as if the attempts had come one after the other."""

import pytest

from chargers.models import ChargePoint, ConnectionAttempt, RegistrationStatus
from chargers.services import (
    HandshakeAttempt,
    RefusedAttempt,
    charge_point_register,
    charge_points_authenticate,
    connection_attempts_log,
)

pytestmark = pytest.mark.django_db

KEY = b"0123456789abcdef0123456789abcdef01234567"
OTHER_KEY = b"fedcba9876543210fedcba9876543210fedcba98"


def test_a_batch_of_handshakes_is_decided_in_order_with_one_lookup(django_assert_num_queries, settings) -> None:
    settings.OCPP_REGISTRATION = "reject"
    known = charge_point_register(charge_point_id="HB-KNOWN", auth_key=KEY.decode())
    open_one = charge_point_register(charge_point_id="HB-OPEN")

    with django_assert_num_queries(1):
        decisions = charge_points_authenticate(
            attempts=[
                HandshakeAttempt("HB-KNOWN", KEY),
                HandshakeAttempt("HB-UNKNOWN", KEY),
                HandshakeAttempt("HB-KNOWN", OTHER_KEY),
                HandshakeAttempt("HB-KNOWN", None),
                HandshakeAttempt("HB-OPEN", None),
            ]
        )

    assert [(d.charge_point and d.charge_point.pk, d.reason) for d in decisions] == [
        (known.pk, ""),
        (None, "unknown charge point id (OCPP_REGISTRATION=reject)"),
        (None, "wrong AuthorizationKey"),
        (None, "no Basic auth credentials (the charger has an AuthorizationKey)"),
        (open_one.pk, ""),
    ]


def test_an_unknown_charger_twice_in_a_batch_must_present_the_key_its_first_attempt_brought(settings) -> None:
    settings.OCPP_REGISTRATION = "pending"

    decisions = charge_points_authenticate(
        attempts=[
            HandshakeAttempt("HB-NEW", KEY),
            HandshakeAttempt("HB-NEW", OTHER_KEY),
            HandshakeAttempt("HB-NEW", KEY),
        ]
    )

    assert [d.reason for d in decisions] == ["", "wrong AuthorizationKey", ""]
    created = ChargePoint.objects.get(charge_point_id="HB-NEW")
    assert created.registration_status == RegistrationStatus.PENDING
    assert decisions[0].charge_point.pk == decisions[2].charge_point.pk == created.pk


def test_refused_attempts_are_logged_in_one_insert_with_what_the_peer_sent_escaped(django_assert_num_queries) -> None:
    attempts = [
        RefusedAttempt("HB\x00NUL", "bad URL: control character", "10.0.0.1", "/ocpp/HB\x00NUL"),
        RefusedAttempt("HB-2", "wrong AuthorizationKey", "10.0.0.2", "/ocpp/HB-2"),
    ]

    with django_assert_num_queries(1):
        connection_attempts_log(attempts=attempts)

    rows = ConnectionAttempt.objects.order_by("pk").values_list("charge_point_ident", "reason", "remote_addr", "path")
    assert list(rows) == [
        ("HB\\x00NUL", "bad URL: control character", "10.0.0.1", "/ocpp/HB\\x00NUL"),
        ("HB-2", "wrong AuthorizationKey", "10.0.0.2", "/ocpp/HB-2"),
    ]
