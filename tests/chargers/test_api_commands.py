"""REST API for remote commands: POST one (202), bulk by list or filter, follow, cancel, schedule."""

import pytest

from chargers.models import ChargePoint, Command, RegistrationStatus
from tests.factories import ChargePointFactory, OperatorFactory, UserFactory, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator():
    return token_client(OperatorFactory())


@pytest.fixture
def charger():
    return ChargePointFactory(charge_point_id="site.01:CP-7", registration_status=RegistrationStatus.ACCEPTED)


def commands_url(charge_point_id: str) -> str:
    return f"/api/v1/chargers/{charge_point_id}/commands/"


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/commands/"),
        ("post", "/api/v1/commands/bulk/"),
        ("get", "/api/v1/command-batches/"),
        ("get", "/api/v1/command-schedules/"),
        ("post", "/api/v1/chargers/X/commands/"),
    ],
)
def test_only_operators_may_use_the_command_endpoints(method, url) -> None:
    assert getattr(token_client(None), method)(url, {}, format="json").status_code == 401
    assert getattr(token_client(UserFactory()), method)(url, {}, format="json").status_code == 403


def test_posting_a_command_queues_it_and_answers_202_with_the_command(operator, charger) -> None:
    response = operator.post(
        commands_url(charger.charge_point_id), {"action": "Reset", "payload": {"type": "Soft"}}, format="json"
    )
    assert response.status_code == 202
    body = response.json()
    assert (body["action"], body["payload"], body["status"]) == ("Reset", {"type": "Soft"}, "queued")
    assert body["charge_point_id"] == "site.01:CP-7"
    assert body["requested_via"] == "api"
    assert response["Location"] == f"/api/v1/commands/{body['id']}/"
    assert operator.get(f"/api/v1/commands/{body['id']}/").json()["status"] == "queued"


def test_a_command_body_without_action_is_a_400_naming_the_field(operator, charger) -> None:
    response = operator.post(commands_url(charger.charge_point_id), {"payload": {}}, format="json")
    assert response.status_code == 400
    assert "action" in response.json()


def test_a_payload_that_breaks_the_ocpp_schema_is_a_400_naming_the_field(operator, charger) -> None:
    response = operator.post(
        commands_url(charger.charge_point_id),
        {"action": "ChangeAvailability", "payload": {"connectorId": 1}},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"payload": ["type: this field is required"]}
    assert not Command.objects.exists()


def test_a_command_for_an_unknown_charger_is_a_404(operator) -> None:
    assert operator.post(commands_url("NOPE"), {"action": "ClearCache"}, format="json").status_code == 404


def test_a_queued_command_can_be_cancelled_once(operator, charger) -> None:
    created = operator.post(commands_url(charger.charge_point_id), {"action": "ClearCache"}, format="json").json()
    first = operator.post(f"/api/v1/commands/{created['id']}/cancel/")
    assert (first.status_code, first.json()["status"]) == (200, "cancelled")
    again = operator.post(f"/api/v1/commands/{created['id']}/cancel/")
    assert again.status_code == 409


def test_a_bulk_command_by_filter_reaches_the_matching_chargers_and_reports_refusals(operator) -> None:
    for i in range(3):
        ChargePointFactory(
            charge_point_id=f"INCH-{i}",
            vendor="Etrel",
            firmware_version="1.12",
            registration_status=RegistrationStatus.ACCEPTED,
        )
    ChargePointFactory(
        charge_point_id="INCH-PENDING",
        vendor="Etrel",
        firmware_version="1.12",
        registration_status=RegistrationStatus.PENDING,
    )
    ChargePointFactory(charge_point_id="OTHER", vendor="Other", firmware_version="1.12")
    response = operator.post(
        "/api/v1/commands/bulk/",
        {
            "action": "RemoteStartTransaction",
            "payload": {"idTag": "FLEET"},
            "target": {"vendor": "Etrel", "firmware_version": "1.12"},
        },
        format="json",
    )
    assert response.status_code == 202
    body = response.json()
    assert body["progress"] == {"queued": 3}
    assert list(body["refused"]) == ["INCH-PENDING"]
    batch = operator.get(f"/api/v1/command-batches/{body['id']}/").json()
    assert batch["progress"] == {"queued": 3}
    listed = operator.get("/api/v1/commands/", {"batch": body["id"]}).json()
    assert sorted(c["charge_point_id"] for c in listed["results"]) == ["INCH-0", "INCH-1", "INCH-2"]


def test_a_bulk_command_without_a_target_filter_is_refused(operator) -> None:
    ChargePointFactory()
    response = operator.post(
        "/api/v1/commands/bulk/", {"action": "Reset", "payload": {"type": "Soft"}, "target": {}}, format="json"
    )
    assert response.status_code == 400
    assert "target" in response.json()
    assert not Command.objects.exists()


def test_a_bulk_command_that_matches_nobody_says_so(operator) -> None:
    response = operator.post(
        "/api/v1/commands/bulk/",
        {"action": "Reset", "payload": {"type": "Soft"}, "target": {"vendor": "Nobody"}},
        format="json",
    )
    assert (response.status_code, response.json()) == (400, {"target": ["No charger matches."]})


def test_a_recurring_command_is_scheduled_and_listed(operator, charger) -> None:
    created = operator.post(
        "/api/v1/command-schedules/",
        {
            "name": "nightly soft reset",
            "cron": "0 3 * * *",
            "action": "Reset",
            "payload": {"type": "Soft"},
            "target": {"charge_point_ids": [charger.charge_point_id]},
        },
        format="json",
    )
    assert created.status_code == 201
    listed = operator.get("/api/v1/command-schedules/").json()
    assert [(s["name"], s["cron"], s["action"]) for s in listed] == [("nightly soft reset", "0 3 * * *", "Reset")]


def test_a_schedule_with_a_bad_cron_is_a_400_naming_the_field(operator) -> None:
    response = operator.post(
        "/api/v1/command-schedules/",
        {"name": "x", "cron": "nightly", "action": "Reset", "payload": {"type": "Soft"}, "target": {"vendor": "Etrel"}},
        format="json",
    )
    assert response.status_code == 400
    assert "cron" in response.json()


def test_commands_are_filterable_by_status_and_charger(operator, charger) -> None:
    other = ChargePointFactory(charge_point_id="B", registration_status=RegistrationStatus.ACCEPTED)
    operator.post(commands_url(charger.charge_point_id), {"action": "ClearCache"}, format="json")
    operator.post(commands_url("B"), {"action": "ClearCache"}, format="json")
    listed = operator.get("/api/v1/commands/", {"charge_point_id": "B", "status": "queued"}).json()
    assert [c["charge_point_id"] for c in listed["results"]] == [other.charge_point_id]
    assert ChargePoint.objects.count() == 2
