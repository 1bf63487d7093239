"""The OCPP 1.6 rules of a charging profile (section 3.13 and the ChargingProfile type), pure: a profile in the
protocol's JSON shape (csChargingProfiles without chargingProfileId, which the portal assigns) and the connector it
is for go in, the problems come out as "field: reason" strings; an empty list means the charger may be sent it.
Nothing here touches the database or the network, so the rules are unit-tested on their own."""

from datetime import datetime
from decimal import Decimal, InvalidOperation

from chargers.charging.vocabulary import MAX_PHASES, ProfileKind, ProfilePurpose, RateUnit, RecurrencyKind

__all__ = ["one_decimal", "parse_moment", "profile_problems"]


def profile_problems(*, connector_id: object, profile: object) -> list[str]:
    """Everything wrong with `profile` sent to `connector_id` (0: the whole charger)."""
    if not isinstance(profile, dict):
        return ["chargingProfile: must be a JSON object"]
    if not _is_int(connector_id) or connector_id < 0:
        return ["connectorId: must be an integer of 0 or more"]
    problems = _head_problems(connector_id, profile)
    problems += _validity_problems(profile)
    problems += _schedule_problems(profile.get("chargingSchedule"), profile.get("chargingProfileKind"))
    return problems


def _is_int(value: object) -> bool:
    # bool is an int to Python, not to JSON.
    return isinstance(value, int) and not isinstance(value, bool)


def _choice(profile: dict, field: str, choices: type, problems: list[str]) -> str | None:
    value = profile.get(field)
    if value not in choices.values:
        problems.append(f"{field}: one of {', '.join(choices.values)}")
        return None
    return value


def _head_problems(connector_id: int, profile: dict) -> list[str]:
    problems: list[str] = []
    if not _is_int(profile.get("stackLevel")) or profile["stackLevel"] < 0:
        problems.append("stackLevel: must be an integer of 0 or more")
    purpose = _choice(profile, "chargingProfilePurpose", ProfilePurpose, problems)
    kind = _choice(profile, "chargingProfileKind", ProfileKind, problems)
    if purpose == ProfilePurpose.CHARGE_POINT_MAX and connector_id != 0:
        problems.append("connectorId: a ChargePointMaxProfile is set on connector 0 only")
    if purpose == ProfilePurpose.TX and connector_id == 0:
        problems.append("connectorId: a TxProfile is set on a connector (1 or more), never on 0")
    if purpose != ProfilePurpose.TX and profile.get("transactionId") is not None:
        problems.append("transactionId: only a TxProfile names a transaction")
    if profile.get("transactionId") is not None and not _is_int(profile["transactionId"]):
        problems.append("transactionId: must be an integer")
    recurrency = profile.get("recurrencyKind")
    if kind == ProfileKind.RECURRING and recurrency not in RecurrencyKind.values:
        problems.append(f"recurrencyKind: a Recurring profile needs one of {', '.join(RecurrencyKind.values)}")
    if kind != ProfileKind.RECURRING and recurrency is not None:
        problems.append("recurrencyKind: only a Recurring profile recurs")
    return problems


def parse_moment(value: object) -> datetime | None:
    """An ISO 8601 time with its zone, else None."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def _validity_problems(profile: dict) -> list[str]:
    problems: list[str] = []
    moments = {}
    for field in ("validFrom", "validTo"):
        if profile.get(field) is not None:
            moments[field] = parse_moment(profile[field])
            if moments[field] is None:
                problems.append(f"{field}: an ISO 8601 time with its time zone")
    if moments.get("validFrom") and moments.get("validTo") and moments["validTo"] <= moments["validFrom"]:
        problems.append("validTo: must be after validFrom")
    return problems


def one_decimal(value: object) -> bool:
    """A number of 0 or more with at most one decimal (1.6: limits and minChargingRate, e.g. 8.1)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        exact = Decimal(str(value))
    except InvalidOperation:
        return False
    return exact.is_finite() and exact >= 0 and exact == exact.quantize(Decimal("0.1"))


def _schedule_problems(schedule: object, kind: object) -> list[str]:
    if not isinstance(schedule, dict):
        return ["chargingSchedule: must be a JSON object"]
    problems: list[str] = []
    if schedule.get("chargingRateUnit") not in RateUnit.values:
        problems.append("chargingSchedule.chargingRateUnit: A or W")
    duration = schedule.get("duration")
    if duration is not None and (not _is_int(duration) or duration < 0):
        problems.append("chargingSchedule.duration: seconds, an integer of 0 or more")
    start = schedule.get("startSchedule")
    if start is not None and parse_moment(start) is None:
        problems.append("chargingSchedule.startSchedule: an ISO 8601 time with its time zone")
    if kind == ProfileKind.RELATIVE and start is not None:
        problems.append("chargingSchedule.startSchedule: a Relative profile has none (it starts with charging)")
    if kind in (ProfileKind.ABSOLUTE, ProfileKind.RECURRING) and start is None:
        problems.append(f"chargingSchedule.startSchedule: an {kind} profile needs one")
    rate = schedule.get("minChargingRate")
    if rate is not None and not one_decimal(rate):
        problems.append("chargingSchedule.minChargingRate: a number of 0 or more with at most one decimal")
    return problems + _period_problems(schedule.get("chargingSchedulePeriod"))


def _period_problems(periods: object) -> list[str]:
    field = "chargingSchedule.chargingSchedulePeriod"
    if not isinstance(periods, list) or not periods:
        return [f"{field}: a list of at least one period"]
    problems: list[str] = []
    previous = -1
    for index, period in enumerate(periods):
        where = f"{field}[{index}]"
        if not isinstance(period, dict):
            problems.append(f"{where}: must be a JSON object")
            continue
        start = period.get("startPeriod")
        if not _is_int(start) or start <= previous:
            problems.append(f"{where}.startPeriod: whole seconds, each period after the one before")
        elif index == 0 and start != 0:
            problems.append(f"{where}.startPeriod: the first period starts at 0")
        previous = start if _is_int(start) else previous
        if not one_decimal(period.get("limit")):
            problems.append(f"{where}.limit: a number of 0 or more with at most one decimal")
        phases = period.get("numberPhases")
        if phases is not None and (not _is_int(phases) or not 1 <= phases <= MAX_PHASES):
            problems.append(f"{where}.numberPhases: 1, 2 or 3")
    return problems
