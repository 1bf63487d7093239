"""Plain meter readings and the energy/power maths: what the protocol room hands the rest of the house.

No OCPP here: chargers/ocpp/metering.py reads a charger's sampledValues into these values, every value already
in an SI unit; the services store them and derive the connector's live power and energy from them.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

ENERGY_REGISTER = "Energy.Active.Import.Register"
POWER_IMPORT = "Power.Active.Import"
OUTLET = "Outlet"  # the location of a reading at the connector's outlet (OCPP's default location)

# What the columns a reading lands in hold (a test keeps these in step with the models). A value past them (a
# meter's "1e30", an overflowed register) is kept as text, or not shown as live power, never sent to a column
# that would refuse it and with it the batch of every charger it is stored with.
MAX_ABS_VALUE = Decimal(10) ** 14  # MeterValue.value, numeric(20, 6)
VALUE_PLACES = Decimal("0.000001")  # its decimals: a value is rounded to them before it is stored
MAX_ABS_LIVE_POWER_W = Decimal(10) ** 11  # Connector.power_w, numeric(14, 3)
MAX_ABS_LIVE_ENERGY_WH = Decimal(10) ** 13  # Connector.energy_wh, numeric(16, 3)


@dataclass(slots=True)
class Sample:
    """One sampled value, with OCPP's defaults filled in and the value in an SI unit."""

    timestamp: datetime
    measurand: str
    phase: str
    location: str
    context: str
    format: str
    unit: str
    raw_value: str
    value: Decimal | None
    si_unit: str


@dataclass(frozen=True, slots=True)
class Latest:
    timestamp: datetime
    power_w: Decimal | None
    energy_wh: Decimal | None


def stored_sample(
    *, timestamp: datetime, measurand: str, phase: str, location: str, value: Decimal | None, si_unit: str
) -> Sample:
    """A Sample from the stored columns a chart reads (what the maths below uses; the rest left blank)."""
    return Sample(
        timestamp=timestamp,
        measurand=measurand,
        phase=phase,
        location=location,
        context="",
        format="",
        unit="",
        raw_value="",
        value=value,
        si_unit=si_unit,
    )


def power_point(samples: list[Sample]) -> tuple[float, float] | None:
    """One chart point (epoch seconds, W) from one reading's samples, or None when they hold no power."""
    reading = latest_reading(samples)
    if reading is None or reading.power_w is None:
        return None
    return reading.timestamp.timestamp(), float(reading.power_w)


def latest_reading(samples: list[Sample]) -> Latest | None:
    """Power and energy at the newest timestamp of these samples. Per-phase power is summed (ETREL sends
    Power.Active.Import per phase); a total without phase wins over the phases."""
    readings = [s for s in samples if s.value is not None and s.location == OUTLET]
    if not readings:
        return None
    newest = max(s.timestamp for s in readings)
    at_newest = [s for s in readings if s.timestamp == newest]
    power = _within(_total(at_newest, POWER_IMPORT, "W"), MAX_ABS_LIVE_POWER_W)
    energy = _within(_total(at_newest, ENERGY_REGISTER, "Wh"), MAX_ABS_LIVE_ENERGY_WH)
    if power is None and energy is None:
        return None
    return Latest(timestamp=newest, power_w=power, energy_wh=energy)


def _within(value: Decimal | None, limit: Decimal) -> Decimal | None:
    """Three phases of power each within MAX_ABS_VALUE can sum past what the connector's column holds."""
    return value if value is None or value.copy_abs() < limit else None


def _total(samples: list[Sample], measurand: str, si_unit: str) -> Decimal | None:
    matching = [s for s in samples if s.measurand == measurand and s.si_unit == si_unit]
    whole = [s.value for s in matching if s.phase == "" and s.value is not None]
    if whole:
        return whole[-1]
    # "L1" and "L1-N" are the same phase's power: count each phase once.
    per_phase = {s.phase[:2]: s.value for s in matching if s.phase[:2] in ("L1", "L2", "L3")}
    if not per_phase:
        return None
    return sum((v for v in per_phase.values() if v is not None), Decimal(0))


CURRENT_IMPORT = "Current.Import"
VOLTAGE = "Voltage"
PHASES = ("L1", "L2", "L3")


def phase_values(samples: list[Sample], measurand: str, si_unit: str) -> dict[str, Decimal]:
    """Phase ("L1".."L3") -> the newest value of `measurand` at the outlet; "L1-N" counts as "L1"."""
    readings = [s for s in samples if s.value is not None and s.location == OUTLET and s.measurand == measurand]
    readings = [s for s in readings if s.si_unit == si_unit and s.phase[:2] in PHASES]
    if not readings:
        return {}
    newest = max(s.timestamp for s in readings)
    return {s.phase[:2]: s.value for s in readings if s.timestamp == newest}
