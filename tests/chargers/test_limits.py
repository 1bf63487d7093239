"""What a payload must respect to be storable (limits.py, storable.py, timestamps.py), without a server."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from chargers.models import Connector
from chargers.ocpp.frames import OcppError, call_result_frame
from chargers.ocpp.metering import ReadResult, read_sampled_value
from chargers.ocpp.schemas import validate_request, validate_response
from chargers.ocpp.timestamps import is_plausible, parse_timestamp
from chargers.storable import storable_json
from transactions.models import MeterValue
from transactions.readings import (
    MAX_ABS_LIVE_ENERGY_WH,
    MAX_ABS_LIVE_POWER_W,
    MAX_ABS_VALUE,
    VALUE_PLACES,
    latest_reading,
)

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("action", "payload", "code", "field"),
    [
        ("StartTransaction", {"connectorId": -1}, "PropertyConstraintViolation", "connectorId"),
        ("StartTransaction", {"connectorId": 2**31}, "TypeConstraintViolation", "connectorId"),
        ("StartTransaction", {"meterStart": -(2**31) - 1}, "TypeConstraintViolation", "meterStart"),
        ("StartTransaction", {"meterStart": 1e300}, "TypeConstraintViolation", "meterStart"),  # "integral"
        ("StartTransaction", {"meterStart": float("nan")}, "TypeConstraintViolation", "meterStart"),
        ("StartTransaction", {"idTag": "A\x00"}, "PropertyConstraintViolation", "idTag"),
        ("StopTransaction", {"transactionId": 2**40}, "TypeConstraintViolation", "transactionId"),
        ("MeterValues", {"connectorId": -(2**31)}, "PropertyConstraintViolation", "connectorId"),
        ("DataTransfer", {"messageId": "\udc00"}, "PropertyConstraintViolation", "messageId"),
        # What the portal sends is held to the same rules.
        ("ChangeAvailability", {"connectorId": -1}, "PropertyConstraintViolation", "connectorId"),
    ],
)
def test_a_value_that_cannot_be_stored_names_its_field_and_code(action, payload, code, field) -> None:
    valid = {
        "StartTransaction": {"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": "2026-11-24T10:00:00Z"},
        "StopTransaction": {"transactionId": 1, "meterStop": 0, "timestamp": "2026-11-24T10:00:00Z"},
        "MeterValues": {"connectorId": 1, "meterValue": [{"timestamp": "2026-11-24T10:00:00Z", "sampledValue": []}]},
        "DataTransfer": {"vendorId": "Etrel"},
        "ChangeAvailability": {"connectorId": 1, "type": "Operative"},
    }[action]
    validate_request(action, valid)
    with pytest.raises(OcppError) as error:
        validate_request(action, {**valid, **payload})
    assert (error.value.code, error.value.details["field"]) == (code, field)


def test_an_integral_float_in_an_integer_field_is_read_as_the_integer() -> None:
    payload = {"connectorId": 1.0, "idTag": "T", "meterStart": 1000.0, "timestamp": "2026-11-24T10:00:00Z"}
    validate_request("StartTransaction", payload)
    assert (payload["connectorId"], payload["meterStart"]) == (1, 1000)
    assert type(payload["meterStart"]) is int


def test_the_limits_reach_into_nested_objects_and_lists() -> None:
    profile = {
        "connectorId": 1,
        "csChargingProfiles": {
            "chargingProfileId": 2**33,
            "stackLevel": 0,
            "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}]},
        },
    }
    with pytest.raises(OcppError) as error:
        validate_request("SetChargingProfile", profile)
    assert error.value.details["field"] == "csChargingProfiles.chargingProfileId"
    profile["csChargingProfiles"]["chargingProfileId"] = 1
    profile["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"] = float("nan")
    with pytest.raises(OcppError) as error:
        validate_request("SetChargingProfile", profile)
    assert error.value.details["field"] == "csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0].limit"
    assert error.value.code == "TypeConstraintViolation"


def test_a_charger_answer_is_held_to_the_same_rules() -> None:
    with pytest.raises(OcppError) as error:
        validate_response("GetConfiguration", {"configurationKey": [{"key": "A\x00", "readonly": True}]})
    assert error.value.details["field"] == "configurationKey[0].key"


@pytest.mark.parametrize(
    ("value", "expected", "changed"),
    [
        ({"a": "plain", "b": [1, 2.5, None, True]}, '{"a": "plain", "b": [1, 2.5, null, true]}', False),
        ({"a": "x\x00y"}, '{"a": "x\\\\x00y"}', True),
        ({"\ud800": "\udfff"}, '{"\\\\ud800": "\\\\udfff"}', True),
        ({"a": float("nan"), "b": [float("inf")]}, '{"a": "NaN", "b": ["Infinity"]}', True),
        ({"a": "C:\\u0000"}, '{"a": "C:\\\\u0000"}', False),
        ({"a": "\U0001f4a5"}, '{"a": "\U0001f4a5"}', False),
    ],
)
def test_storable_json_replaces_only_what_the_database_cannot_hold(value, expected, changed) -> None:
    assert storable_json(value) == (expected, changed)


@pytest.mark.parametrize(
    ("text", "plausible"),
    [
        ("2026-11-24T12:00:00Z", True),
        ("2000-01-01T00:00:00Z", True),
        ("1999-12-31T23:59:59Z", False),
        ("2026-11-25T11:59:00Z", True),  # a clock ahead by almost a day
        ("2026-11-25T12:01:00Z", False),
        ("0001-01-01T00:00:00+01:00", False),  # year 0 in UTC
        ("9999-12-31T23:59:59-01:00", False),  # year 10000 in UTC
        ("1970-01-01T00:00:00Z", False),
    ],
)
def test_a_charger_time_is_plausible_from_2000_to_a_day_ahead(text, plausible) -> None:
    moment, _ = parse_timestamp(text)
    assert is_plausible(moment, received_at=NOW) is plausible


def test_a_plausible_time_keeps_its_offset() -> None:
    moment, _ = parse_timestamp("2026-11-24T13:00:00+01:00")
    assert is_plausible(moment, received_at=NOW)
    assert moment.utcoffset() == timedelta(hours=1)
    assert moment.tzinfo == timezone(timedelta(hours=1))


@pytest.mark.parametrize(
    ("limit", "field"),
    [
        (MAX_ABS_VALUE, MeterValue._meta.get_field("value")),
        (MAX_ABS_LIVE_POWER_W, Connector._meta.get_field("power_w")),
        (MAX_ABS_LIVE_ENERGY_WH, Connector._meta.get_field("energy_wh")),
    ],
)
def test_the_largest_numbers_kept_are_what_their_columns_hold(limit, field) -> None:
    assert Decimal(10) ** (field.max_digits - field.decimal_places) == limit
    assert Decimal(1).scaleb(-field.decimal_places) == VALUE_PLACES or field.name != "value"


def test_three_phases_of_power_past_the_connector_column_are_not_shown_as_live_power() -> None:
    result = ReadResult()
    for phase in ("L1", "L2", "L3"):
        read_sampled_value({"value": "9e10", "measurand": "Power.Active.Import", "phase": phase}, NOW, phase, result)
    read_sampled_value({"value": "1000", "unit": "Wh"}, NOW, "energy", result)
    assert all(sample.value is not None for sample in result.samples)  # each is stored
    latest = latest_reading(result.samples)
    assert (latest.power_w, latest.energy_wh) == (None, Decimal(1000))


@pytest.mark.parametrize("raw", ["1e999999999", "-1e30", "100000000000000", "1e-999999999"])
def test_a_number_past_the_columns_is_kept_as_text(raw) -> None:
    result = ReadResult()
    read_sampled_value({"value": raw, "unit": "kWh"}, NOW, "v", result)
    sample = result.samples[0]
    assert sample.raw_value == raw
    if sample.value is not None:  # only a tiny number is kept, as a number the column rounds
        assert abs(sample.value) < 1
    else:
        assert "out of range, kept as text" in result.problems[0]


def test_an_answer_frame_to_a_lone_surrogate_id_is_valid_utf8() -> None:
    text = call_result_frame("id\ud800", {"status": "Accepted"})
    text.encode("utf-8")
    assert text == '[3,"id\\ud800",{"status":"Accepted"}]'
