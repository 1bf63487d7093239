"""One session's figures and charts: energy, duration, average and peak power, and the series of power (phases
summed, as the live power is) and of current and voltage per phase."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from transactions.models import MeterValue, Transaction
from transactions.readings import OUTLET, POWER_IMPORT, Sample, power_point, stored_sample
from transactions.selectors import last_energy_reading

CURRENT_IMPORT = "Current.Import"
VOLTAGE = "Voltage"
PHASES = ("L1", "L2", "L3")
# A chart has a few hundred pixels: more points than this only cost the browser time (the table keeps them all).
CHART_MAX_POINTS = 1500
CHARTED_MEASURANDS = (POWER_IMPORT, CURRENT_IMPORT, VOLTAGE)

Point = tuple[float, float]  # (unix seconds, value in the SI unit)


@dataclass(frozen=True)
class SessionFigures:
    energy_wh: Decimal | None  # so far while it runs, in all once it stopped
    duration: timedelta
    average_power_w: Decimal | None
    peak_power_w: Decimal | None


@dataclass(frozen=True)
class SessionSeries:
    power: list[Point]  # W
    current: dict[str, list[Point]]  # phase -> A
    voltage: dict[str, list[Point]]  # phase -> V


def session_series(*, transaction: Transaction) -> SessionSeries:
    rows = (
        MeterValue.objects.filter(
            transaction=transaction, location=OUTLET, value__isnull=False, measurand__in=CHARTED_MEASURANDS
        )
        .order_by("timestamp", "id")
        .values_list("timestamp", "measurand", "phase", "value", "si_unit")
    )
    power_samples: dict[datetime, list[Sample]] = defaultdict(list)
    per_phase: dict[tuple[str, str], list[Point]] = defaultdict(list)
    for timestamp, measurand, phase, value, si_unit in rows.iterator(chunk_size=2000):
        if measurand == POWER_IMPORT:
            power_samples[timestamp].append(
                stored_sample(
                    timestamp=timestamp, measurand=measurand, phase=phase, location=OUTLET, value=value, si_unit=si_unit
                )
            )
        elif phase[:2] in PHASES and phase[2:] in ("", "-N") and si_unit in ("A", "V"):
            # "L1" and "L1-N" are the same phase; line to line voltages ("L1-L2") are another figure.
            per_phase[(measurand, phase[:2])].append((timestamp.timestamp(), float(value)))
    power = [point for samples in power_samples.values() if (point := power_point(samples)) is not None]
    return SessionSeries(
        power=power,
        current={phase: points for (measurand, phase), points in per_phase.items() if measurand == CURRENT_IMPORT},
        voltage={phase: points for (measurand, phase), points in per_phase.items() if measurand == VOLTAGE},
    )


def session_figures(*, transaction: Transaction, series: SessionSeries, now: datetime | None = None) -> SessionFigures:
    end = transaction.stopped_at or now or timezone.now()
    duration = max(end - transaction.started_at, timedelta(0))
    if transaction.energy_wh is not None:
        energy_wh = Decimal(transaction.energy_wh)
    else:
        last = last_energy_reading(transaction=transaction)
        energy_wh = None if last is None else last.value - transaction.meter_start_wh
    hours = Decimal(duration.total_seconds()) / 3600
    average = None if energy_wh is None or hours <= 0 else (energy_wh / hours).quantize(Decimal("0.1"))
    peak = max((Decimal(str(watts)) for _, watts in series.power), default=None)
    return SessionFigures(energy_wh=energy_wh, duration=duration, average_power_w=average, peak_power_w=peak)


def thinned(points: list[Point], limit: int = CHART_MAX_POINTS) -> list[Point]:
    """Every n-th point so that at most `limit` remain, the last one always kept (it is the newest)."""
    if len(points) <= limit:
        return points
    step = -(-len(points) // limit)
    kept = points[::step]
    return kept if kept[-1] == points[-1] else [*kept, points[-1]]


def session_charts(*, transaction: Transaction, series: SessionSeries) -> dict:
    """The charts' JSON: power in the shape static/js/live-chart.js reads (it follows the session live), current
    and voltage per phase in the shape static/js/records-chart.js reads."""
    return {
        "power": {
            "lines": [
                {
                    "label": "Power",
                    "cp": transaction.charge_point_id,
                    "connector": transaction.connector_id,
                    "tx": transaction.pk,
                    "points": thinned(series.power),
                }
            ]
        },
        "current": _phase_chart(series.current, "A"),
        "voltage": _phase_chart(series.voltage, "V"),
    }


def _phase_chart(lines: dict[str, list[Point]], unit: str) -> dict:
    return {
        "unit": unit,
        "lines": [{"label": phase, "points": thinned(lines[phase])} for phase in PHASES if lines.get(phase)],
    }
