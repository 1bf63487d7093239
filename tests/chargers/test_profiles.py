"""Charger model profiles: the ETREL INCH questionnaire as shipped data, matching, what a profile allows, and the
export/import round trip."""

import importlib
import os
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils import timezone

from chargers.models import ChargePoint, ChargerModel, Connector, ProfileStatus
from chargers.ocpp.metering import ReadResult, read_sampled_value
from chargers.profiles.selectors import (
    charge_point_local_list_version_from_charger,
    charge_point_supports_action,
    charge_points_with_unlisted_firmware,
    charger_model_match,
    data_transfer_problems,
    measurand_label,
    measurand_labels,
    profile_traits,
)
from chargers.profiles.services import (
    charge_point_set_charger_model,
    charger_model_dumps,
    charger_model_export,
    charger_model_import,
    charger_model_loads,
)
from chargers.services import charge_point_boot, charge_point_register
from transactions.readings import latest_reading

pytestmark = pytest.mark.django_db

INCH_MESSAGES_16 = [
    "Authorize",
    "BootNotification",
    "DataTransfer",
    "DiagnosticsStatusNotification",
    "FirmwareStatusNotification",
    "Heartbeat",
    "MeterValues",
    "StartTransaction",
    "StatusNotification",
    "StopTransaction",
    "CancelReservation",
    "ChangeAvailability",
    "ChangeConfiguration",
    "ClearCache",
    "ClearChargingProfile",
    "GetCompositeSchedule",
    "GetConfiguration",
    "GetDiagnostics",
    "RemoteStartTransaction",
    "RemoteStopTransaction",
    "ReserveNow",
    "Reset",
    "SendLocalList",
    "SetChargingProfile",
    "TriggerMessage",
    "UnlockConnector",
    "UpdateFirmware",
]


def load_inch() -> ChargerModel:
    """The shipped INCH profile. Transactional tests elsewhere flush the database (and the profile the data
    migration loaded with it), so tests load it again through the migration's own function."""
    migration = importlib.import_module("chargers.migrations.0004_inch_profile")
    migration.load_inch(apps, None)
    importlib.import_module("chargers.migrations.0013_measurand_load_role").inch_roles(apps, None)
    return ChargerModel.objects.get(vendor="ETREL", model="INCH")


@pytest.fixture
def inch() -> ChargerModel:
    return load_inch()


def booted(charge_point_id: str, vendor: str = "Etrel", model: str = "G-HB1V5CY20-A14") -> ChargePoint:
    charge_point = charge_point_register(charge_point_id=charge_point_id)
    charge_point_boot(charge_point_pk=charge_point.pk, vendor=vendor, model=model, firmware_version="5.4:5.0.5")
    return ChargePoint.objects.select_related("charger_model").get(pk=charge_point.pk)


# --- The shipped profile ----------------------------------------------------------------------------------


def test_migrate_ships_the_inch_profile(tmp_path) -> None:
    """What `make run` does on a fresh machine: migrate a new database, and the INCH profile is in it."""
    import sqlite3
    import subprocess
    import sys

    from django.conf import settings

    database = tmp_path / "fresh.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=settings.BASE_DIR, env=env, check=True
    )
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT vendor, model, status FROM chargers_chargermodel").fetchall()
    assert ("ETREL", "INCH", ProfileStatus.ACTIVE) in rows


def test_the_inch_profile_holds_every_answer_of_the_questionnaire(inch) -> None:
    assert [(f.version, f.issued_on) for f in inch.firmware_versions.all()] == [("1.12", None)]

    connectors = list(inch.connector_specs.all())
    assert [
        (c.position, c.evse_code, c.connector_code, c.charging_type, c.connector_type, c.max_power_kw, c.phases)
        for c in connectors
    ] == [(1, "1", 1, "AC", "Type 2", Decimal("22"), 3)]

    assert inch.supported_messages["ocpp15_soap"] == []
    assert inch.supported_messages["ocpp16_soap"] == INCH_MESSAGES_16
    assert inch.supported_messages["ocpp16_json"] == INCH_MESSAGES_16
    assert inch.transports == ["ocpp16_soap", "ocpp16_json"]

    assert (inch.rfid_byte_order, inch.rfid_delimiter, inch.rfid_example) == ("little_endian", "", "FA2AFD77")
    assert (inch.diagnostics_file_format, inch.diagnostics_upload_protocols) == (
        "Zip file, contains ASCII files",
        ["ftp", "http"],
    )
    assert inch.firmware_file_format == "zip"
    assert (inch.local_list_capacity, inch.local_list_capacity_exceeded) == (100000, True)
    assert inch.local_list_capacity_display == "> 100000"

    measurands = {m.measurand: m for m in inch.measurands.all()}
    assert {name: m.unit for name, m in measurands.items() if m.standard} == {
        "Energy.Active.Import.Register": "kWh",
        "Current.Import": "A",
        "Power.Active.Import": "kW",
        "Voltage": "V",
        "Frequency": "Hz",
        "Power.Factor": "",
    }
    assert measurands["Current.Import"].per_phase and measurands["Voltage"].per_phase
    assert {m.level for m in measurands.values() if m.standard} == {"connector"}
    assert {m.interval_charging for m in measurands.values() if m.standard} == {"As defined by meter value interval"}
    assert {m.interval_standby for m in measurands.values()} == {""}
    assert sorted(m.label for m in measurands.values() if not m.standard) == [
        "Building consumption",
        "Cluster consumption",
    ]
    assert "building consumption or cluster consumption" in inch.meter_values_notes

    transfers = {d.message_id: d for d in inch.data_transfers.all()}
    assert set(transfers) == {"SetChargingMode", "SetChargingRateKmPerKWh", "TxLimit"}
    assert {(d.vendor_id, d.direction) for d in transfers.values()} == {("Etrel", "to_charger")}
    mode = transfers["SetChargingMode"].data_schema
    assert mode["required"] == ["connectorId", "chargingMode"]
    assert mode["properties"]["chargingMode"]["enum"] == ["Fast", "Smart"]
    assert set(mode["properties"]) == {"connectorId", "transactionId", "chargingMode", "departureTime"}
    assert transfers["SetChargingRateKmPerKWh"].data_schema["required"] == ["connectorId", "rate"]
    assert "Limits a charging session" in transfers["TxLimit"].description
    assert "reasonable" in transfers["TxLimit"].description  # the schema is ours, and says so

    assert (inch.service_port, inch.service_transports) == (80, ["ocpp16_soap"])
    assert inch.service_notes == "Not used in OCPP1.6J, but TCP 80 with OCPP 1.6S"
    assert inch.charge_point_security == ["ws", "wss", "http", "https"]
    assert inch.backend_security == ["ws", "wss", "http", "https"]
    assert [(i.name, i.address) for i in inch.interfaces.all()] == [("Web configuration", "http://<charger>:80")]
    assert (inch.contact_first_name, inch.contact_last_name, inch.contact_email) == (
        "Mehle",
        "Borut",
        "borut.mehle@etrel.si",
    )
    assert (inch.support_email, inch.support_phone) == ("support@etrel.com", "+386 1 60 10 077")


# --- Matching and the connector layout --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vendor", "model"),
    [("Etrel", "G-HB1V5CY20-A14"), ("ETREL", "INCH"), ("etrel", "g-hb1v5cy20-a14"), ("Etrel", "INCH Pro")],
)
def test_etrel_product_codes_are_matched_to_the_inch(inch, vendor: str, model: str) -> None:
    assert charger_model_match(vendor=vendor, model=model) == inch


@pytest.mark.parametrize(("vendor", "model"), [("ABB", "Terra AC"), ("Etrel", "Unknown-Model"), ("Acme", "INCH")])
def test_other_chargers_are_not_matched_to_the_inch(inch, vendor: str, model: str) -> None:
    assert charger_model_match(vendor=vendor, model=model) is None


def test_a_draft_profile_is_not_matched(inch) -> None:
    ChargerModel.objects.filter(pk=inch.pk).update(status=ProfileStatus.DRAFT)
    assert charger_model_match(vendor="Etrel", model="G-HB1V5CY20-A14") is None


def test_boot_matches_the_profile_and_creates_the_connectors_of_its_layout(inch) -> None:
    charge_point = booted("INCH-BOOT-1")
    assert charge_point.charger_model == inch
    assert not charge_point.charger_model_overridden
    assert sorted(Connector.objects.filter(charge_point=charge_point).values_list("connector_id", flat=True)) == [
        0,
        1,
    ]


def test_an_operator_override_survives_the_next_boot(inch) -> None:
    other = ChargerModel.objects.create(vendor="Acme", model="Wallbox", status=ProfileStatus.ACTIVE)
    charge_point = booted("INCH-OVERRIDE-1")
    charge_point_set_charger_model(charge_point=charge_point, charger_model=other, override=True)
    charge_point_boot(charge_point_pk=charge_point.pk, vendor="Etrel", model="G-HB1V5CY20-A14")
    charge_point.refresh_from_db()
    assert (charge_point.charger_model, charge_point.charger_model_overridden) == (other, True)


def test_handing_the_choice_back_lets_the_next_boot_match_again(inch) -> None:
    charge_point = booted("INCH-OVERRIDE-2")
    charge_point_set_charger_model(charge_point=charge_point, charger_model=None, override=True)
    charge_point_boot(charge_point_pk=charge_point.pk, vendor="Etrel", model="G-HB1V5CY20-A14")
    charge_point.refresh_from_db()
    assert charge_point.charger_model is None
    charge_point_set_charger_model(charge_point=charge_point, charger_model=None, override=False)
    charge_point_boot(charge_point_pk=charge_point.pk, vendor="Etrel", model="G-HB1V5CY20-A14")
    charge_point.refresh_from_db()
    assert charge_point.charger_model == inch


# --- What a profile allows --------------------------------------------------------------------------------


def test_the_inch_is_refused_get_local_list_version_with_the_reason(inch) -> None:
    charge_point = booted("INCH-SUPPORT-1")
    assert charge_point_supports_action(charge_point=charge_point, action="GetLocalListVersion") == (
        False,
        "ETREL INCH (firmware 1.12) does not support GetLocalListVersion over OCPP 1.6 JSON (vendor questionnaire)",
    )


@pytest.mark.parametrize("action", ["SendLocalList", "Reset", "DataTransfer", "SetChargingProfile", "TriggerMessage"])
def test_the_inch_supports_the_other_operations(inch, action: str) -> None:
    charge_point = booted("INCH-SUPPORT-2")
    assert charge_point_supports_action(charge_point=charge_point, action=action) == (True, "")


def test_local_list_sync_keeps_the_inch_version_itself(inch) -> None:
    assert not charge_point_local_list_version_from_charger(charge_point=booted("INCH-LL-1"))
    assert charge_point_local_list_version_from_charger(charge_point=booted("ACME-LL-1", vendor="Acme"))


def test_a_charger_without_a_profile_may_be_sent_anything(inch) -> None:
    charge_point = booted("ACME-1", vendor="Acme", model="Wallbox")
    assert charge_point.charger_model is None
    assert charge_point_supports_action(charge_point=charge_point, action="GetLocalListVersion") == (True, "")


def test_the_inch_reads_values_without_unit_in_kwh_and_kw(inch) -> None:
    charge_point = booted("INCH-UNITS-1")
    traits = profile_traits(charge_point_pk=charge_point.pk)
    assert traits.little_endian_rfid
    result = ReadResult()
    now = timezone.now()
    read_sampled_value({"value": "12.5"}, now, "e", result, traits.default_units)
    for phase in ("L1", "L2", "L3"):
        read_sampled_value(
            {"value": "3.7", "measurand": "Power.Active.Import", "phase": phase}, now, "p", result, traits.default_units
        )
    energy = result.samples[0]
    assert (energy.unit, energy.value, energy.si_unit) == ("", Decimal("12500.0"), "Wh")
    latest = latest_reading(result.samples)
    assert (latest.energy_wh, latest.power_w) == (Decimal("12500.0"), Decimal("11100.0"))


def test_without_a_profile_a_value_without_unit_stays_wh() -> None:
    result = ReadResult()
    read_sampled_value({"value": "12.5"}, timezone.now(), "e", result, None)
    assert result.samples[0].value == Decimal("12.5")


def test_non_standard_measurands_are_named_as_the_profile_names_them(inch) -> None:
    labels = measurand_labels(profile=inch)
    assert measurand_label(labels=labels, measurand="Building.Consumption") == (
        "Building consumption (Building.Consumption)"
    )
    assert measurand_label(labels=labels, measurand="Voltage") == "Voltage"


def test_an_incoming_datatransfer_that_breaks_its_spec_is_noted() -> None:
    profile = ChargerModel.objects.create(vendor="Acme", model="Talker", status=ProfileStatus.ACTIVE)
    profile.data_transfers.create(
        vendor_id="Acme",
        message_id="Hello",
        direction="from_charger",
        data_schema={"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]},
    )
    charge_point = charge_point_register(charge_point_id="ACME-TALK")
    charge_point_set_charger_model(charge_point=charge_point, charger_model=profile)
    problems = data_transfer_problems(charge_point_pk=charge_point.pk, vendor_id="acme", message_id="Hello", data="{}")
    assert problems == ["data: 'n' is a required property"]
    assert data_transfer_problems(charge_point_pk=charge_point.pk, vendor_id="Acme", message_id="Hello", data="x")
    assert not data_transfer_problems(
        charge_point_pk=charge_point.pk, vendor_id="Acme", message_id="Hello", data='{"n": 1}'
    )


def test_chargers_on_firmware_the_profile_does_not_list_are_found(inch) -> None:
    unlisted = booted("INCH-FW-1")  # boots with 5.4:5.0.5
    listed = booted("INCH-FW-2")
    ChargePoint.objects.filter(pk=listed.pk).update(firmware_version="1.12")
    found = [m.charge_point.charge_point_id for m in charge_points_with_unlisted_firmware()]
    assert "INCH-FW-1" in found and "INCH-FW-2" not in found
    assert unlisted.charge_point_id in found


# --- Export and import ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_an_exported_profile_imports_as_the_same_profile(inch, fmt: str) -> None:
    before = charger_model_export(profile=inch)
    text = charger_model_dumps(profile=inch, fmt=fmt)
    inch.delete()
    imported = charger_model_import(document=charger_model_loads(text=text, fmt=fmt))
    assert imported.pk != before.get("pk")
    assert charger_model_export(profile=imported) == before


def test_an_import_over_an_existing_model_needs_replace(inch) -> None:
    document = charger_model_export(profile=inch)
    with pytest.raises(ValidationError) as refused:
        charger_model_import(document=document)
    assert "model" in refused.value.message_dict
    document["firmware_versions"].append({"version": "1.13", "issued_on": "2025-03-01", "notes": ""})
    replaced = charger_model_import(document=document, replace=True)
    assert replaced.pk == inch.pk
    assert list(replaced.firmware_versions.values_list("version", flat=True)) == ["1.12", "1.13"]


def test_an_import_with_an_unknown_ocpp_message_is_refused_naming_the_field(inch) -> None:
    document = charger_model_export(profile=inch)
    document["model"] = "INCH 2"
    document["supported_messages"]["ocpp16_json"].append("GetCoffee")
    document["connectors"][0]["max_power_kw"] = "-3"
    document["connectors"][0]["phases"] = None
    with pytest.raises(ValidationError) as refused:
        charger_model_import(document=document)
    errors = refused.value.message_dict
    assert "ocpp16_json: unknown OCPP message(s) GetCoffee" in errors["supported_messages"]
    assert "connectors[0].max_power_kw" in errors
    assert errors["connectors[0].phases"] == ["an AC connector needs its number of phases"]
    assert not ChargerModel.objects.filter(model="INCH 2").exists()


def test_an_import_with_an_invalid_json_schema_is_refused(inch) -> None:
    document = charger_model_export(profile=inch)
    document["model"] = "INCH 3"
    document["data_transfer_messages"][0]["data_schema"] = {"type": "object", "properties": {"x": {"type": "nope"}}}
    with pytest.raises(ValidationError) as refused:
        charger_model_import(document=document)
    assert "not a valid JSON schema" in refused.value.message_dict["data_transfer_messages[0].data_schema"][0]


def test_a_document_that_is_not_yaml_is_refused_with_where() -> None:
    with pytest.raises(ValidationError, match="not valid YAML"):
        charger_model_loads(text="vendor: [unclosed", fmt="yaml")
