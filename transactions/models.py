"""Charging sessions and the meter values a charger reports for them."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone

from transactions.load.models import BuildingReading, LoadAllocation, LoadDefault, LoadPoint, LoadRound
from transactions.sites.models import Site

__all__ = [
    "BuildingReading",
    "LoadAllocation",
    "LoadDefault",
    "LoadPoint",
    "LoadRound",
    "MeterValue",
    "Site",
    "Transaction",
]


class Transaction(models.Model):
    """A charging session. Its primary key is the OCPP transactionId (positive, < 2^31, committed before the
    StartTransaction reply goes out)."""

    charge_point = models.ForeignKey("chargers.ChargePoint", on_delete=models.PROTECT, related_name="transactions")
    connector_id = models.PositiveIntegerField()
    id_tag = models.CharField(max_length=20)
    id_tag_status = models.CharField(max_length=20, help_text="What the portal answered in StartTransaction")
    meter_start_wh = models.BigIntegerField()
    started_at = models.DateTimeField(help_text="Start timestamp as sent by the charger")
    # The start time as the charger wrote it, kept only when its clock could not be right (1970, year 1, days
    # ahead) and started_at is the time received instead: a resend of that start gets another time received,
    # and this text is what still makes it the same start (unique_transaction_start_implausible).
    start_sent_as = models.CharField(max_length=40, blank=True, default="")
    start_received_at = models.DateTimeField(default=timezone.now)
    reservation_id = models.IntegerField(null=True, blank=True)

    meter_stop_wh = models.BigIntegerField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True, help_text="Stop timestamp as sent by the charger")
    stop_received_at = models.DateTimeField(null=True, blank=True)
    stop_reason = models.CharField(max_length=20, blank=True)
    stop_id_tag = models.CharField(max_length=20, blank=True)
    # The id a charger used when it had no id from us (-1, or ETREL's negative local ids).
    charger_transaction_id = models.IntegerField(null=True, blank=True)
    # An operator who closed a session the charger never stopped (a "zombie"), and why.
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    close_note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            # A resent StartTransaction (new message id, same content) is the same transaction. A row made from
            # a StopTransaction of a transaction we never started (charger_transaction_id set) is found by that
            # id instead: two such stops may share connector, idTag, time and meter and still be two sessions.
            models.UniqueConstraint(
                fields=["charge_point", "connector_id", "id_tag", "started_at", "meter_start_wh"],
                condition=models.Q(charger_transaction_id__isnull=True, start_sent_as=""),
                name="unique_transaction_start",
            ),
            models.UniqueConstraint(
                fields=["charge_point", "connector_id", "id_tag", "start_sent_as", "meter_start_wh"],
                condition=models.Q(charger_transaction_id__isnull=True) & ~models.Q(start_sent_as=""),
                name="unique_transaction_start_implausible",
            ),
        ]
        indexes = [
            models.Index(fields=["charge_point", "connector_id", "stopped_at"]),
            # The running sessions of a tag (the ConcurrentTx check of every Authorize and StartTransaction,
            # rfid/services/authorization.py): without it each one reads every transaction ever stored.
            models.Index(
                Upper("id_tag"), name="transaction_running_by_tag", condition=models.Q(stopped_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.charge_point_id}/{self.connector_id}"

    @property
    def is_active(self) -> bool:
        return self.stopped_at is None

    @property
    def energy_wh(self) -> int | None:
        if self.meter_stop_wh is None:
            return None
        return self.meter_stop_wh - self.meter_start_wh


class MeterValue(models.Model):
    """One sampledValue: the fields as sent, plus the value normalised to an SI unit (Wh, W, A, V, Hz, ...)."""

    charge_point = models.ForeignKey("chargers.ChargePoint", on_delete=models.CASCADE, related_name="meter_values")
    connector_id = models.PositiveIntegerField()
    transaction = models.ForeignKey(
        Transaction, on_delete=models.SET_NULL, null=True, blank=True, related_name="meter_values"
    )
    # The transactionId the charger sent, kept when it matched no transaction (-1, ETREL's negative ids).
    reported_transaction_id = models.IntegerField(null=True, blank=True)
    timestamp = models.DateTimeField(help_text="As sent by the charger")
    received_at = models.DateTimeField(default=timezone.now)
    measurand = models.CharField(max_length=60)
    phase = models.CharField(max_length=10, blank=True)
    location = models.CharField(max_length=10)
    context = models.CharField(max_length=25)
    format = models.CharField(max_length=12, blank=True)
    unit = models.CharField(max_length=20, blank=True, help_text="As sent (blank: the default)")
    raw_value = models.TextField(help_text="The value string as sent")
    value = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    si_unit = models.CharField(max_length=10, blank=True)
    source = models.CharField(max_length=20, default="MeterValues")

    class Meta:
        ordering = ["timestamp", "id"]
        constraints = [
            # A resent MeterValues frame stores nothing twice.
            models.UniqueConstraint(
                fields=[
                    "charge_point",
                    "connector_id",
                    "timestamp",
                    "measurand",
                    "phase",
                    "location",
                    "context",
                ],
                name="unique_sampled_value",
            ),
        ]
        indexes = [models.Index(fields=["transaction", "timestamp"])]

    def __str__(self) -> str:
        return f"{self.measurand} {self.raw_value}{self.unit} @ {self.timestamp:%Y-%m-%d %H:%M:%S}"
