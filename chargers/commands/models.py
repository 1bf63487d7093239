"""The command pipeline's records: every central-system CALL, batches of them, and what remote operations leave
behind on the portal's side (configuration keys, reservations). Same app (label `chargers`), same tables."""

from django.db import models
from django.utils import timezone


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
# A command in one of these has left its queue for good: it is never sent (again).
ENDED_COMMAND_STATUSES = tuple(status for status in CommandStatus.values if status not in OPEN_COMMAND_STATUSES)


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

    charge_point = models.ForeignKey("chargers.ChargePoint", on_delete=models.CASCADE, related_name="commands")
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


class ConfigurationKey(models.Model):
    """A configuration key as the charger last reported it (GetConfiguration) or accepted it (ChangeConfiguration)."""

    charge_point = models.ForeignKey("chargers.ChargePoint", on_delete=models.CASCADE, related_name="configuration")
    key = models.CharField(max_length=50)
    # None (the charger did not say, or a secret) differs from an empty value.
    value = models.TextField(blank=True, null=True, help_text="Empty when the charger did not say")  # noqa: DJ001
    readonly = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["charge_point", "key"]
        constraints = [models.UniqueConstraint(fields=["charge_point", "key"], name="unique_configuration_key")]

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


class ReservationStatus(models.TextChoices):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    USED = "used"
    EXPIRED = "expired"


class Reservation(models.Model):
    """A ReserveNow; its primary key is the OCPP reservationId."""

    charge_point = models.ForeignKey("chargers.ChargePoint", on_delete=models.CASCADE, related_name="reservations")
    connector_id = models.PositiveIntegerField()
    id_tag = models.CharField(max_length=20)
    parent_id_tag = models.CharField(max_length=20, blank=True)
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=ReservationStatus.choices, default=ReservationStatus.REQUESTED)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"reservation #{self.pk} {self.charge_point}/{self.connector_id} for {self.id_tag}"
