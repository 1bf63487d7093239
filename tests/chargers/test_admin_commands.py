"""The admin's typed command form: pick an operation, fill its fields, and the command is queued."""

import pytest
from django.contrib.auth import get_user_model

from chargers.models import Command, CommandBatch
from chargers.services import charge_point_register

pytestmark = pytest.mark.django_db

URL = "/admin/chargers/chargepoint/send-command/"


@pytest.fixture
def operator(client):
    user = get_user_model().objects.create_superuser("operator", "op@example.com", "a-long-password-1")
    client.force_login(user)
    return user


@pytest.fixture
def charger():
    return charge_point_register(charge_point_id="ADMIN-CMD-1")


def test_the_form_of_an_operation_has_its_typed_fields(client, operator, charger) -> None:
    page = client.get(URL, {"ids": charger.pk, "action": "ChangeAvailability"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="connectorId"' in html and 'type="number"' in html
    assert '<option value="Inoperative">' in html


def test_posting_the_form_queues_the_command_with_who_asked(client, operator, charger) -> None:
    response = client.post(f"{URL}?ids={charger.pk}&action=Reset", {"type": "Hard"})
    assert response.status_code == 302
    command = Command.objects.get()
    assert (command.action, command.payload, command.status) == ("Reset", {"type": "Hard"}, "queued")
    assert (command.requested_by, command.requested_via) == (operator, "admin")


def test_a_missing_field_shows_an_error_and_queues_nothing(client, operator, charger) -> None:
    response = client.post(f"{URL}?ids={charger.pk}&action=UnlockConnector", {})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not Command.objects.exists()


def test_a_malformed_charging_profile_is_refused_naming_the_field(client, operator, charger) -> None:
    response = client.post(
        f"{URL}?ids={charger.pk}&action=SetChargingProfile",
        {"connectorId": "1", "csChargingProfiles": '{"chargingProfileId": 1}'},
    )
    assert response.status_code == 200
    assert "csChargingProfiles" in response.content.decode()
    assert not Command.objects.exists()


def test_many_chargers_get_one_batch(client, operator, charger) -> None:
    other = charge_point_register(charge_point_id="ADMIN-CMD-2")
    response = client.post(f"{URL}?ids={charger.pk},{other.pk}&action=ClearCache", {})
    assert response.status_code == 302
    batch = CommandBatch.objects.get()
    assert batch.commands.count() == 2


def test_only_staff_reach_the_command_form(client, charger) -> None:
    user = get_user_model().objects.create_user("customer", password="a-long-password-1")
    client.force_login(user)
    response = client.get(URL, {"ids": charger.pk})
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
