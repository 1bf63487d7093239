"""Reads of webhooks and their deliveries."""

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Count, Min, Q, QuerySet

from webhooks.models import Delivery, DeliveryState, Webhook


def webhook_list() -> QuerySet[Webhook]:
    return Webhook.objects.select_related("owner")


def webhooks_active() -> list[Webhook]:
    """Every active webhook (integrators have a handful, not thousands: filtered by event in Python, because
    SQLite cannot search inside a JSON list)."""
    return list(Webhook.objects.filter(active=True))


def subscribed_event_names() -> frozenset[str]:
    """The event names some active webhook subscribed to."""
    return frozenset(
        name for names in Webhook.objects.filter(active=True).values_list("events", flat=True) for name in names
    )


def delivery_list(*, webhook: Webhook) -> QuerySet[Delivery]:
    return Delivery.objects.filter(webhook=webhook)


def deliveries_due(*, before: datetime, limit: int) -> dict[int, list[int]]:
    """Pending deliveries of active webhooks due before `before`, oldest first, by webhook."""
    rows = (
        Delivery.objects.filter(state=DeliveryState.PENDING, due_at__lte=before, webhook__active=True)
        .order_by("due_at", "id")
        .values_list("webhook_id", "id")[:limit]
    )
    by_webhook: dict[int, list[int]] = {}
    for webhook_id, delivery_id in rows:
        by_webhook.setdefault(webhook_id, []).append(delivery_id)
    return by_webhook


def deliveries_lost(*, attempted_before: datetime) -> QuerySet[Delivery]:
    """Attempts a worker started and never finished (it died, or was killed, during the POST)."""
    return Delivery.objects.filter(state=DeliveryState.SENDING, attempted_at__lt=attempted_before)


def deliveries_waiting(*, webhook_id: int, ids: Iterable[int] | None = None) -> QuerySet[Delivery]:
    waiting = Delivery.objects.filter(webhook_id=webhook_id, state=DeliveryState.PENDING)
    return waiting if ids is None else waiting.filter(id__in=list(ids))


def delivery_readings(*, now: datetime, failures_since: datetime) -> dict[str, int | datetime | None]:
    """For /metrics, by the (state, due_at) index: failed attempts since `failures_since`, deliveries waiting
    (pending), since when the longest-overdue one has been due, and how many receivers are failing now."""
    failed = Delivery.objects.filter(state=DeliveryState.FAILED, due_at__gte=failures_since).count()
    pending = Delivery.objects.filter(state=DeliveryState.PENDING).aggregate(
        waiting=Count("id"), overdue_since=Min("due_at", filter=Q(due_at__lte=now))
    )
    failing = Webhook.objects.filter(active=True, retry_at__isnull=False).count()
    return {"failed": failed, **pending, "failing": failing}
