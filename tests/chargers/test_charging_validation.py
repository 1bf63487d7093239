"""The OCPP 1.6 rules of a charging profile (chargers/charging/validation.py), pure: no database, no network."""

import copy

import pytest

from chargers.charging.validation import one_decimal, profile_problems

GOOD = {
    "stackLevel": 1,
    "chargingProfilePurpose": "TxDefaultProfile",
    "chargingProfileKind": "Absolute",
    "validFrom": "2026-12-01T00:00:00+00:00",
    "validTo": "2026-12-02T00:00:00+00:00",
    "chargingSchedule": {
        "chargingRateUnit": "A",
        "startSchedule": "2026-12-01T00:00:00+00:00",
        "duration": 3600,
        "minChargingRate": 6.0,
        "chargingSchedulePeriod": [
            {"startPeriod": 0, "limit": 16.0, "numberPhases": 3},
            {"startPeriod": 1800, "limit": 8.5},
        ],
    },
}


def changed(**fields) -> dict:
    profile = copy.deepcopy(GOOD)
    schedule = fields.pop("schedule", {})
    profile.update(fields)
    profile["chargingSchedule"].update(schedule)
    profile["chargingSchedule"] = {k: v for k, v in profile["chargingSchedule"].items() if v is not None}
    return {k: v for k, v in profile.items() if v is not None}


def test_a_well_formed_profile_has_no_problems() -> None:
    assert profile_problems(connector_id=1, profile=GOOD) == []


@pytest.mark.parametrize(
    ("connector_id", "profile", "problem"),
    [
        (1, changed(chargingProfilePurpose="ChargePointMaxProfile"), "connectorId: a ChargePointMaxProfile"),
        (0, changed(chargingProfilePurpose="TxProfile"), "connectorId: a TxProfile is set on a connector"),
        (1, changed(chargingProfilePurpose="Max"), "chargingProfilePurpose: one of"),
        (1, changed(stackLevel=-1), "stackLevel: must be an integer"),
        (1, changed(stackLevel=True), "stackLevel: must be an integer"),
        (-1, GOOD, "connectorId: must be an integer"),
        (1, changed(chargingProfileKind="Recurring"), "recurrencyKind: a Recurring profile needs"),
        (1, changed(recurrencyKind="Daily"), "recurrencyKind: only a Recurring profile recurs"),
        (1, changed(transactionId=5), "transactionId: only a TxProfile"),
        (1, changed(validTo="2026-11-30T00:00:00+00:00"), "validTo: must be after validFrom"),
        (1, changed(validFrom="yesterday"), "validFrom: an ISO 8601 time"),
        (1, changed(validFrom="2026-12-01T00:00:00"), "validFrom: an ISO 8601 time with its time zone"),
        (1, changed(schedule={"chargingRateUnit": "kW"}), "chargingSchedule.chargingRateUnit: A or W"),
        (1, changed(schedule={"duration": -5}), "chargingSchedule.duration"),
        (1, changed(schedule={"minChargingRate": 6.05}), "chargingSchedule.minChargingRate"),
        (1, changed(chargingProfileKind="Relative"), "startSchedule: a Relative profile has none"),
        (1, changed(schedule={"startSchedule": None}), "startSchedule: an Absolute profile needs one"),
        (1, changed(schedule={"chargingSchedulePeriod": []}), "chargingSchedulePeriod: a list of at least one"),
        (
            1,
            changed(schedule={"chargingSchedulePeriod": [{"startPeriod": 60, "limit": 16}]}),
            "chargingSchedulePeriod[0].startPeriod: the first period starts at 0",
        ),
        (
            1,
            changed(
                schedule={"chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}, {"startPeriod": 0, "limit": 8}]}
            ),
            "chargingSchedulePeriod[1].startPeriod: whole seconds, each period after the one before",
        ),
        (
            1,
            changed(schedule={"chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.25}]}),
            "chargingSchedulePeriod[0].limit: a number of 0 or more with at most one decimal",
        ),
        (
            1,
            changed(schedule={"chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16, "numberPhases": 4}]}),
            "chargingSchedulePeriod[0].numberPhases: 1, 2 or 3",
        ),
    ],
)
def test_a_profile_breaking_a_rule_is_refused_naming_the_field(connector_id, profile, problem) -> None:
    problems = profile_problems(connector_id=connector_id, profile=profile)
    assert any(problem in p for p in problems), problems


def test_a_relative_profile_without_start_and_a_recurring_daily_one_pass() -> None:
    relative = changed(chargingProfileKind="Relative", schedule={"startSchedule": None})
    assert profile_problems(connector_id=1, profile=relative) == []
    daily = changed(chargingProfileKind="Recurring", recurrencyKind="Daily")
    assert profile_problems(connector_id=0, profile=daily) == []


def test_a_profile_that_is_not_an_object_is_one_clear_problem() -> None:
    assert profile_problems(connector_id=1, profile=[1, 2]) == ["chargingProfile: must be a JSON object"]


@pytest.mark.parametrize(
    ("value", "ok"),
    [(16, True), (8.1, True), (0, True), (8.15, False), (-1, False), ("8", False), (float("nan"), False)],
)
def test_limits_take_at_most_one_decimal(value, ok) -> None:
    assert one_decimal(value) is ok
