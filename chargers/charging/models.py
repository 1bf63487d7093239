"""A charging profile the portal keeps for a charger and connector; what the charger answered stays on the
commands it points at (SetChargingProfile, then ClearChargingProfile)."""

from django.db import models
from django.utils import timezone

from chargers.charging.vocabulary import ProfileKind, ProfilePurpose, RateUnit, RecurrencyKind


class ChargingProfile(models.Model):
    """Its primary key is the chargingProfileId the charger is sent (one number space for the whole portal)."""

    charge_point = models.ForeignKey("chargers.ChargePoint", on_delete=models.CASCADE, related_name="charging_profiles")
    connector_id = models.PositiveIntegerField(help_text="0: the whole charger")
    purpose = models.CharField(max_length=30, choices=ProfilePurpose.choices)
    stack_level = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=ProfileKind.choices)
    recurrency_kind = models.CharField(max_length=10, choices=RecurrencyKind.choices, blank=True)
    transaction_id = models.IntegerField(null=True, blank=True, help_text="The charger's transactionId (TxProfile)")
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_to = models.DateTimeField(null=True, blank=True)
    rate_unit = models.CharField(max_length=1, choices=RateUnit.choices)
    start_schedule = models.DateTimeField(null=True, blank=True)
    duration_s = models.PositiveIntegerField(null=True, blank=True)
    min_charging_rate = models.DecimalField(max_digits=9, decimal_places=1, null=True, blank=True)
    periods = models.JSONField(help_text="chargingSchedulePeriod as sent: startPeriod, limit, numberPhases")
    set_command = models.ForeignKey(
        "chargers.Command", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    clear_command = models.ForeignKey(
        "chargers.Command", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_by = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="charging_profiles"
    )
    # "load": site load management's (transactions/load/defaults.py), one row per charger, connector and purpose
    # updated in place with each profile it sends; blank: an operator's or an integrator's.
    source = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["connector_id", "purpose", "-stack_level", "-id"]

    def __str__(self) -> str:
        return f"{self.purpose} #{self.pk} on connector {self.connector_id}"
