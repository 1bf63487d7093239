"""Writes of the webhooks app: subscriptions, and deliveries from the first attempt to the last.

A published event becomes one Delivery row per webhook that subscribed to it (attempt 1, pending), handed to a
Celery worker by id. Each attempt is claimed by a conditional UPDATE (pending → sending), so that a delivery
handed to two workers (the countdown task and beat's sweep) is POSTed once. A failed attempt stores its outcome
and creates the next attempt, due after an exponential backoff (WEBHOOK_RETRY_BASE_S doubling, capped at
WEBHOOK_RETRY_MAX_DELAY_S, WEBHOOK_MAX_ATTEMPTS in all: about three hours with the defaults).

While a receiver fails, the webhook's `retry_at` is set: the deliveries behind the failing one, and new ones,
wait for its retry instead of each trying a dead receiver (one attempt probes it; a success releases the rest).
So a receiver that is down for an hour costs a few attempts, holds no worker thread per event, and loses nothing.
"""

import json
import logging
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from functools import partial

from celery import current_app
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from webhooks import selectors, transport
from webhooks.models import EVENT_NAMES, Delivery, DeliveryState, Webhook

logger = logging.getLogger(__name__)

SECRET_BYTES = 32
# By name: the tasks module (an edge) imports this one.
SEND_TASK = "webhooks.tasks.deliveries_send"
# A retry further off than this is left to beat's sweep: Redis hands an ETA task held longer than its visibility
# timeout (1 h) to a second worker, and a worker keeps every ETA task it holds in memory.
COUNTDOWN_MAX_S = 300.0
# The sweep leaves a delivery due this recently to the task that was scheduled for it.
SWEEP_GRACE_S = 15.0
SWEEP_LIMIT = 5000
# An attempt still 'sending' this long after the POST's timeout was lost with its worker.
LOST_MARGIN_S = 60.0
# Deliveries per Celery task.
CHUNK = 100

EDITABLE = ("url", "events", "description", "active")


# --- Webhooks -------------------------------------------------------------------------------------------------


def events_clean(*, events: object) -> list[str]:
    """The event names subscribed to: a non-empty list of known names, each once, in the order given."""
    if not isinstance(events, list | tuple) or not all(isinstance(name, str) for name in events):
        raise ValidationError({"events": "A list of event names."})
    unknown = sorted(set(events) - set(EVENT_NAMES))
    if unknown:
        raise ValidationError({"events": f"Unknown events {unknown}; known: {', '.join(EVENT_NAMES)}."})
    if not events:
        raise ValidationError({"events": "Name at least one event."})
    return list(dict.fromkeys(events))


def webhook_create(
    *, owner: AbstractBaseUser, url: str, events: Sequence[str], description: str = "", active: bool = True
) -> tuple[Webhook, str]:
    """A new webhook and its secret (return it to its owner now: it is shown this once)."""
    secret = secrets.token_hex(SECRET_BYTES)
    webhook = Webhook(
        owner=owner,
        url=url,
        events=events_clean(events=events),
        description=description,
        active=active,
        secret=secret,
    )
    webhook.full_clean()
    webhook.save()
    return webhook, secret


def webhook_update(*, webhook: Webhook, **changes: object) -> Webhook:
    """Change the url, events, description or active flag (never the secret). Pausing keeps the deliveries
    waiting; resuming lets beat's sweep send those that came due meanwhile."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise TypeError(f"webhook_update cannot change {sorted(unknown)}")
    if "events" in changes:
        changes["events"] = events_clean(events=changes["events"])
    for field, value in changes.items():
        setattr(webhook, field, value)
    webhook.full_clean()
    webhook.save(update_fields=list(changes))
    return webhook


def webhook_delete(*, webhook: Webhook) -> None:
    webhook.delete()


# --- Deliveries -----------------------------------------------------------------------------------------------


def webhook_secret_rotate(*, webhook: Webhook) -> str:
    """A new secret for the webhook, returned to show its owner once. Every attempt from the commit on is signed
    with it, the retries and deliveries already waiting included: an attempt reads the secret when it claims the
    delivery, just before the POST (deliveries_attempt), never from the row it was created with."""
    secret = secrets.token_hex(SECRET_BYTES)
    Webhook.objects.filter(pk=webhook.pk).update(secret=secret)
    webhook.secret = secret
    return secret


def retry_delay_s(*, attempt: int) -> float:
    """How long after failed attempt number `attempt` (1 = the first) the next one is due."""
    return min(settings.WEBHOOK_RETRY_BASE_S * 2 ** (attempt - 1), settings.WEBHOOK_RETRY_MAX_DELAY_S)


def deliveries_create(*, envelopes: Iterable[dict]) -> int:
    """One pending delivery per (event, active webhook subscribed to it); those of receivers that are not failing
    go to a worker at once. Returns how many were created."""
    now = timezone.now()
    webhooks = selectors.webhooks_active()
    rows = []
    for envelope in envelopes:
        body = json.dumps(envelope, separators=(",", ":"), ensure_ascii=False)
        for webhook in webhooks:
            if envelope["event"] in webhook.events:
                due = max(now, webhook.retry_at or now)
                rows.append(
                    Delivery(
                        webhook=webhook, event_id=envelope["id"], event_name=envelope["event"], body=body, due_at=due
                    )
                )
    created = Delivery.objects.bulk_create(rows)
    for ids in _by_webhook(row for row in created if row.due_at <= now).values():
        transaction.on_commit(partial(deliveries_enqueue, delivery_ids=ids))
    return len(created)


def _by_webhook(rows: Iterable[Delivery]) -> dict[int, list[int]]:
    grouped: dict[int, list[int]] = {}
    for row in rows:
        grouped.setdefault(row.webhook_id, []).append(row.pk)
    return grouped


def deliveries_enqueue(*, delivery_ids: Sequence[int], countdown_s: float = 0.0) -> None:
    """Hand deliveries (of one webhook, in order) to a worker, after `countdown_s`. The rows are stored: if the
    broker is away, beat's sweep sends them once they are due."""
    for start in range(0, len(delivery_ids), CHUNK):
        chunk = list(delivery_ids[start : start + CHUNK])
        try:
            current_app.signature(SEND_TASK, args=[chunk]).apply_async(countdown=countdown_s or None)
        except Exception as error:  # the broker away (kombu raises several kinds): the sweep has them
            logger.warning("webhooks: deliveries %s not handed to a worker (%s); beat's sweep will", chunk[:10], error)


def deliveries_attempt(*, delivery_ids: Sequence[int]) -> None:
    """Attempt these deliveries of one webhook in order. At the first failure the rest are not tried: they wait
    for its retry (the receiver is likely down, and each try could cost a whole timeout)."""
    for index, delivery_id in enumerate(delivery_ids):
        delivery = _claim(delivery_id=delivery_id)
        if delivery is None:
            continue
        outcome = transport.post(
            url=delivery.webhook.url,
            body=delivery.body.encode(),
            secret=delivery.webhook.secret,
            headers={
                "X-Portal-Event": delivery.event_name,
                "X-Portal-Delivery": delivery.event_id,
                "X-Portal-Attempt": str(delivery.attempt),
            },
            timeout_s=settings.WEBHOOK_TIMEOUT_S,
        )
        if outcome.ok:
            _succeeded(delivery=delivery, outcome=outcome, still_to_send=delivery_ids[index + 1 :])
        else:
            _failed(delivery=delivery, outcome=outcome, waiting_ids=delivery_ids[index + 1 :])
            return


def _claim(*, delivery_id: int) -> Delivery | None:
    """The delivery, now 'sending' on our behalf; None when another worker has it, it is done, or its webhook is
    paused or gone (a paused webhook's deliveries stay pending)."""
    delivery = Delivery.objects.select_related("webhook").filter(pk=delivery_id).first()
    if delivery is None or delivery.state != DeliveryState.PENDING or not delivery.webhook.active:
        return None
    now = timezone.now()
    # The WHERE on the row's own state is re-checked after a concurrent update: exactly one claimer wins.
    claimed = Delivery.objects.filter(pk=delivery_id, state=DeliveryState.PENDING).update(
        state=DeliveryState.SENDING, attempted_at=now
    )
    if not claimed:
        return None
    delivery.state, delivery.attempted_at = DeliveryState.SENDING, now
    return delivery


def _succeeded(*, delivery: Delivery, outcome: transport.Outcome, still_to_send: Sequence[int]) -> None:
    _outcome_store(delivery=delivery, outcome=outcome, state=DeliveryState.SUCCEEDED, next_retry_at=None)
    # The receiver is back: release what waited for it (beyond what this task sends next anyway).
    if Webhook.objects.filter(pk=delivery.webhook_id, retry_at__isnull=False).update(retry_at=None):
        waiting = selectors.deliveries_waiting(webhook_id=delivery.webhook_id).exclude(id__in=list(still_to_send))
        ids = list(waiting.order_by("due_at", "id").values_list("id", flat=True))
        Delivery.objects.filter(id__in=ids).update(due_at=timezone.now())
        transaction.on_commit(partial(deliveries_enqueue, delivery_ids=ids))


def _failed(*, delivery: Delivery, outcome: transport.Outcome, waiting_ids: Sequence[int] = ()) -> None:
    """Store the failed attempt, create the next one unless this was the last, and make the others wait for it."""
    delay_s = retry_delay_s(attempt=delivery.attempt)
    due = timezone.now() + timedelta(seconds=delay_s)
    last = delivery.attempt >= settings.WEBHOOK_MAX_ATTEMPTS
    with transaction.atomic():
        if not _outcome_store(
            delivery=delivery, outcome=outcome, state=DeliveryState.FAILED, next_retry_at=None if last else due
        ):
            return
        retry = None if last else _retry_create(delivery=delivery, due=due)
        Webhook.objects.filter(pk=delivery.webhook_id).update(retry_at=due)
        waiting = set(
            selectors.deliveries_waiting(webhook_id=delivery.webhook_id, ids=waiting_ids).values_list("id", flat=True)
        )
        postponed = [pk for pk in waiting_ids if pk in waiting]
        # Every delivery of this webhook waits for the retry, those of other tasks too: one attempt per backoff
        # probes the receiver, instead of beat's sweep sending each group that came due meanwhile.
        selectors.deliveries_waiting(webhook_id=delivery.webhook_id).filter(due_at__lt=due).update(due_at=due)
    if last:
        logger.warning("webhooks: %s gave up after %d attempts: %s", delivery, delivery.attempt, outcome.error)
    ids = ([retry.pk] if retry else []) + postponed
    if ids and delay_s <= COUNTDOWN_MAX_S:
        transaction.on_commit(partial(deliveries_enqueue, delivery_ids=ids, countdown_s=delay_s))


def _outcome_store(
    *, delivery: Delivery, outcome: transport.Outcome, state: str, next_retry_at: datetime | None
) -> bool:
    """Record the attempt's outcome; False when it was no longer ours (the sweep declared it lost meanwhile)."""
    return bool(
        Delivery.objects.filter(pk=delivery.pk, state=DeliveryState.SENDING).update(
            state=state,
            status_code=outcome.status_code,
            error=outcome.error,
            duration_ms=outcome.duration_ms,
            next_retry_at=next_retry_at,
        )
    )


def _retry_create(*, delivery: Delivery, due: datetime) -> Delivery:
    return Delivery.objects.create(
        webhook_id=delivery.webhook_id,
        event_id=delivery.event_id,
        event_name=delivery.event_name,
        body=delivery.body,
        attempt=delivery.attempt + 1,
        due_at=due,
    )


def deliveries_sweep() -> dict[str, int]:
    """Beat's safety net: record attempts lost with their worker (and schedule their retries), and hand to a
    worker every delivery that is due (a retry too far off for a countdown, a task lost with the broker, a
    webhook resumed). Returns the counts."""
    now = timezone.now()
    lost_before = now - timedelta(seconds=settings.WEBHOOK_TIMEOUT_S + LOST_MARGIN_S)
    lost = list(selectors.deliveries_lost(attempted_before=lost_before))
    for delivery in lost:
        error = "no outcome recorded: the worker stopped during the attempt"
        _failed(delivery=delivery, outcome=transport.Outcome(status_code=None, error=error, duration_ms=0))
    due = selectors.deliveries_due(before=now - timedelta(seconds=SWEEP_GRACE_S), limit=SWEEP_LIMIT)
    for ids in due.values():
        deliveries_enqueue(delivery_ids=ids)
    return {"due": sum(len(ids) for ids in due.values()), "lost": len(lost)}


def deliveries_prune() -> int:
    """Forget deliveries older than WEBHOOK_DELIVERY_RETENTION_DAYS; returns how many."""
    before = timezone.now() - timedelta(days=settings.WEBHOOK_DELIVERY_RETENTION_DAYS)
    deleted, _ = Delivery.objects.filter(created_at__lt=before).delete()
    return deleted
