"""Sessions that look stuck ("zombies"): still open in the portal although the charger has most likely ended
them. A charger that lost power or rebooted mid-session, or whose StopTransaction was dropped, leaves a session
open for ever; it blocks the connector's figures and the customer's bill until an operator closes it.

A session is suspect when any of these holds (each is a reason shown to the operator):
- it has been open longer than plausible (`TRANSACTION_STALE_AFTER_H`, default 48 h);
- its charger booted after it started (a BootNotification ends every session the charger had);
- its connector reported Available or Faulted after it started;
- it has had no meter values for hours (`TRANSACTION_SILENT_AFTER_H`, default 3 h; counted from the start when
  there are none at all).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from chargers.models import Connector
from transactions.models import MeterValue, Transaction

# Connector states that say no session runs there any more.
FREE_STATUSES = ("Available", "Faulted")


@dataclass(frozen=True)
class Limits:
    open_for: timedelta
    silent_for: timedelta


def stale_limits() -> Limits:
    return Limits(
        open_for=timedelta(hours=settings.TRANSACTION_STALE_AFTER_H),
        silent_for=timedelta(hours=settings.TRANSACTION_SILENT_AFTER_H),
    )


@dataclass(frozen=True)
class StaleSession:
    transaction: Transaction
    reasons: list[str]
    suggested_stop_reason: str  # an OCPP Reason, the operator may choose another
    last_reading_at: datetime | None


def _annotated() -> QuerySet[Transaction]:
    readings = MeterValue.objects.filter(transaction=OuterRef("pk")).order_by("-timestamp")
    connector = Connector.objects.filter(charge_point=OuterRef("charge_point"), connector_id=OuterRef("connector_id"))
    return (
        Transaction.objects.filter(stopped_at__isnull=True)
        .select_related("charge_point")
        .annotate(
            last_reading_at=Subquery(readings.values("timestamp")[:1]),
            connector_status=Subquery(connector.values("status")[:1]),
            connector_status_at=Subquery(connector.values("status_timestamp")[:1]),
        )
    )


def stale_sessions(*, now: datetime | None = None, limits: Limits | None = None) -> list[StaleSession]:
    """The open sessions that look stuck, oldest first, each with its reasons."""
    now = now or timezone.now()
    limits = limits or stale_limits()
    suspects = _annotated().filter(
        Q(started_at__lt=now - limits.open_for)
        | Q(charge_point__last_boot_at__gt=F("started_at"))
        | Q(connector_status__in=FREE_STATUSES, connector_status_at__gt=F("started_at"))
        | Q(last_reading_at__lt=now - limits.silent_for)
        | Q(last_reading_at__isnull=True, started_at__lt=now - limits.silent_for)
    )
    found = [_judged(session, now, limits) for session in suspects.order_by("started_at", "pk")]
    return [stale for stale in found if stale.reasons]


def stale_session(*, transaction_pk: int, now: datetime | None = None) -> StaleSession | None:
    """One open session with its reasons (none: it looks alive), or None when it is not open."""
    session = _annotated().filter(pk=transaction_pk).first()
    return None if session is None else _judged(session, now or timezone.now(), stale_limits())


def _judged(session: Transaction, now: datetime, limits: Limits) -> StaleSession:
    reasons: list[str] = []
    suggested = "Other"
    boot = session.charge_point.last_boot_at
    if boot is not None and boot > session.started_at:
        reasons.append(f"the charger booted since ({boot:%Y-%m-%d %H:%M:%S})")
        suggested = "Reboot"
    status_at = session.connector_status_at
    if session.connector_status in FREE_STATUSES and status_at is not None and status_at > session.started_at:
        reasons.append(f"connector {session.connector_id} reported {session.connector_status} since")
        suggested = "EVDisconnected" if suggested == "Other" else suggested
    if session.started_at < now - limits.open_for:
        reasons.append(f"open longer than {_hours(limits.open_for)}")
    silent_since = session.last_reading_at or session.started_at
    if silent_since < now - limits.silent_for:
        reasons.append(f"no meter values for {_hours(now - silent_since)}")
    return StaleSession(
        transaction=session, reasons=reasons, suggested_stop_reason=suggested, last_reading_at=session.last_reading_at
    )


def _hours(span: timedelta) -> str:
    return f"{span.total_seconds() / 3600:.0f} h"
