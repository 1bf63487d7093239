"""Alerts: something an operator should look at (a charger offline, a connector faulted, a session gone silent,
a whole site offline), raised and cleared by the rules in alerts/services.py, and each operator's subscription.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class AlertKind(models.TextChoices):
    CHARGER_OFFLINE = "charger_offline", "Charger offline"
    CONNECTOR_FAULTED = "connector_faulted", "Connector faulted"
    SESSION_SILENT = "session_silent", "Session silent"
    SITE_OFFLINE = "site_offline", "Site offline"
    LOCAL_LIST = "local_list", "Local list problem"  # raised by the local-list sync (rfid/locallist/services.py)


class Alert(models.Model):
    kind = models.CharField(max_length=20, choices=AlertKind.choices)
    # What the alert is about, as one key (e.g. "cp:12:c:1"): the unique index below allows one open alert per
    # kind and subject, so two processes seeing the same fault at once raise it once.
    subject = models.CharField(max_length=100, editable=False)
    charge_point = models.ForeignKey(
        "chargers.ChargePoint", on_delete=models.CASCADE, null=True, blank=True, related_name="alerts"
    )
    site = models.ForeignKey(
        "transactions.Site", on_delete=models.CASCADE, null=True, blank=True, related_name="alerts"
    )
    connector_id = models.PositiveIntegerField(null=True, blank=True)
    transaction = models.ForeignKey(
        "transactions.Transaction", on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts"
    )
    message = models.CharField(max_length=300)
    raised_at = models.DateTimeField(default=timezone.now)
    cleared_at = models.DateTimeField(null=True, blank=True, help_text="When the cause went away")
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    # Set by the one mail task that sends it: a task delivered twice mails nobody twice.
    mailed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject"], condition=models.Q(cleared_at=None), name="one_open_alert_per_subject"
            ),
        ]
        indexes = [models.Index(fields=["cleared_at", "-raised_at"], name="alert_open_newest")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.message}"

    @property
    def is_open(self) -> bool:
        return self.cleared_at is None


def all_kinds() -> list[str]:
    return list(AlertKind.values)


class Subscription(models.Model):
    """Which alerts an operator wants by e-mail: the kinds, the sites (none chosen: every site, and chargers
    without one)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_subscription")
    kinds = models.JSONField(default=all_kinds, help_text="The alert kinds wanted")
    sites = models.ManyToManyField("transactions.Site", blank=True, related_name="+")
    email = models.BooleanField("by e-mail", default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"alerts for {self.user}"
