"""Reading charging profiles and the last composite schedule a charger sent."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import QuerySet

from chargers.charging.models import ChargingProfile
from chargers.charging.validation import parse_moment
from chargers.commands.models import Command, CommandStatus
from chargers.models import ChargePoint

__all__ = [
    "composite_last",
    "composite_series",
    "limit_text",
    "periods_text",
    "profile_state",
    "profiles_of_charge_point",
    "profiles_replaced",
]


def profiles_of_charge_point(*, charge_point: ChargePoint) -> QuerySet[ChargingProfile]:
    return ChargingProfile.objects.filter(charge_point=charge_point).select_related("set_command", "clear_command")


def profile_state(*, profile: ChargingProfile, replaced: dict[int, int] | None = None) -> str:
    """One word for the page and the API: the clear command's status once there is one ("cleared" when
    accepted), else "replaced by N" (see profiles_replaced), else the set command's ("accepted": the charger
    holds it)."""
    if profile.clear_command is not None:
        status = profile.clear_command.status
        return "cleared" if status == CommandStatus.ACCEPTED else f"clear {status}"
    if replaced and profile.pk in replaced:
        return f"replaced by {replaced[profile.pk]}"
    return profile.set_command.status if profile.set_command is not None else "unsent"


def profiles_replaced(*, profiles: Iterable[ChargingProfile]) -> dict[int, int]:
    """Profile id -> the id of the profile that replaced it on the charger. OCPP 1.6: a charger that accepts a
    profile drops the one it held with the same connector, purpose and stack level; ids grow in the order the
    profiles were sent, so the newest accepted one of each such slot is the one the charger holds."""
    newest: dict[tuple, int] = {}
    accepted = [p for p in profiles if p.set_command is not None and p.set_command.status == CommandStatus.ACCEPTED]
    for profile in sorted(accepted, key=lambda p: p.pk):
        newest[(profile.connector_id, profile.purpose, profile.stack_level)] = profile.pk
    return {
        p.pk: newest[(p.connector_id, p.purpose, p.stack_level)]
        for p in accepted
        if newest[(p.connector_id, p.purpose, p.stack_level)] != p.pk
    }


def composite_last(*, charge_point: ChargePoint) -> Command | None:
    """The newest GetCompositeSchedule asked of the charger (its response is the charger's answer)."""
    return Command.objects.filter(charge_point=charge_point, action="GetCompositeSchedule").order_by("-id").first()


def composite_series(*, response: object) -> dict:
    """The answer's schedule as a step chart: unit, and for each period its start (epoch seconds) and limit.
    Without a startSchedule the periods are drawn from the time of the answer's `scheduleStart`, else from 0."""
    if not isinstance(response, dict) or not isinstance(response.get("chargingSchedule"), dict):
        return {"unit": "", "t": [], "limit": []}
    schedule = response["chargingSchedule"]
    start = parse_moment(schedule.get("startSchedule")) or parse_moment(response.get("scheduleStart"))
    origin = start.timestamp() if isinstance(start, datetime) else 0.0
    periods = [p for p in schedule.get("chargingSchedulePeriod") or [] if isinstance(p, dict)]
    t = [origin + timedelta(seconds=p.get("startPeriod", 0)).total_seconds() for p in periods]
    limits = [p.get("limit") for p in periods]
    duration = schedule.get("duration")
    if periods and isinstance(duration, int):
        # A step chart needs the end of the last step too.
        t.append(origin + duration)
        limits.append(limits[-1])
    return {"unit": schedule.get("chargingRateUnit", ""), "t": t, "limit": limits}


def limit_text(*, unit: str, limit: object) -> str:
    """A limit as people read it: amps with one decimal, watts as kW with one decimal (the house rule)."""
    if isinstance(limit, bool) or not isinstance(limit, int | float):
        return "?"
    return f"{limit / 1000:.1f} kW" if unit == "W" else f"{limit:.1f} A"


def periods_text(*, profile: ChargingProfile) -> str:
    """'from 0 s: 16.0 A (3 phases) · from 3600 s: 10.5 A'."""
    parts = []
    for period in profile.periods:
        phases = period.get("numberPhases")
        phases = f" ({phases} phase{'' if phases == 1 else 's'})" if phases is not None else ""
        limit = limit_text(unit=profile.rate_unit, limit=period.get("limit"))
        parts.append(f"from {period.get('startPeriod')} s: {limit}{phases}")
    return " · ".join(parts)
