"""The questionnaire pages, the vendor's share link, import/export pages, the charger page and the DataTransfer
forms built from a message's schema."""

import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from chargers.models import (
    ChargePoint,
    ChargerModel,
    Connector,
    DataTransferMessage,
    ProfileStatus,
    QuestionnaireShareLink,
)
from chargers.profiles.forms import (
    ConnectorSpecForm,
    DataTransferSpecForm,
    data_transfer_form_class,
    data_transfer_payload,
)
from chargers.profiles.services import charge_point_set_charger_model, charger_model_dumps, share_link_create
from chargers.services import charge_point_boot, charge_point_register
from tests.chargers.test_profiles import load_inch
from tests.factories import OperatorFactory

pytestmark = pytest.mark.django_db

FORMSETS = ("firmware", "connectors", "data_transfers", "meter_values", "error_codes", "interfaces")


@pytest.fixture
def inch() -> ChargerModel:
    return load_inch()


@pytest.fixture
def operator(client):
    # Writes on these pages need model permissions: a full operator has them all.
    client.force_login(OperatorFactory(username="operator"))
    return client


def questionnaire_post(**answers: str) -> dict:
    """A minimal valid questionnaire (one connector, one message over 1.6 JSON), with `answers` on top."""
    data = {f"{prefix}-{key}": value for prefix in FORMSETS for key, value in (("TOTAL_FORMS", "0"),)}
    data.update({f"{prefix}-INITIAL_FORMS": "0" for prefix in FORMSETS})
    data.update(
        {
            "vendor": "Acme",
            "model": "Wallbox 22",
            "match_priority": "0",
            "rfid_byte_order": "big_endian",
            "messages_ocpp16_json": ["Authorize", "BootNotification", "Reset"],
            "connectors-TOTAL_FORMS": "1",
            "connectors-0-position": "1",
            "connectors-0-connector_code": "1",
            "connectors-0-evse_code": "1",
            "connectors-0-charging_type": "AC",
            "connectors-0-connector_type": "Type 2",
            "connectors-0-max_power_kw": "11",
            "connectors-0-phases": "3",
        }
    )
    data.update(answers)
    return data


# --- Who may see what -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/chargers/", "/chargers/models/", "/chargers/models/new/", "/chargers/models/firmware/"]
)
def test_the_pages_need_a_staff_login(client, url: str) -> None:
    assert client.get(url).status_code == 302
    client.force_login(get_user_model().objects.create_user("customer", password="pw"))
    assert client.get(url).status_code == 302


def test_the_profile_pages_show_the_inch(operator, inch) -> None:
    assert "INCH" in operator.get("/chargers/models/").content.decode()
    page = operator.get(f"/chargers/models/{inch.pk}/").content.decode()
    assert "FA2AFD77" in page and "&gt; 100000" in page and "borut.mehle@etrel.si" in page
    assert operator.get(f"/chargers/models/{inch.pk}/edit/").status_code == 200


# --- The questionnaire ------------------------------------------------------------------------------------


def test_an_operator_fills_in_a_new_model_in_the_browser(operator) -> None:
    response = operator.post("/chargers/models/new/", questionnaire_post())
    assert response.status_code == 302
    profile = ChargerModel.objects.get(vendor="Acme", model="Wallbox 22")
    assert profile.status == ProfileStatus.DRAFT
    assert profile.supported_messages["ocpp16_json"] == ["Authorize", "BootNotification", "Reset"]
    assert profile.supported_messages["ocpp15_soap"] == []
    assert [(c.connector_code, c.phases) for c in profile.connector_specs.all()] == [(1, 3)]


def field_errors(response, name: str) -> str:
    return " ".join(str(e) for e in response.context["form"].errors.get(name, []))


def formset_errors(response, prefix: str, index: int, name: str) -> str:
    return " ".join(response.context["formsets"][prefix].forms[index].errors.get(name, []))


def test_a_negative_connector_power_is_refused_on_its_field(operator) -> None:
    response = operator.post("/chargers/models/new/", questionnaire_post(**{"connectors-0-max_power_kw": "-22"}))
    assert response.status_code == 200
    assert "greater than or equal to 0.01" in formset_errors(response, "connectors", 0, "max_power_kw")
    assert not ChargerModel.objects.filter(vendor="Acme").exists()


def test_an_ac_connector_without_phases_is_refused_on_its_field(operator) -> None:
    response = operator.post("/chargers/models/new/", questionnaire_post(**{"connectors-0-phases": ""}))
    assert formset_errors(response, "connectors", 0, "phases") == "an AC connector needs its number of phases"
    assert 'data-field="connectors-0-phases"' in response.content.decode()


def test_an_invalid_json_schema_in_a_datatransfer_message_is_refused(operator) -> None:
    response = operator.post(
        "/chargers/models/new/",
        questionnaire_post(
            **{
                "data_transfers-TOTAL_FORMS": "2",
                "data_transfers-0-vendor_id": "Acme",
                "data_transfers-0-message_id": "Broken",
                "data_transfers-0-direction": "to_charger",
                "data_transfers-0-data_schema": '{"type": "object", "properties": {"a": {"type": 5}}}',
                "data_transfers-1-vendor_id": "Acme",
                "data_transfers-1-message_id": "NotJson",
                "data_transfers-1-direction": "to_charger",
                "data_transfers-1-data_schema": "{not json",
            }
        ),
    )
    assert "not a valid JSON schema" in formset_errors(response, "data_transfers", 0, "data_schema")
    assert "valid JSON" in formset_errors(response, "data_transfers", 1, "data_schema")


def test_a_message_that_ocpp_15_does_not_have_cannot_be_ticked_for_it(operator) -> None:
    response = operator.post("/chargers/models/new/", questionnaire_post(messages_ocpp15_soap=["TriggerMessage"]))
    assert "TriggerMessage is not one of the available choices" in field_errors(response, "messages_ocpp15_soap")


def test_bad_answers_are_refused_field_by_field() -> None:
    connector = ConnectorSpecForm(
        {"position": "1", "connector_code": "0", "charging_type": "DC", "connector_type": "CCS", "max_power_kw": "50"}
    )
    assert not connector.is_valid()
    assert set(connector.errors) == {"connector_code"}
    dc_with_phases = ConnectorSpecForm(
        {
            "position": "1",
            "connector_code": "1",
            "charging_type": "DC",
            "connector_type": "CCS",
            "max_power_kw": "50",
            "phases": "3",
        }
    )
    assert not dc_with_phases.is_valid()
    assert dc_with_phases.errors["phases"] == ["do not enter phases for DC charging"]
    schema = DataTransferSpecForm(
        {"vendor_id": "A", "message_id": "M", "direction": "to_charger", "data_schema": '{"type": "array"}'}
    )
    assert not schema.is_valid()
    assert "must have" in schema.errors["data_schema"][0]


def test_the_questionnaire_page_edits_the_inch_without_losing_answers(operator, inch) -> None:
    page = operator.get(f"/chargers/models/{inch.pk}/edit/")
    form = page.context["form"]
    assert form.initial["messages_ocpp16_json"] == inch.supported_messages["ocpp16_json"]
    assert "Charge point model configuration" in page.content.decode()
    # The four connector columns of the questionnaire: one filled, three empty.
    assert len(page.context["formsets"]["connectors"].forms) == 4


# --- Vendor share links -----------------------------------------------------------------------------------


def test_a_vendor_fills_in_the_questionnaire_through_a_share_link(client) -> None:
    profile = ChargerModel.objects.create(vendor="Acme", model="Wallbox 22")
    link = share_link_create(profile=profile, days=7)
    url = f"/chargers/questionnaire/{link.token}/"
    page = client.get(url)
    assert page.status_code == 200
    assert "boot_model_pattern" not in page.context["form"].fields  # matching is the operator's business
    response = client.post(url, questionnaire_post(support_email="help@acme.example"))
    assert response.status_code == 200 and "Thank you" in response.content.decode()
    profile.refresh_from_db()
    assert (profile.status, profile.support_email) == (ProfileStatus.SUBMITTED, "help@acme.example")
    # The link opens that questionnaire and nothing else.
    assert client.get("/chargers/models/").status_code == 302
    assert client.get(f"/chargers/models/{profile.pk}/").status_code == 302


def test_an_expired_or_unknown_share_link_opens_nothing(client) -> None:
    profile = ChargerModel.objects.create(vendor="Acme", model="Old")
    link = share_link_create(profile=profile)
    QuestionnaireShareLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert client.get(f"/chargers/questionnaire/{link.token}/").status_code == 404
    assert client.post(f"/chargers/questionnaire/{link.token}/", questionnaire_post()).status_code == 404
    assert client.get("/chargers/questionnaire/not-a-token/").status_code == 404


def test_an_operator_creates_a_share_link_from_the_profile_page(operator, inch) -> None:
    response = operator.post(f"/chargers/models/{inch.pk}/share/", {"days": "3"}, follow=True)
    link = QuestionnaireShareLink.objects.get(profile=inch)
    assert f"/chargers/questionnaire/{link.token}/" in response.content.decode()


# --- Export and import pages ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_export_and_import_pages_round_trip_a_profile(operator, inch, fmt: str) -> None:
    exported = operator.get(f"/chargers/models/{inch.pk}/export.{fmt}")
    assert exported["Content-Disposition"] == f'attachment; filename="ETREL-INCH.{fmt}"'
    text = exported.content.decode()
    inch.delete()
    response = operator.post("/chargers/models/import/", {"text": text, "format": fmt})
    assert response.status_code == 302
    assert charger_model_dumps(profile=ChargerModel.objects.get(model="INCH"), fmt=fmt) == text


def test_the_import_page_names_the_unknown_ocpp_message(operator, inch) -> None:
    document = json.loads(charger_model_dumps(profile=inch))
    document["model"] = "INCH X"
    document["supported_messages"]["ocpp16_json"].append("GetCoffee")
    response = operator.post("/chargers/models/import/", {"text": json.dumps(document), "format": "auto"})
    assert response.status_code == 400
    assert "supported_messages: ocpp16_json: unknown OCPP message(s) GetCoffee" in response.content.decode()


# --- The charger page -------------------------------------------------------------------------------------


def inch_charger(charge_point_id: str) -> ChargePoint:
    charge_point = charge_point_register(charge_point_id=charge_point_id)
    charge_point_boot(charge_point_pk=charge_point.pk, vendor="Etrel", model="G-HB1V5CY20-A14")
    return ChargePoint.objects.get(pk=charge_point.pk)


def test_the_charger_page_greys_out_what_the_model_does_not_support(operator, inch) -> None:
    charge_point = inch_charger("INCH-PAGE-1")
    page = operator.get(f"/chargers/{charge_point.charge_point_id}/")
    unsupported = [op for op in page.context["operations"] if not op.supported]
    assert [op.action for op in unsupported] == ["GetLocalListVersion"]
    assert "does not support GetLocalListVersion over OCPP 1.6 JSON" in page.content.decode()


def test_vendor_error_codes_are_shown_with_their_meaning(operator, admin_client, inch) -> None:
    inch.vendor_error_codes.create(code="E12", meaning="Residual current detected", when="with GroundFailure")
    charge_point = inch_charger("INCH-PAGE-2")
    Connector.objects.filter(charge_point=charge_point, connector_id=1).update(
        status="Faulted", error_code="GroundFailure", vendor_error_code="E12"
    )
    assert "Residual current detected" in operator.get(f"/chargers/{charge_point.charge_point_id}/").content.decode()
    admin_page = admin_client.get(f"/admin/chargers/chargepoint/{charge_point.pk}/change/").content.decode()
    assert "E12: Residual current detected" in admin_page


def test_incoming_datatransfer_is_shown_decoded_with_its_description(operator, inch) -> None:
    inch.data_transfers.create(
        vendor_id="Etrel", message_id="Hello", direction="from_charger", description="The charger says hello"
    )
    charge_point = inch_charger("INCH-PAGE-3")
    DataTransferMessage.objects.create(
        charge_point=charge_point, vendor_id="Etrel", message_id="Hello", data='{"n":1}', response_status="Accepted"
    )
    page = operator.get(f"/chargers/{charge_point.charge_point_id}/")
    decoded = page.context["data_transfers"][0]
    assert (decoded.description, decoded.data) == ("The charger says hello", {"n": 1})
    assert "The charger says hello" in page.content.decode()


def test_an_operator_chooses_a_profile_that_boots_keep(operator, inch) -> None:
    other = ChargerModel.objects.create(vendor="Acme", model="Wallbox", status=ProfileStatus.ACTIVE)
    charge_point = inch_charger("INCH-PAGE-4")
    response = operator.post(
        f"/chargers/{charge_point.charge_point_id}/profile/", {"charger_model": other.pk, "override": "on"}
    )
    assert response.status_code == 302
    charge_point_boot(charge_point_pk=charge_point.pk, vendor="Etrel", model="G-HB1V5CY20-A14")
    charge_point.refresh_from_db()
    assert (charge_point.charger_model, charge_point.charger_model_overridden) == (other, True)


def test_the_firmware_comparison_lists_chargers_on_unlisted_firmware(operator, inch) -> None:
    charge_point = inch_charger("INCH-PAGE-5")
    ChargePoint.objects.filter(pk=charge_point.pk).update(firmware_version="9.9")
    page = operator.get("/chargers/models/firmware/").content.decode()
    assert "INCH-PAGE-5" in page and "9.9" in page


# --- DataTransfer forms from the schema -------------------------------------------------------------------


def test_set_charging_mode_gets_a_form_that_builds_the_datatransfer_request(inch) -> None:
    message = inch.data_transfers.get(message_id="SetChargingMode")
    form_class = data_transfer_form_class(message=message)
    assert list(form_class.base_fields) == ["connectorId", "transactionId", "chargingMode", "departureTime"]
    form = form_class({"connectorId": "1", "chargingMode": "Smart", "departureTime": "2026-11-24 18:30"})
    assert form.is_valid(), form.errors
    payload = data_transfer_payload(message=message, cleaned_data=form.cleaned_data)
    assert payload["vendorId"] == "Etrel" and payload["messageId"] == "SetChargingMode"
    assert json.loads(payload["data"]) == {
        "connectorId": 1,
        "chargingMode": "Smart",
        "departureTime": "2026-11-24T18:30:00Z",
    }


def test_a_datatransfer_form_refuses_what_the_schema_refuses(inch) -> None:
    mode = data_transfer_form_class(message=inch.data_transfers.get(message_id="SetChargingMode"))
    form = mode({"connectorId": "0", "chargingMode": "Turbo"})
    assert not form.is_valid()
    assert set(form.errors) == {"connectorId", "chargingMode"}
    rate_message = inch.data_transfers.get(message_id="SetChargingRateKmPerKWh")
    rate = data_transfer_form_class(message=rate_message)({"connectorId": "1", "rate": "0"})
    assert not rate.is_valid() and "rate" in rate.errors
    ok = data_transfer_form_class(message=rate_message)({"connectorId": "1", "rate": "6.5"})
    assert ok.is_valid()
    data = data_transfer_payload(message=rate_message, cleaned_data=ok.cleaned_data)["data"]
    assert json.loads(data) == {"connectorId": 1, "rate": 6.5}


def test_tx_limit_needs_an_energy_or_a_time_limit(inch) -> None:
    tx_limit = data_transfer_form_class(message=inch.data_transfers.get(message_id="TxLimit"))
    assert not tx_limit({"connectorId": "1"}).is_valid()
    assert tx_limit({"connectorId": "1", "energyLimitKWh": "10"}).is_valid()


def test_the_charger_page_sends_a_datatransfer_of_the_model_as_a_command(operator, inch) -> None:
    from chargers.models import Command

    charge_point = inch_charger("INCH-PAGE-6")
    message = inch.data_transfers.get(message_id="SetChargingMode")
    url = f"/chargers/{charge_point.charge_point_id}/data-transfer/{message.pk}/"
    response = operator.post(url, {f"dt{message.pk}-connectorId": "1", f"dt{message.pk}-chargingMode": "Fast"})
    assert response.status_code == 302
    command = Command.objects.get(charge_point=charge_point)
    assert command.action == "DataTransfer"
    assert command.payload["data"] == '{"connectorId":1,"chargingMode":"Fast"}'
    assert command.requested_via == "web"
    assert operator.post(url, {f"dt{message.pk}-connectorId": "1"}).status_code == 400
    assert Command.objects.count() == 1


def test_an_operator_hands_the_profile_choice_back_to_matching(operator, inch) -> None:
    charge_point = inch_charger("INCH-PAGE-7")
    charge_point_set_charger_model(charge_point=charge_point, charger_model=None, override=True)
    operator.post(f"/chargers/{charge_point.charge_point_id}/profile/", {"charger_model": ""})
    charge_point.refresh_from_db()
    assert not charge_point.charger_model_overridden


def test_a_datatransfer_form_asks_its_fields_in_the_order_the_schema_lists_them() -> None:
    profile = ChargerModel.objects.create(vendor="Acme", model="Ordered")
    message = profile.data_transfers.create(
        vendor_id="Acme",
        message_id="Zebra",
        data_schema={"type": "object", "properties": {"zulu": {"type": "string"}, "alpha": {"type": "integer"}}},
    )
    message.refresh_from_db()  # through jsonb on PostgreSQL, which sorts keys its own way
    assert list(data_transfer_form_class(message=message).base_fields) == ["zulu", "alpha"]
