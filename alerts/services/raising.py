"""Raising, clearing and acknowledging alerts, and an operator's subscription.

Every alert raised publishes AlertRaised (the live pages, webhooks' `alert.raised`) and, when some operator
wants alerts by e-mail, queues one mail task for it; every alert cleared publishes AlertCleared.
"""

import logging
from datetime import datetime
from functools import partial

from celery import current_app
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from alerts import selectors
from alerts.events import AlertCleared, AlertRaised
from alerts.models import Alert, AlertKind, Subscription
from core import events

logger = logging.getLogger(__name__)

__all__ = [
    "MAIL_TASK",
    "alert_acknowledge",
    "alert_raise",
    "alerts_clear",
    "subject_of_charger",
    "subject_of_connector",
    "subject_of_session",
    "subject_of_site",
    "subscription_save",
]

MAIL_TASK = "alerts.tasks.alert_mail"


def subject_of_charger(charge_point_pk: int) -> str:
    return f"cp:{charge_point_pk}"


def subject_of_connector(charge_point_pk: int, connector_id: int) -> str:
    return f"cp:{charge_point_pk}:c:{connector_id}"


def subject_of_session(transaction_pk: int) -> str:
    return f"tx:{transaction_pk}"


def subject_of_site(site_pk: int) -> str:
    return f"site:{site_pk}"


def alert_raise(
    *,
    kind: str,
    subject: str,
    message: str,
    at: datetime | None = None,
    charge_point_pk: int | None = None,
    charge_point_ident: str = "",
    site_pk: int | None = None,
    connector_id: int | None = None,
    transaction_pk: int | None = None,
) -> Alert | None:
    """A new open alert, or None when one of this kind about this subject is open already."""
    try:
        # A savepoint: the caller's transaction survives the duplicate another process raised a moment before.
        with transaction.atomic():
            alert = Alert.objects.create(
                kind=kind,
                subject=subject,
                message=message[:300],
                raised_at=at or timezone.now(),
                charge_point_id=charge_point_pk,
                site_id=site_pk,
                connector_id=connector_id,
                transaction_id=transaction_pk,
            )
    except IntegrityError:
        return None
    events.publish([_raised(alert, charge_point_ident)])
    transaction.on_commit(partial(_mail_queue, alert_pk=alert.pk))
    return alert


def _raised(alert: Alert, charge_point_ident: str) -> AlertRaised:
    return AlertRaised(
        alert_pk=alert.pk,
        kind=alert.kind,
        charge_point_pk=alert.charge_point_id,
        charge_point_id=charge_point_ident,
        site_pk=alert.site_id,
        connector_id=alert.connector_id,
        transaction_pk=alert.transaction_id,
        message=alert.message,
        raised_at=alert.raised_at,
    )


def _mail_queue(*, alert_pk: int) -> None:
    try:
        if selectors.anyone_wants_mail():
            current_app.send_task(MAIL_TASK, args=[alert_pk])
    except Exception as error:  # the broker away (kombu raises several kinds): the alert stays on the page
        logger.warning("alerts: the mail of alert %s not queued: %s", alert_pk, error)


def alerts_clear(*, alerts: QuerySet[Alert], at: datetime | None = None) -> int:
    """Clear the open ones among `alerts`; returns how many."""
    at = at or timezone.now()
    rows = alerts.filter(cleared_at=None).values_list(
        "pk", "kind", "charge_point_id", "charge_point__charge_point_id", "site_id", "connector_id", "transaction_id"
    )
    found = list(dict.fromkeys(rows))  # a filter through a join may name an alert twice
    if not found:
        return 0
    cleared = set(Alert.objects.filter(pk__in=[row[0] for row in found], cleared_at=None).values_list("pk", flat=True))
    Alert.objects.filter(pk__in=cleared).update(cleared_at=at)
    events.publish(
        AlertCleared(
            alert_pk=pk,
            kind=kind,
            charge_point_pk=cp_pk,
            charge_point_id=ident or "",
            site_pk=site_pk,
            connector_id=connector_id,
            transaction_pk=transaction_pk,
            cleared_at=at,
        )
        for pk, kind, cp_pk, ident, site_pk, connector_id, transaction_pk in found
        if pk in cleared
    )
    return len(cleared)


def alert_acknowledge(*, alert: Alert, user) -> Alert:
    """Say that someone looks at it; the first acknowledgement stands (a second click changes nothing)."""
    now = timezone.now()
    if Alert.objects.filter(pk=alert.pk, acknowledged_at=None).update(acknowledged_by=user, acknowledged_at=now):
        alert.acknowledged_by, alert.acknowledged_at = user, now
    else:
        alert.refresh_from_db()
    return alert


def subscription_save(*, user, kinds: list[str], site_pks: list[int], email: bool) -> Subscription:
    unknown = sorted(set(kinds) - set(AlertKind.values))
    if unknown:
        raise ValidationError({"kinds": f"Unknown alert kinds: {', '.join(unknown)}."})
    if email and not user.email:
        raise ValidationError({"email": "Your account has no e-mail address: add one before asking for mail."})
    subscription, _ = Subscription.objects.update_or_create(
        user=user,
        defaults={
            "kinds": [kind for kind in AlertKind.values if kind in kinds],
            "email": email,
            "updated_at": timezone.now(),
        },
    )
    subscription.sites.set(site_pks)
    return subscription
