"""When alerts are raised and cleared: from the events the chargers and sessions publish (alerts/subscribers.py)
and from beat's sweep (alerts/tasks.py) for what no event tells (time passing without a word).

- charger_offline: a charger an operator accepted drops; cleared when it connects again. A charger of a site is
  alerted only after ALERTS_SITE_WINDOW_S, because within that window its whole site may follow;
- site_offline: every accepted charger of a site (two or more) dropped within ALERTS_SITE_WINDOW_S of each
  other: one alert for the site instead of one per charger; cleared when one of them connects again (those
  still offline are then alerted one by one);
- connector_faulted: a connector reports Faulted or an error code other than NoError; cleared by a status
  without one;
- session_silent: a session on an online charger sent no meter value for ALERTS_SILENT_INTERVALS of its
  charger's MeterValueSampleInterval (found by beat's sweep); cleared when a value arrives or the session stops.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from alerts import selectors
from alerts.models import Alert, AlertKind
from alerts.selectors import Charger
from alerts.services.raising import (
    alert_raise,
    alerts_clear,
    subject_of_charger,
    subject_of_connector,
    subject_of_session,
    subject_of_site,
)

__all__ = [
    "alerts_sweep",
    "chargers_offline_observed",
    "chargers_online_observed",
    "connector_statuses_observed",
    "sessions_heard_observed",
    "sessions_stopped_observed",
]

FAULTED = "Faulted"
NO_ERROR = ("", "NoError")


def _window() -> timedelta:
    return timedelta(seconds=settings.ALERTS_SITE_WINDOW_S)


# --- From events ------------------------------------------------------------------------------------------------


@transaction.atomic  # one commit for the alerts of a batch, not one each (their events leave after it)
def chargers_offline_observed(*, charge_point_pks: list[int], at: datetime | None = None) -> None:
    at = at or timezone.now()
    chargers = selectors.chargers_watched(pks=charge_point_pks)
    for charger in chargers:
        if charger.site_pk is None:
            _charger_offline_raise(charger, at)
    # The last charger of a site to drop raises the site's alert at once; the others wait for the sweep.
    _sites_dropped_raise({charger.site_pk for charger in chargers if charger.site_pk is not None}, at)


def chargers_online_observed(*, charge_point_pks: list[int], at: datetime | None = None) -> None:
    subjects = [subject_of_charger(pk) for pk in charge_point_pks]
    # One query for both kinds: every connect comes through here, on the daphne's one database thread.
    theirs = Q(kind=AlertKind.CHARGER_OFFLINE, subject__in=subjects)
    their_sites = Q(kind=AlertKind.SITE_OFFLINE, site__charge_points__pk__in=charge_point_pks)
    alerts_clear(alerts=Alert.objects.filter(theirs | their_sites), at=at)


@transaction.atomic
def connector_statuses_observed(*, statuses: Iterable, at: datetime | None = None) -> None:
    """`statuses`: ConnectorStatusChanged events (charge_point_pk, charge_point_id, connector_id, status,
    error_code, info, vendor_error_code)."""
    fine = []
    for status in statuses:
        if status.status != FAULTED and status.error_code in NO_ERROR:
            fine.append(subject_of_connector(status.charge_point_pk, status.connector_id))
            continue
        detail = ", ".join(filter(None, [status.error_code, status.vendor_error_code, status.info]))
        alert_raise(
            kind=AlertKind.CONNECTOR_FAULTED,
            subject=subject_of_connector(status.charge_point_pk, status.connector_id),
            message=f"{status.charge_point_id} connector {status.connector_id} reports {status.status} ({detail})",
            at=at,
            charge_point_pk=status.charge_point_pk,
            charge_point_ident=status.charge_point_id,
            connector_id=status.connector_id,
        )
    if fine:
        alerts_clear(alerts=Alert.objects.filter(kind=AlertKind.CONNECTOR_FAULTED, subject__in=fine), at=at)


def sessions_stopped_observed(*, transaction_pks: list[int], at: datetime | None = None) -> None:
    _sessions_silent_clear(transaction_pks, at)


def sessions_heard_observed(*, transaction_pks: list[int], at: datetime | None = None) -> None:
    """Meter values of these sessions arrived: a silent one is silent no more."""
    _sessions_silent_clear(transaction_pks, at)


def _sessions_silent_clear(transaction_pks: list[int], at: datetime | None) -> None:
    subjects = [subject_of_session(pk) for pk in transaction_pks]
    alerts_clear(alerts=Alert.objects.filter(kind=AlertKind.SESSION_SILENT, subject__in=subjects), at=at)


# --- Offline chargers and sites -----------------------------------------------------------------------------------


def _charger_offline_raise(charger: Charger, at: datetime) -> Alert | None:
    return alert_raise(
        kind=AlertKind.CHARGER_OFFLINE,
        subject=subject_of_charger(charger.pk),
        message=f"{charger.ident} is offline",
        at=at,
        charge_point_pk=charger.pk,
        charge_point_ident=charger.ident,
        site_pk=charger.site_pk,
    )


def _site_dropped(chargers: list[Charger]) -> bool:
    """Two or more chargers, all offline, and the first and the last to drop within the window of each other."""
    if len(chargers) < 2 or any(c.is_online or c.disconnected_at is None for c in chargers):
        return False
    drops = [charger.disconnected_at for charger in chargers]
    return max(drops) - min(drops) <= _window()


def _sites_dropped_raise(site_pks: set[int], at: datetime) -> set[int]:
    """Raise the alert of each of these sites whose chargers all dropped together; returns those sites."""
    # Only sites with nobody online are read charger by charger: while a fleet drops batch by batch, every batch
    # but the last finds each site with someone still online, in one query.
    candidates = selectors.sites_without_online_chargers(site_pks=site_pks) if site_pks else set()
    dropped = {
        pk: chargers for pk, chargers in selectors.site_chargers(site_pks=candidates).items() if _site_dropped(chargers)
    }
    names = selectors.site_names(site_pks=set(dropped)) if dropped else {}
    for site_pk, chargers in dropped.items():
        alert_raise(
            kind=AlertKind.SITE_OFFLINE,
            subject=subject_of_site(site_pk),
            message=f"site {names.get(site_pk, site_pk)}: all {len(chargers)} chargers are offline",
            at=at,
            site_pk=site_pk,
        )
    return set(dropped)


def _offline_sweep(now: datetime) -> int:
    """Chargers of sites that stayed offline past the window, alone (their site did not drop with them), and
    any charger an event missed (a process that died before it published)."""
    waiting = selectors.chargers_offline_unalerted(
        dropped_before=now - _window(), dropped_after=selectors.lookback(now=now)
    )
    # Two processes may each have seen the other's charger still online: the site's alert is decided here too.
    sites = _sites_dropped_raise({charger.site_pk for charger in waiting if charger.site_pk is not None}, now)
    raised = [_charger_offline_raise(charger, now) for charger in waiting if charger.site_pk not in sites]
    return len(sites) + sum(alert is not None for alert in raised)


# --- Silent sessions ----------------------------------------------------------------------------------------------


def _silent_sweep(now: datetime) -> int:
    running = selectors.sessions_unalerted_running()
    intervals = selectors.sample_intervals_s(charge_point_pks={session.charge_point_pk for session in running})
    raised = 0
    for session in running:
        interval_s = intervals[session.charge_point_pk]
        if interval_s <= 0:
            continue  # the charger samples nothing while charging: silence is what it promised
        allowed = timedelta(seconds=interval_s * settings.ALERTS_SILENT_INTERVALS)
        if now - session.last_heard_at <= allowed:
            continue
        alert = alert_raise(
            kind=AlertKind.SESSION_SILENT,
            subject=subject_of_session(session.pk),
            message=f"session {session.pk} on {session.charge_point_ident} connector {session.connector_id}: no "
            f"meter values for {int((now - session.last_heard_at).total_seconds())} s "
            f"(expected every {interval_s} s)",
            at=now,
            charge_point_pk=session.charge_point_pk,
            charge_point_ident=session.charge_point_ident,
            connector_id=session.connector_id,
            transaction_pk=session.pk,
        )
        raised += alert is not None
    return raised


@transaction.atomic
def alerts_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Beat's round (every ALERTS_SWEEP_S): what time alone tells. Returns the counts."""
    now = now or timezone.now()
    cleared = alerts_clear(alerts=selectors.silent_alerts_heard_again(), at=now)
    return {"offline": _offline_sweep(now), "silent": _silent_sweep(now), "cleared": cleared}
