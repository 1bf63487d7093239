"""REST API of charging profiles: list, create (validate and queue SetChargingProfile), delete (queue
ClearChargingProfile), and the composite schedule (POST asks, GET the last answer); who may do what."""

import copy

import pytest
from django.contrib.auth.models import Group

from chargers.models import ChargingProfile, Command, RegistrationStatus
from portal.roles import VIEWERS_GROUP
from tests.factories import ChargePointFactory, OperatorFactory, UserFactory, token_client

pytestmark = pytest.mark.django_db

PROFILE = {
    "stackLevel": 2,
    "chargingProfilePurpose": "TxDefaultProfile",
    "chargingProfileKind": "Absolute",
    "chargingSchedule": {
        "chargingRateUnit": "A",
        "startSchedule": "2026-12-01T06:00:00Z",
        "duration": 7200,
        "minChargingRate": 6.0,
        "chargingSchedulePeriod": [
            {"startPeriod": 0, "limit": 16.0, "numberPhases": 3},
            {"startPeriod": 3600, "limit": 10.5},
        ],
    },
}


@pytest.fixture
def operator():
    return token_client(OperatorFactory())


@pytest.fixture
def viewer():
    user = OperatorFactory()
    user.groups.add(Group.objects.get_or_create(name=VIEWERS_GROUP)[0])
    return token_client(user)


@pytest.fixture
def charger():
    return ChargePointFactory(charge_point_id="site:CP-P", registration_status=RegistrationStatus.ACCEPTED)


def url(charger, tail: str = "charging-profiles/") -> str:
    return f"/api/v1/chargers/{charger.charge_point_id}/{tail}"


@pytest.mark.parametrize(
    ("method", "tail"),
    [
        ("get", "charging-profiles/"),
        ("post", "charging-profiles/"),
        ("get", "composite-schedule/"),
        ("post", "composite-schedule/"),
    ],
)
def test_only_operators_may_use_the_charging_profile_endpoints(charger, method, tail) -> None:
    assert getattr(token_client(None), method)(url(charger, tail), {}, format="json").status_code == 401
    assert getattr(token_client(UserFactory()), method)(url(charger, tail), {}, format="json").status_code == 403


def test_a_valid_profile_is_kept_and_queued_as_set_charging_profile_with_its_id(operator, charger) -> None:
    response = operator.post(url(charger), {"connectorId": 1, "csChargingProfiles": PROFILE}, format="json")
    assert response.status_code == 202, response.json()
    body = response.json()
    assert (body["purpose"], body["stack_level"], body["rate_unit"], body["state"]) == (
        "TxDefaultProfile",
        2,
        "A",
        "queued",
    )
    command = Command.objects.get(pk=body["set_command"]["id"])
    assert command.action == "SetChargingProfile"
    assert command.payload == {"connectorId": 1, "csChargingProfiles": {**PROFILE, "chargingProfileId": body["id"]}}
    assert [p["id"] for p in operator.get(url(charger)).json()] == [body["id"]]


def test_a_profile_breaking_a_rule_is_a_400_naming_the_field_and_nothing_is_queued(operator, charger) -> None:
    bad = copy.deepcopy(PROFILE)
    bad["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"] = 16.25
    response = operator.post(url(charger), {"connectorId": 0, "csChargingProfiles": bad}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "chargingProfile": [
            "chargingSchedule.chargingSchedulePeriod[0].limit: a number of 0 or more with at most one decimal"
        ]
    }
    assert not ChargingProfile.objects.exists() and not Command.objects.exists()


def test_a_body_without_the_profile_is_a_400(operator, charger) -> None:
    response = operator.post(url(charger), {"connectorId": 1}, format="json")
    assert (response.status_code, list(response.json())) == (400, ["csChargingProfiles"])


def test_deleting_a_profile_queues_its_clear_and_keeps_the_row(operator, charger) -> None:
    created = operator.post(url(charger), {"connectorId": 1, "csChargingProfiles": PROFILE}, format="json").json()
    response = operator.delete(url(charger, f"charging-profiles/{created['id']}/"))
    assert response.status_code == 202
    assert response.json()["state"] == "clear queued"
    clear = Command.objects.get(pk=response.json()["clear_command"]["id"])
    assert (clear.action, clear.payload) == ("ClearChargingProfile", {"id": created["id"]})


def test_a_viewer_reads_profiles_but_sends_none(viewer, charger) -> None:
    assert viewer.get(url(charger)).status_code == 200
    assert (
        viewer.post(url(charger), {"connectorId": 1, "csChargingProfiles": PROFILE}, format="json").status_code == 403
    )
    assert (
        viewer.post(url(charger, "composite-schedule/"), {"connectorId": 1, "duration": 60}, format="json").status_code
        == 403
    )


def test_a_composite_schedule_is_asked_and_the_last_ask_is_read_back(operator, charger) -> None:
    assert operator.get(url(charger, "composite-schedule/")).status_code == 404
    asked = operator.post(
        url(charger, "composite-schedule/"),
        {"connectorId": 1, "duration": 3600, "chargingRateUnit": "W"},
        format="json",
    )
    assert asked.status_code == 202
    assert asked.json()["payload"] == {"connectorId": 1, "duration": 3600, "chargingRateUnit": "W"}
    last = operator.get(url(charger, "composite-schedule/")).json()
    assert (last["id"], last["status"], last["series"]) == (
        asked.json()["id"],
        "queued",
        {"unit": "", "t": [], "limit": []},
    )


def test_a_composite_request_with_a_bad_unit_is_a_400(operator, charger) -> None:
    response = operator.post(
        url(charger, "composite-schedule/"), {"connectorId": 1, "duration": 60, "chargingRateUnit": "kW"}, format="json"
    )
    assert (response.status_code, list(response.json())) == (400, ["chargingRateUnit"])


def test_a_profile_being_cleared_is_not_cleared_twice(operator, charger) -> None:
    created = operator.post(url(charger), {"connectorId": 1, "csChargingProfiles": PROFILE}, format="json").json()
    assert operator.delete(url(charger, f"charging-profiles/{created['id']}/")).status_code == 202
    again = operator.delete(url(charger, f"charging-profiles/{created['id']}/"))
    assert again.status_code == 400
    assert again.json() == {"profile": [f"profile {created['id']} is already queued for clearing"]}
    assert Command.objects.filter(action="ClearChargingProfile").count() == 1


def test_a_profile_of_another_charger_is_a_404(operator, charger) -> None:
    created = operator.post(url(charger), {"connectorId": 1, "csChargingProfiles": PROFILE}, format="json").json()
    other = ChargePointFactory(charge_point_id="OTHER", registration_status=RegistrationStatus.ACCEPTED)
    assert operator.delete(url(other, f"charging-profiles/{created['id']}/")).status_code == 404


def test_an_accepted_profile_in_the_same_slot_replaces_the_older_one(operator, charger) -> None:
    first, second, other_level = (
        operator.post(
            url(charger), {"connectorId": 1, "csChargingProfiles": {**PROFILE, "stackLevel": level}}, format="json"
        ).json()
        for level in (2, 2, 3)
    )
    Command.objects.filter(action="SetChargingProfile").update(status="accepted", response={"status": "Accepted"})
    states = {p["id"]: p["state"] for p in operator.get(url(charger)).json()}
    assert states == {
        first["id"]: f"replaced by {second['id']}",
        second["id"]: "accepted",
        other_level["id"]: "accepted",
    }
