"""Reading OCPP sampledValues: a charger's values in, plain Samples out (transactions/readings.py), every value
also in an SI unit.

Pure functions, no database: the OCPP handlers feed them parsed frames, the services store what they return.
Nothing outside the protocol room reads a sampledValue.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from chargers.ocpp.timestamps import parse_timestamp, plausible_or_received
from chargers.storable import unstorable_text_problem
from transactions.readings import ENERGY_REGISTER, MAX_ABS_VALUE, OUTLET, VALUE_PLACES, Sample

# OCPP 1.6 defaults (spec 7.17 SampledValue).
DEFAULT_MEASURAND = ENERGY_REGISTER
DEFAULT_CONTEXT = "Sample.Periodic"
DEFAULT_LOCATION = OUTLET
DEFAULT_FORMAT = "Raw"

STANDARD_MEASURANDS = frozenset(
    {
        "Energy.Active.Export.Register",
        "Energy.Active.Import.Register",
        "Energy.Reactive.Export.Register",
        "Energy.Reactive.Import.Register",
        "Energy.Active.Export.Interval",
        "Energy.Active.Import.Interval",
        "Energy.Reactive.Export.Interval",
        "Energy.Reactive.Import.Interval",
        "Power.Active.Export",
        "Power.Active.Import",
        "Power.Offered",
        "Power.Reactive.Export",
        "Power.Reactive.Import",
        "Power.Factor",
        "Current.Import",
        "Current.Export",
        "Current.Offered",
        "Voltage",
        "Frequency",
        "Temperature",
        "SoC",
        "RPM",
    }
)

# The fields of a sampledValue (OCPP 1.6, 7.43); any other field is a vendor's extra, noted and ignored.
SAMPLED_VALUE_FIELDS = frozenset({"value", "context", "format", "measurand", "phase", "location", "unit"})

# unit as sent -> (SI unit, factor)
_UNITS: dict[str, tuple[str, Decimal]] = {
    "Wh": ("Wh", Decimal(1)),
    "kWh": ("Wh", Decimal(1000)),
    "varh": ("varh", Decimal(1)),
    "kvarh": ("varh", Decimal(1000)),
    "W": ("W", Decimal(1)),
    "kW": ("W", Decimal(1000)),
    "VA": ("VA", Decimal(1)),
    "kVA": ("VA", Decimal(1000)),
    "var": ("var", Decimal(1)),
    "kvar": ("var", Decimal(1000)),
    "A": ("A", Decimal(1)),
    "V": ("V", Decimal(1)),
    "K": ("K", Decimal(1)),
    "Celsius": ("Celsius", Decimal(1)),
    "Celcius": ("Celsius", Decimal(1)),  # the 1.6 schema's own spelling
    "Fahrenheit": ("Fahrenheit", Decimal(1)),
    "Percent": ("Percent", Decimal(1)),
    "Hertz": ("Hz", Decimal(1)),
    "Hz": ("Hz", Decimal(1)),  # not in 1.6, sent by ETREL and others
}


def default_unit(measurand: str) -> str:
    """The unit a value without one is read in. The spec says Wh throughout; for measurands that cannot be
    Wh the natural unit is the only reading that makes sense."""
    if measurand.startswith("Energy.Reactive"):
        return "varh"
    if measurand.startswith("Energy"):
        return "Wh"
    if measurand.startswith("Power.Reactive"):
        return "var"
    if measurand.startswith("Power.Active") or measurand == "Power.Offered":
        return "W"
    if measurand.startswith("Current"):
        return "A"
    return {"Voltage": "V", "Frequency": "Hz", "Temperature": "Celsius", "SoC": "Percent"}.get(measurand, "")


@dataclass
class ReadResult:
    samples: list[Sample] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def sampled_value_problem(raw: object) -> str:
    """Why a sampledValue cannot be stored at all ("" when it can). MeterValues and StopTransaction are read
    leniently, value by value: such a value is dropped and noted, the rest of the frame is kept."""
    if not isinstance(raw, dict):
        return ""
    for name in sorted(SAMPLED_VALUE_FIELDS & raw.keys()):
        value = raw[name]
        if isinstance(value, str) and (problem := unstorable_text_problem(value)):
            return f"{name}: {problem}"
    return ""


def read_meter_values(
    meter_values: object, field: str, *, received_at: datetime, default_units: Mapping[str, str] | None = None
) -> ReadResult:
    """The samples of a MeterValues' meterValue list (or a StopTransaction's transactionData): every valid
    sampledValue is kept, the rest is noted in the result's problems (rule 5: a vendor quirk never costs the
    message). A time the charger's clock cannot have right is replaced by `received_at`."""
    result = ReadResult()
    if not isinstance(meter_values, list):
        result.problems.append(f"{field}: not a list, dropped")
        return result
    for i, meter_value in enumerate(meter_values):
        where = f"{field}[{i}]"
        if not isinstance(meter_value, dict):
            result.problems.append(f"{where}: not an object, dropped")
            continue
        try:
            moment, naive = parse_timestamp(meter_value.get("timestamp"))
        except (ValueError, TypeError):
            result.problems.append(f"{where}.timestamp: missing or not a date-time, {where} dropped")
            continue
        if naive:
            result.problems.append(f"{where}.timestamp: no time zone, read as UTC")
        moment = plausible_or_received(
            moment, received_at=received_at, field=f"{where}.timestamp", problems=result.problems
        )
        _read_sampled_values(meter_value.get("sampledValue"), moment, where, result, default_units)
    return result


def _read_sampled_values(
    sampled: object, moment: datetime, where: str, result: ReadResult, default_units: Mapping[str, str] | None
) -> None:
    if not isinstance(sampled, list) or not sampled:
        result.problems.append(f"{where}.sampledValue: missing or empty, dropped")
        return
    for j, raw in enumerate(sampled):
        if problem := sampled_value_problem(raw):
            result.problems.append(f"{where}.sampledValue[{j}].{problem}, dropped")
            continue
        read_sampled_value(raw, moment, f"{where}.sampledValue[{j}]", result, default_units)


def read_sampled_value(
    raw: dict, timestamp: datetime, where: str, result: ReadResult, default_units: Mapping[str, str] | None = None
) -> None:
    """Append a Sample for `raw` to result, or a problem when the value cannot be kept at all.

    `default_units` (measurand -> unit, from the charger's model profile) say how the model reads a value sent
    without a unit: an ETREL INCH sends kWh and kW, so its unit-less energy is kWh, not the spec's Wh."""
    if not isinstance(raw, dict):
        result.problems.append(f"{where}: not an object, dropped")
        return
    value = _value_text(raw.get("value"), where, result.problems)
    if value is None:
        return
    measurand = _text(raw.get("measurand")) or DEFAULT_MEASURAND
    if measurand not in STANDARD_MEASURANDS:
        result.problems.append(f"{where}.measurand: non-standard {measurand!r}, kept")
    unit = _text(raw.get("unit"))
    reading_unit = unit or (default_units or {}).get(measurand) or default_unit(measurand)
    si_unit, factor = _UNITS.get(reading_unit, (reading_unit, Decimal(1)))
    if reading_unit and reading_unit not in _UNITS:
        result.problems.append(f"{where}.unit: unknown unit {reading_unit!r}, value kept unconverted")
    fmt = _text(raw.get("format")) or DEFAULT_FORMAT
    si_value = _si_number(value, fmt, factor, where, result.problems)
    extra = set(raw) - SAMPLED_VALUE_FIELDS
    if extra:
        result.problems.append(f"{where}: extra fields {sorted(extra)} ignored")
    result.samples.append(
        Sample(
            timestamp=timestamp,
            measurand=measurand[:60],
            phase=_text(raw.get("phase"))[:10],
            location=(_text(raw.get("location")) or DEFAULT_LOCATION)[:10],
            context=(_text(raw.get("context")) or DEFAULT_CONTEXT)[:25],
            format=fmt[:12],
            unit=unit[:20],
            raw_value=value,
            value=si_value,
            si_unit=si_unit[:10],
        )
    )


def _value_text(value: object, where: str, problems: list[str]) -> str | None:
    """The value as the string OCPP says it is; None (noted) when there is none to keep."""
    if isinstance(value, bool) or value is None or not isinstance(value, str | int | float):
        problems.append(f"{where}.value: missing or not a string, dropped")
        return None
    if not isinstance(value, str):
        problems.append(f"{where}.value: a number instead of a string, kept")
        return str(value)
    return value


def _si_number(value: str, fmt: str, factor: Decimal, where: str, problems: list[str]) -> Decimal | None:
    """The value as a number in its SI unit, or None (the value is kept as text) with the reason noted."""
    if fmt != DEFAULT_FORMAT:
        return None
    number = _decimal(value)
    if number is None:
        problems.append(f"{where}.value: {value[:40]!r} is not a number, kept as text")
        return None
    si_value = _si_value(number, factor)
    if si_value is None:
        problems.append(f"{where}.value: {value[:40]!r} is out of range, kept as text")
    return si_value


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _decimal(value: str) -> Decimal | None:
    try:
        number = Decimal(value.strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _si_value(number: Decimal, factor: Decimal) -> Decimal | None:
    """The value in its SI unit as the columns hold it (VALUE_PLACES decimals), or None when it is too large.
    copy_abs, unlike abs(), does not round: abs(Decimal("1e999999999")) overflows the decimal context."""
    if number.copy_abs() >= MAX_ABS_VALUE:
        return None
    si = number * factor
    if si.copy_abs() >= MAX_ABS_VALUE:
        return None
    # "1e-999999" rounds to 0 here: PostgreSQL's binary COPY refuses a decimal with that many places.
    return si.quantize(VALUE_PLACES)
