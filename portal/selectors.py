"""Reads of the portal app: the fleet dashboard (portal/views.py), its states and totals now and today;
customer accounts and their id tags; API keys and who may see and revoke which.

The dashboard's script (static/js/fleet.js) keeps these figures true from the fleet feed afterwards, with the same
rules (the state rule's status sets are handed to it from chargers/selectors.py).
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, F, QuerySet, Sum
from django.utils import timezone

from chargers.models import ChargePoint, Connector, RegistrationStatus
from chargers.selectors import charge_points_silent, fleet_state_counts
from portal.models import ApiKey
from portal.roles import user_is_operator, user_is_viewer
from rfid.models import IdTag
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


# --- Customers and API keys ---------------------------------------------------------------------------------


def customer_list() -> QuerySet:
    """Customers: active or not, every user who is not staff, with how many id tags each owns."""
    return get_user_model().objects.filter(is_staff=False, is_superuser=False).annotate(id_tag_count=Count("id_tags"))


def customer_id_tags(*, customer: AbstractBaseUser) -> QuerySet[IdTag]:
    return IdTag.objects.filter(user=customer).select_related("parent").order_by("id_tag")


def api_keys_see_all(*, user: AbstractBaseUser) -> bool:
    """An operator allowed to read API keys (Django's `portal.view_apikey`) sees everyone's; others their own."""
    return user_is_operator(user) and user.has_perm("portal.view_apikey")


def api_keys_revoke_any(*, user: AbstractBaseUser) -> bool:
    """An operator allowed to change API keys may revoke anyone's; everyone may revoke their own."""
    return user_is_operator(user) and not user_is_viewer(user) and user.has_perm("portal.change_apikey")


def api_key_list(*, user: AbstractBaseUser) -> QuerySet[ApiKey]:
    """The keys `user` may see on the keys page, newest first, the active before the revoked."""
    keys = ApiKey.objects.select_related("user").order_by(F("revoked_at").desc(nulls_first=True), "-created_at")
    return keys if api_keys_see_all(user=user) else keys.filter(user=user)


def api_keys_revocable(*, user: AbstractBaseUser) -> QuerySet[ApiKey]:
    keys = ApiKey.objects.filter(revoked_at__isnull=True)
    return keys if api_keys_revoke_any(user=user) else keys.filter(user=user)
