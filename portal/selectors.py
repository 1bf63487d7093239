"""Reads for the fleet dashboard (portal/views.py): the fleet by state, its totals now and today.

The page's script (static/js/fleet.js) keeps these figures true from the fleet feed afterwards, with the same
rules (the state rule's status sets are handed to it from chargers/selectors.py).
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import F, Sum
from django.utils import timezone

from chargers.models import ChargePoint, Connector, RegistrationStatus
from chargers.selectors import charge_points_silent, fleet_state_counts
from transactions.models import Transaction

PENDING_SHOWN = 20


@dataclass(frozen=True)
class EnergyToday:
    """Energy since local midnight: sessions that ended today (`ended_wh`) and what the running ones have
    charged so far (`running_wh`); a session that began before midnight counts whole (the meter does not say
    what it charged before)."""

    ended_wh: int
    running_wh: Decimal

    @property
    def total_wh(self) -> Decimal:
        return self.ended_wh + self.running_wh


def local_midnight(*, now: datetime) -> datetime:
    return timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)


def energy_today(*, now: datetime) -> EnergyToday:
    ended = Transaction.objects.filter(stopped_at__gte=local_midnight(now=now), meter_stop_wh__isnull=False).aggregate(
        wh=Sum(F("meter_stop_wh") - F("meter_start_wh"))
    )["wh"]
    running = Transaction.objects.filter(stopped_at__isnull=True).values_list(
        "charge_point_id", "connector_id", "meter_start_wh"
    )
    starts = {(cp, connector): start for cp, connector, start in running}
    meters = Connector.objects.filter(charge_point_id__in={cp for cp, _ in starts}, energy_wh__isnull=False)
    running_wh = Decimal(0)
    for cp, connector, energy_wh in meters.values_list("charge_point_id", "connector_id", "energy_wh"):
        start = starts.get((cp, connector))
        if start is not None and energy_wh >= start:
            running_wh += energy_wh - start
    return EnergyToday(ended_wh=ended or 0, running_wh=running_wh)


def dashboard_figures(*, now: datetime) -> dict:
    """The tiles: chargers by state, sessions running, chargers not heard from, energy today; and the pending
    chargers to accept."""
    pending = ChargePoint.objects.filter(registration_status=RegistrationStatus.PENDING).order_by("-created_at")
    return {
        "states": fleet_state_counts(),
        "sessions_running": Transaction.objects.filter(stopped_at__isnull=True).count(),
        "silent": charge_points_silent(now=now).count(),
        "energy_today": energy_today(now=now),
        "pending": list(pending[:PENDING_SHOWN]),
        "pending_pks": list(pending.values_list("pk", flat=True)),
    }
