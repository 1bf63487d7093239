"""REST API: /api/v1/chargers/."""

import re
from decimal import Decimal
from urllib.parse import quote

import pytest

from chargers.models import ChargePoint, Connector, RegistrationStatus
from chargers.services import auth_key_matches
from tests.factories import ChargePointFactory, ConnectorFactory, OperatorFactory, UserFactory, token_client

pytestmark = pytest.mark.django_db

LIST = "/api/v1/chargers/"


def detail(charge_point_id: str) -> str:
    return f"{LIST}{quote(charge_point_id, safe='')}/"


@pytest.fixture
def operator():
    return token_client(OperatorFactory())


# --- Who may call -----------------------------------------------------------------------------------------

ENDPOINTS = [
    ("get", LIST, None),
    ("post", LIST, {"charge_point_id": "CP-NEW"}),
    ("get", "/api/v1/chargers/CP-0/", None),
    ("patch", "/api/v1/chargers/CP-0/", {"registration_status": "Accepted"}),
]


@pytest.mark.parametrize(("method", "url", "body"), ENDPOINTS)
def test_anonymous_callers_get_401(method, url, body):
    ChargePointFactory(charge_point_id="CP-0", registration_status=RegistrationStatus.PENDING)
    response = getattr(token_client(), method)(url, body, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert ChargePoint.objects.get().registration_status == RegistrationStatus.PENDING


@pytest.mark.parametrize(("method", "url", "body"), ENDPOINTS)
def test_authenticated_non_staff_users_get_403(method, url, body):
    ChargePointFactory(charge_point_id="CP-0", registration_status=RegistrationStatus.PENDING)
    response = getattr(token_client(UserFactory()), method)(url, body, format="json")
    assert response.status_code == 403
    assert ChargePoint.objects.count() == 1
    assert ChargePoint.objects.get().registration_status == RegistrationStatus.PENDING


def test_an_unknown_token_is_rejected():
    client = token_client()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    response = client.get(LIST)
    assert response.status_code == 401
    assert "detail" in response.json()


def test_an_operator_can_use_session_login_too(client):
    user = OperatorFactory()
    client.force_login(user)
    assert client.get(LIST).status_code == 200


# --- Reading ----------------------------------------------------------------------------------------------


def test_the_list_shows_connectors_and_live_power(operator):
    charge_point = ChargePointFactory(charge_point_id="CP-1", name="Garage", is_online=True)
    ConnectorFactory(charge_point=charge_point, connector_id=0, power_w=Decimal("9000"))
    ConnectorFactory(charge_point=charge_point, connector_id=1, status="Charging", power_w=Decimal("7400"))
    ConnectorFactory(charge_point=charge_point, connector_id=2, power_w=Decimal("3700.5"), energy_wh=Decimal("12"))

    response = operator.get(LIST)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    charger = body["results"][0]
    assert charger["charge_point_id"] == "CP-1"
    assert charger["name"] == "Garage"
    assert charger["online"] is True
    assert charger["vendor"] == "Acme"
    # The outlets are summed; connector 0 (the whole charger) would count them twice.
    assert Decimal(charger["live_power_w"]) == Decimal("11100.5")
    assert [c["connector_id"] for c in charger["connectors"]] == [0, 1, 2]
    assert charger["connectors"][1]["status"] == "Charging"
    assert set(charger["connectors"][2]) == {
        "connector_id",
        "status",
        "availability",
        "availability_scheduled",
        "error_code",
        "vendor_error_code",
        "info",
        "status_timestamp",
        "power_w",
        "energy_wh",
        "meter_timestamp",
    }


def test_live_power_falls_back_to_connector_zero_and_is_null_without_readings(operator):
    whole = ChargePointFactory(charge_point_id="CP-WHOLE")
    ConnectorFactory(charge_point=whole, connector_id=0, power_w=Decimal("5000"))
    ConnectorFactory(charge_point=whole, connector_id=1, power_w=None)
    quiet = ChargePointFactory(charge_point_id="CP-QUIET")
    ConnectorFactory(charge_point=quiet, connector_id=1, power_w=None)
    ChargePointFactory(charge_point_id="CP-BARE")

    by_id = {c["charge_point_id"]: c for c in operator.get(LIST).json()["results"]}

    assert Decimal(by_id["CP-WHOLE"]["live_power_w"]) == Decimal("5000")
    assert by_id["CP-QUIET"]["live_power_w"] is None
    assert by_id["CP-BARE"]["live_power_w"] is None


def test_secrets_and_session_internals_are_never_shown(operator):
    ChargePointFactory(charge_point_id="CP-1", auth_key_hash="a" * 64, channel_name="specific.abc!def")

    listed = operator.get(LIST).json()["results"][0]
    shown = operator.get(detail("CP-1")).json()

    for charger in (listed, shown):
        assert charger["has_authorization_key"] is True
        assert "auth_key_hash" not in charger
        assert "channel_name" not in charger
        assert "authorization_key" not in charger
        assert "a" * 64 not in str(charger)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("registration_status=Pending", ["CP-B"]),
        ("is_online=true", ["CP-A"]),
        ("is_online=false", ["CP-B", "CP-C"]),
        ("vendor=Volt", ["CP-C"]),
        ("model=X1", ["CP-A"]),
        ("firmware_version=2.0", ["CP-B"]),
        ("search=cellar", ["CP-C"]),
        ("search=cp-b", ["CP-B"]),
        ("ordering=-charge_point_id", ["CP-C", "CP-B", "CP-A"]),
        ("ordering=name", ["CP-B", "CP-C", "CP-A"]),
    ],
)
def test_the_list_filters_searches_and_orders(operator, query, expected):
    ChargePointFactory(charge_point_id="CP-A", name="Yard", is_online=True, model="X1")
    ChargePointFactory(
        charge_point_id="CP-B", name="Annex", registration_status=RegistrationStatus.PENDING, firmware_version="2.0"
    )
    ChargePointFactory(charge_point_id="CP-C", name="Cellar", vendor="Volt")

    response = operator.get(f"{LIST}?{query}")

    assert response.status_code == 200
    assert [c["charge_point_id"] for c in response.json()["results"]] == expected


def test_the_busiest_chargers_come_first_when_ordered_by_live_power(operator):
    for charge_point_id, power in [("CP-LOW", "1000"), ("CP-HIGH", "22000"), ("CP-MID", "7400")]:
        ConnectorFactory(charge_point=ChargePointFactory(charge_point_id=charge_point_id), power_w=Decimal(power))

    response = operator.get(f"{LIST}?ordering=-live_power_w")

    assert [c["charge_point_id"] for c in response.json()["results"]] == ["CP-HIGH", "CP-MID", "CP-LOW"]


def test_the_list_is_paginated(operator):
    ChargePointFactory.create_batch(51)
    first = operator.get(LIST).json()
    assert first["count"] == 51
    assert len(first["results"]) == 50
    assert first["next"].endswith("?page=2")
    assert len(operator.get(first["next"]).json()["results"]) == 1


@pytest.mark.parametrize("charge_point_id", ["site.01:CP-7", "EVB-P1234567", "a.b.c", "CP 7", "ÉCOLE-1", "cp%41"])
def test_the_detail_finds_ids_with_odd_characters(operator, charge_point_id):
    ChargePointFactory(charge_point_id=charge_point_id)
    ChargePointFactory(charge_point_id="CP-OTHER")

    response = operator.get(detail(charge_point_id))

    assert response.status_code == 200
    assert response.json()["charge_point_id"] == charge_point_id


def test_an_id_with_dots_and_colons_works_unencoded_in_the_url(operator):
    ChargePointFactory(charge_point_id="site.01:CP-7")
    assert operator.get("/api/v1/chargers/site.01:CP-7/").json()["charge_point_id"] == "site.01:CP-7"


def test_an_unknown_charger_is_a_json_404(operator):
    response = operator.get(detail("NOPE"))
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


def test_an_unknown_api_path_is_a_json_404(operator):
    response = operator.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


# --- Registering ------------------------------------------------------------------------------------------


def test_registering_without_a_key_returns_a_generated_key_once(operator):
    response = operator.post(LIST, {"charge_point_id": "CP-NEW", "name": "Depot 3"}, format="json")

    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    key = body["authorization_key"]
    assert re.fullmatch(r"[0-9a-f]{40}", key)
    assert body["charge_point_id"] == "CP-NEW"
    assert body["name"] == "Depot 3"
    assert body["registration_status"] == "Accepted"
    assert body["has_authorization_key"] is True
    assert [c["connector_id"] for c in body["connectors"]] == [0]
    charge_point = ChargePoint.objects.get(charge_point_id="CP-NEW")
    assert charge_point.auth_key_hash != key
    assert auth_key_matches(charge_point=charge_point, key=key.encode())
    # Never again:
    assert "authorization_key" not in operator.get(detail("CP-NEW")).json()
    assert key not in operator.get(LIST).content.decode()


def test_registering_with_a_key_keeps_only_its_hash(operator):
    key = "my-own-key-0123456789"
    response = operator.post(
        LIST, {"charge_point_id": "CP-KEY", "authorization_key": key, "registration_status": "Pending"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["authorization_key"] == key
    assert response.json()["registration_status"] == "Pending"
    charge_point = ChargePoint.objects.get(charge_point_id="CP-KEY")
    assert key not in charge_point.auth_key_hash
    assert auth_key_matches(charge_point=charge_point, key=key.encode())
    assert not auth_key_matches(charge_point=charge_point, key=b"another-key-0123456789")


def test_registering_a_duplicate_id_names_the_field(operator):
    ChargePointFactory(charge_point_id="CP-1", name="first")

    response = operator.post(LIST, {"charge_point_id": "CP-1", "name": "second"}, format="json")

    assert response.status_code == 400
    assert "already exists" in response.json()["charge_point_id"][0]
    assert ChargePoint.objects.get().name == "first"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"charge_point_id": "CP-1", "authorization_key": "too-short"}, "authorization_key"),
        ({"charge_point_id": "CP-1", "authorization_key": "k" * 41}, "authorization_key"),
        ({"charge_point_id": "CP-1", "authorization_key": ""}, "authorization_key"),
        ({"name": "no id"}, "charge_point_id"),
        ({"charge_point_id": ""}, "charge_point_id"),
        ({"charge_point_id": "a/b"}, "charge_point_id"),
        ({"charge_point_id": "x" * 101}, "charge_point_id"),
        ({"charge_point_id": "CP-1", "registration_status": "Maybe"}, "registration_status"),
    ],
)
def test_a_bad_registration_is_rejected_naming_the_field(operator, body, field):
    response = operator.post(LIST, body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not ChargePoint.objects.exists()


def test_a_body_that_is_not_json_is_rejected(operator):
    response = operator.post(LIST, "charge_point_id=CP-1", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    response = operator.post(LIST, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()


# --- Changing ---------------------------------------------------------------------------------------------


@pytest.fixture
def sent_to_sessions(monkeypatch) -> list[tuple[str, dict]]:
    """What the services send to live OCPP sessions through the channel layer."""
    sent: list[tuple[str, dict]] = []
    monkeypatch.setattr(
        "chargers.services.registration.channel_send", lambda channel, message: sent.append((channel, message))
    )
    return sent


@pytest.mark.parametrize("decision", ["Accepted", "Rejected"])
def test_an_operator_accepts_or_rejects_a_pending_charger(
    operator, sent_to_sessions, django_capture_on_commit_callbacks, decision
):
    ChargePointFactory(
        charge_point_id="CP-P", registration_status=RegistrationStatus.PENDING, channel_name="specific.one"
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = operator.patch(detail("CP-P"), {"registration_status": decision}, format="json")

    assert response.status_code == 200
    assert response.json()["registration_status"] == decision
    assert ChargePoint.objects.get().registration_status == decision
    # The connected charger hears it at once, not at its next boot.
    assert sent_to_sessions == [("specific.one", {"type": "ocpp.registration", "status": decision})]


def test_a_patch_renames_and_sets_a_new_write_only_key(operator):
    charge_point = ChargePointFactory(charge_point_id="CP-1")
    key = "fresh-key-0123456789abcdef"

    response = operator.patch(detail("CP-1"), {"name": "Renamed", "authorization_key": key}, format="json")

    assert response.status_code == 200
    assert response.json()["name"] == "Renamed"
    assert response.json()["has_authorization_key"] is True
    assert key not in response.content.decode()
    charge_point.refresh_from_db()
    assert charge_point.name == "Renamed"
    assert auth_key_matches(charge_point=charge_point, key=key.encode())


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"registration_status": "Maybe"}, "registration_status"),
        ({"authorization_key": "short"}, "authorization_key"),
        ({"status": "Accepted"}, "non_field_errors"),
        ({}, "non_field_errors"),
    ],
)
def test_a_bad_patch_is_rejected_and_changes_nothing(operator, body, field):
    ChargePointFactory(charge_point_id="CP-1", registration_status=RegistrationStatus.PENDING)

    response = operator.patch(detail("CP-1"), body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert ChargePoint.objects.get().registration_status == RegistrationStatus.PENDING


def test_a_bad_patch_does_not_apply_its_valid_parts(operator):
    ChargePointFactory(charge_point_id="CP-1", name="Old")
    response = operator.patch(detail("CP-1"), {"name": "New", "authorization_key": "short"}, format="json")
    assert response.status_code == 400
    assert ChargePoint.objects.get().name == "Old"


def test_patching_an_unknown_charger_is_a_404(operator):
    assert operator.patch(detail("NOPE"), {"name": "x"}, format="json").status_code == 404


@pytest.mark.parametrize("method", ["delete", "put"])
def test_chargers_cannot_be_deleted_or_replaced(operator, method):
    ChargePointFactory(charge_point_id="CP-1")
    response = getattr(operator, method)(detail("CP-1"), {"charge_point_id": "CP-1"}, format="json")
    assert response.status_code == 405
    assert ChargePoint.objects.count() == 1
    assert Connector.objects.count() == 0


def test_a_charger_is_registered_with_a_security_profile_which_a_patch_changes_and_a_bad_one_is_named(operator):
    response = operator.post(LIST, {"charge_point_id": "CP-TLS", "security_profile": 3}, format="json")
    assert response.status_code == 201
    assert response.json()["security_profile"] == 3
    assert ChargePoint.objects.get(charge_point_id="CP-TLS").security_profile == 3

    assert operator.patch(detail("CP-TLS"), {"security_profile": 2}, format="json").json()["security_profile"] == 2
    refused = operator.patch(detail("CP-TLS"), {"security_profile": 4}, format="json")
    assert refused.status_code == 400
    assert "security_profile" in refused.json()
    assert operator.get(detail("CP-TLS")).json()["security_profile"] == 2
    assert operator.post(LIST, {"charge_point_id": "CP-PLAIN"}, format="json").json()["security_profile"] == 1
