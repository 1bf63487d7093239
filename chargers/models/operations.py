"""What remote operations leave behind on the portal's side: configuration keys and reservations."""

from django.db import models
from django.utils import timezone

from chargers.models.charge_points import ChargePoint


class ConfigurationKey(models.Model):
    """A configuration key as the charger last reported it (GetConfiguration) or accepted it (ChangeConfiguration)."""

    charge_point = models.ForeignKey(ChargePoint, on_delete=models.CASCADE, related_name="configuration")
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

    charge_point = models.ForeignKey(ChargePoint, on_delete=models.CASCADE, related_name="reservations")
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
