"""Load management's records: how it sees a charger (phases, wiring, maximum, priority) and each running
session's share of its site's limit, with what was sent and what the charger accepted. Same app (label
`transactions`), registered through transactions/models.py; references by name, so that this module imports no
other model module (transactions.models imports this one)."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone


class LoadPoint(models.Model):
    """A charger as load management sees it. A charger without one is a three-phase 32 A charger of priority 0."""

    charge_point = models.OneToOneField("chargers.ChargePoint", on_delete=models.CASCADE, related_name="load_point")
    phases = models.PositiveSmallIntegerField(default=3, choices=[(1, "one phase"), (3, "three phases")])
    phase = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(3)],
        help_text="The grid phase a one-phase charger is wired to (L1-L3)",
    )
    max_current_a = models.DecimalField("maximum current (A per phase)", max_digits=5, decimal_places=1, default=32)
    priority = models.SmallIntegerField(default=0, help_text="Higher is served first and paused last")

    def __str__(self) -> str:
        return f"load point of {self.charge_point_id}"


class LoadAllocation(models.Model):
    """A running session's share of its site's limit (A per phase): `limit_a` is the allocator's latest answer,
    `sent_limit_a` the limit of the last TxProfile queued for it (`command`), `accepted_limit_a` the last one the
    charger accepted. The row goes when the session stops."""

    transaction = models.OneToOneField(
        "transactions.Transaction", on_delete=models.CASCADE, related_name="load_allocation"
    )
    site = models.ForeignKey("transactions.Site", on_delete=models.CASCADE, related_name="load_allocations")
    charge_point = models.ForeignKey("chargers.ChargePoint", on_delete=models.CASCADE, related_name="load_allocations")
    limit_a = models.DecimalField(max_digits=5, decimal_places=1)
    sent_limit_a = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    accepted_limit_a = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    command = models.ForeignKey("chargers.Command", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["site", "transaction"]

    def __str__(self) -> str:
        return f"{self.transaction_id}: {self.limit_a} A"


class BuildingReading(models.Model):
    """The building's own draw on a site or circuit (what is not our chargers'), in A per phase, as an integrator
    posted it (POST /api/v1/sites/<id>/load/building/). The allocator takes the latest off the circuit's limit;
    one older than settings.LOAD_BUILDING_MAX_AGE_S is stale (transactions/load/selectors.py says what then)."""

    site = models.ForeignKey("transactions.Site", on_delete=models.CASCADE, related_name="building_readings")
    measured_at = models.DateTimeField()
    l1_a = models.DecimalField(max_digits=7, decimal_places=1)
    l2_a = models.DecimalField(max_digits=7, decimal_places=1)
    l3_a = models.DecimalField(max_digits=7, decimal_places=1)

    class Meta:
        indexes = [models.Index(fields=["site", "-measured_at"], name="building_reading_latest")]

    def __str__(self) -> str:
        return f"{self.site_id} at {self.measured_at}: {self.l1_a}/{self.l2_a}/{self.l3_a} A"


class LoadRound(models.Model):
    """One load round's figures for a site (A per phase; the largest phase for the building), kept for the site
    page's chart and GET /api/v1/sites/<id>/load/history/. Written only when a figure moved or a minute passed
    (transactions/load/services.py), pruned after settings.LOAD_HISTORY_DAYS."""

    site = models.ForeignKey("transactions.Site", on_delete=models.CASCADE, related_name="load_rounds")
    at = models.DateTimeField(default=timezone.now)
    limit_a = models.DecimalField(max_digits=7, decimal_places=1)
    measured_a = models.DecimalField(max_digits=7, decimal_places=1, null=True, blank=True)
    allocated_a = models.DecimalField(max_digits=7, decimal_places=1)
    building_a = models.DecimalField(max_digits=7, decimal_places=1, null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["site", "at"], name="load_round_site_at"), models.Index(fields=["at"])]
        ordering = ["site", "at"]

    def __str__(self) -> str:
        return f"{self.site_id} at {self.at}: {self.allocated_a}/{self.limit_a} A"


class LoadDefault(models.Model):
    """The safe TxDefaultProfile load management keeps on a charger of a managed site (A per phase, on each of its
    connectors; transactions/load/allocator.py default_limits says why it is safe): `sent_limit_a` the last one
    queued (`command`), `accepted_limit_a` the last one the charger accepted. Until the answer the charger may
    hold either: the loop counts the larger."""

    charge_point = models.OneToOneField("chargers.ChargePoint", on_delete=models.CASCADE, related_name="load_default")
    sent_limit_a = models.DecimalField(max_digits=5, decimal_places=1)
    accepted_limit_a = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    command = models.ForeignKey("chargers.Command", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"default of {self.charge_point_id}: {self.sent_limit_a} A"

    @property
    def held_a(self) -> Decimal:
        if self.accepted_limit_a is None:
            return self.sent_limit_a
        return max(self.sent_limit_a, self.accepted_limit_a)
