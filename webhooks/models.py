"""Webhooks: an integrator's subscription to events (INTERFACES.md) and one Delivery row per attempt to POST one.

The events offered are the names of the event classes the apps publish (one source: their EVENT_TYPES).
"""

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.utils import timezone

from alerts.events import EVENT_TYPES as ALERT_EVENTS
from chargers.events import EVENT_TYPES as CHARGER_EVENTS
from transactions.events import EVENT_TYPES as TRANSACTION_EVENTS

EVENT_NAMES: tuple[str, ...] = tuple(event.name for event in (*CHARGER_EVENTS, *TRANSACTION_EVENTS, *ALERT_EVENTS))

# Only http(s): a webhook URL must not make the worker read files or speak other protocols (urllib would).
http_url = URLValidator(schemes=["http", "https"], message="Enter an http:// or https:// URL.")


class Webhook(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=2000, validators=[http_url], help_text="Where events are POSTed")
    events = models.JSONField(default=list, help_text="The event names subscribed to")
    description = models.CharField(max_length=200, blank=True)
    # Kept in clear: signing needs it. It is shown once, when the webhook is created, and nowhere after.
    secret = models.CharField(max_length=128, editable=False)
    active = models.BooleanField(default=True, help_text="A paused webhook keeps its deliveries waiting")
    # Set while the receiver fails: new deliveries wait until then instead of each trying a dead receiver.
    retry_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url


class DeliveryState(models.TextChoices):
    PENDING = "pending"  # not attempted yet (due at `due_at`)
    SENDING = "sending"  # a worker is attempting it
    SUCCEEDED = "succeeded"  # the receiver answered 2xx
    FAILED = "failed"  # anything else; `next_retry_at` says when the next attempt is due, if any


class Delivery(models.Model):
    """One attempt to deliver one event to one webhook. A retry is a new row with the next attempt number and
    the same event id and body (the bytes signed)."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.CharField(max_length=64, db_index=True)
    event_name = models.CharField(max_length=64)
    body = models.TextField(help_text="The JSON body POSTed, exactly as signed")
    attempt = models.PositiveSmallIntegerField(default=1)
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    due_at = models.DateTimeField(default=timezone.now)
    attempted_at = models.DateTimeField(null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True, help_text="The receiver's HTTP status")
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    next_retry_at = models.DateTimeField(null=True, blank=True, help_text="When the next attempt is due, if any")

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "deliveries"
        indexes = [
            # The beat's sweep: what is due, and attempts that never ended.
            models.Index(fields=["state", "due_at"], name="delivery_state_due"),
            models.Index(fields=["webhook", "-id"], name="delivery_webhook_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.event_name} {self.event_id} #{self.attempt} → {self.webhook_id}"
