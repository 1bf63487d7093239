"""The charging-profiles page: operators send a profile from the form (a broken rule is shown, nothing queued),
clear one and ask for the composite schedule; viewers read it all and change nothing; the last composite answer is
handed to the chart."""

import json

import pytest
from django.contrib.auth.models import Group

from chargers.charging.services import composite_request
from chargers.models import ChargingProfile, Command, CommandStatus, RegistrationStatus
from chargers.ocpp.results import request_problem
from portal.roles import VIEWERS_GROUP
from tests.factories import ChargePointFactory, OperatorFactory, UserFactory

pytestmark = pytest.mark.django_db

FORM = {
    "connector_id": "1",
    "purpose": "TxDefaultProfile",
    "stack_level": "1",
    "kind": "Relative",
    "rate_unit": "W",
    "periods": "0 11000\n1800 7400.5 3",
}


@pytest.fixture
def charger():
    return ChargePointFactory(charge_point_id="PG-1", registration_status=RegistrationStatus.ACCEPTED)


@pytest.fixture
def operator(client):
    client.force_login(OperatorFactory(password=None))
    return client


@pytest.fixture
def viewer(client):
    user = OperatorFactory(password=None)
    user.groups.add(Group.objects.get_or_create(name=VIEWERS_GROUP)[0])
    client.force_login(user)
    return client


def page(charger) -> str:
    return f"/chargers/{charger.charge_point_id}/charging-profiles/"


def test_an_operator_sends_a_profile_from_the_form_and_sees_it_listed_in_kw(operator, charger) -> None:
    response = operator.post(page(charger), FORM, follow=True)
    profile = ChargingProfile.objects.get()
    assert profile.set_command.payload["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"] == [
        {"startPeriod": 0, "limit": 11000},
        {"startPeriod": 1800, "limit": 7400.5, "numberPhases": 3},
    ]
    html = response.content.decode()
    assert "from 0 s: 11.0 kW · from 1800 s: 7.4 kW (3 phases)" in html
    assert f"Profile {profile.pk} queued" in html


def test_a_form_breaking_a_rule_shows_the_rule_and_queues_nothing(operator, charger) -> None:
    response = operator.post(page(charger), {**FORM, "purpose": "ChargePointMaxProfile"})
    assert response.status_code == 400
    assert "a ChargePointMaxProfile is set on connector 0 only" in response.content.decode()
    bad_line = operator.post(page(charger), {**FORM, "periods": "0 sixteen"})
    assert "line 1: startPeriod limit [numberPhases]" in bad_line.content.decode()
    assert not ChargingProfile.objects.exists() and not Command.objects.exists()


def test_an_operator_clears_a_profile_and_asks_for_the_composite_schedule(operator, charger) -> None:
    operator.post(page(charger), FORM)
    profile = ChargingProfile.objects.get()
    operator.post(f"{page(charger)}{profile.pk}/clear/")
    profile.refresh_from_db()
    assert (profile.clear_command.action, profile.clear_command.payload) == ("ClearChargingProfile", {"id": profile.pk})
    operator.post(
        f"/chargers/{charger.charge_point_id}/composite-schedule/ask/", {"connector_id": "0", "duration_s": "600"}
    )
    asked = Command.objects.get(action="GetCompositeSchedule")
    assert asked.payload == {"connectorId": 0, "duration": 600}


def test_a_viewer_reads_the_page_without_forms_and_may_post_nothing(viewer, charger) -> None:
    response = viewer.get(page(charger))
    assert response.status_code == 200
    assert "Send (SetChargingProfile)" not in response.content.decode()
    assert viewer.post(page(charger), FORM).status_code == 403
    ask = viewer.post(
        f"/chargers/{charger.charge_point_id}/composite-schedule/ask/", {"connector_id": "0", "duration_s": "6"}
    )
    assert ask.status_code == 403
    assert not Command.objects.exists()


def test_customers_are_refused_and_the_anonymous_sent_to_log_in(client, charger) -> None:
    assert client.get(page(charger)).status_code == 302
    client.force_login(UserFactory())
    assert client.get(page(charger)).status_code == 403


def test_the_last_composite_answer_is_handed_to_the_chart(operator, charger) -> None:
    command = composite_request(charge_point=charger, connector_id=0, duration_s=600, check_payload=request_problem)
    schedule = {"duration": 600, "chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}]}
    Command.objects.filter(pk=command.pk).update(
        status=CommandStatus.ACCEPTED,
        response={"status": "Accepted", "scheduleStart": "2026-12-01T00:00:00Z", "chargingSchedule": schedule},
    )
    html = operator.get(page(charger)).content.decode()
    start = 1796083200.0  # 2026-12-01T00:00:00Z
    series = html.split('<script id="composite-series" type="application/json">')[1].split("</script>")[0]
    assert json.loads(series) == {"unit": "A", "t": [start, start + 600], "limit": [16.0, 16.0]}
