"""Units as the live pages show them; static/js/live.js formats the same way (a test compares the two).

Power in kW with one decimal (7 345 W -> "7.3 kW"), energy in kWh with two, durations as h:mm:ss.
"""

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils import timezone

register = template.Library()

UNKNOWN = "\N{EN DASH}"  # no value yet


def _fixed(value: Decimal, places: str) -> str:
    # Half up, as JavaScript's toFixed reads a decimal string's digits (Python's round() would go half even).
    return str(value.quantize(Decimal(places), rounding=ROUND_HALF_UP))


@register.filter
def kw(watts) -> str:
    if watts is None or watts == "":
        return UNKNOWN
    return f"{_fixed(Decimal(str(watts)) / 1000, '0.1')} kW"


@register.filter
def kwh(watt_hours) -> str:
    if watt_hours is None or watt_hours == "":
        return UNKNOWN
    return f"{_fixed(Decimal(str(watt_hours)) / 1000, '0.01')} kWh"


@register.filter
def charged(energy_wh, meter_start_wh) -> str:
    """A session's energy so far: the connector's meter now less the meter at the start."""
    if energy_wh is None or meter_start_wh is None:
        return UNKNOWN
    return kwh(Decimal(str(energy_wh)) - Decimal(str(meter_start_wh)))


@register.filter
def hms(seconds) -> str:
    if seconds is None:
        return UNKNOWN
    total = max(0, int(seconds.total_seconds() if isinstance(seconds, timedelta) else seconds))
    return f"{total // 3600}:{total % 3600 // 60:02d}:{total % 60:02d}"


@register.filter
def since(started: datetime | None, until: datetime | None = None) -> str:
    """The duration from `started` to `until` (now when None), as hms."""
    if started is None:
        return UNKNOWN
    return hms((until or timezone.now()) - started)
