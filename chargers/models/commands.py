"""The command pipeline's record: every central-system CALL, and batches of them."""

from django.db import models
from django.utils import timezone

from chargers.models.charge_points import ChargePoint


class CommandStatus(models.TextChoices):
    QUEUED = "queued"
    SENT = "sent"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


OPEN_COMMAND_STATUSES = (CommandStatus.QUEUED, CommandStatus.SENT)


class CommandBatch(models.Model):
    """One operator request aimed at many chargers (a list or a filter)."""

    action = models.CharField(max_length=50)
    payload = models.JSONField(default=dict, blank=True)
    description = models.CharField(max_length=200, blank=True, help_text="The list or filter the operator chose")
    requested_by = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="command_batches"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "command batches"

    def __str__(self) -> str:
        return f"{self.action} for {self.description or 'chargers'}"


class Command(models.Model):
    """A central-system CALL to one charger: the audit trail and the source of truth of the command pipeline
    (the channel layer is only the wire)."""

    charge_point = models.ForeignKey(ChargePoint, on_delete=models.CASCADE, related_name="commands")
    action = models.CharField(max_length=50)
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=CommandStatus.choices, default=CommandStatus.QUEUED)
    batch = models.ForeignKey(CommandBatch, on_delete=models.CASCADE, null=True, blank=True, related_name="commands")
    requested_by = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="commands"
    )
    requested_via = models.CharField(max_length=20, blank=True, help_text="admin, api, web, schedule, system")
    unique_id = models.CharField(max_length=64, blank=True, help_text="The OCPP message id of the CALL")
    response = models.JSONField(null=True, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    error_description = models.CharField(max_length=255, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    not_before = models.DateTimeField(null=True, blank=True, help_text="Scheduled: not sent before this time")
    expires_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    # RemoteStart/RemoteStop: the transaction the command led to or ended.
    transaction = models.ForeignKey(
        "transactions.Transaction", on_delete=models.SET_NULL, null=True, blank=True, related_name="commands"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["charge_point", "status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.action} → {self.charge_point} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_COMMAND_STATUSES
