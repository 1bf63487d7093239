"""A charger's local authorization list as the portal keeps it: one LocalList per charger that takes one, and
its entries as last sent (the charger's list once every pending SendLocalList is applied)."""

from django.db import models
from django.utils import timezone


class LocalList(models.Model):
    """The portal's side of one charger's local list. `version` is the listVersion of the last SendLocalList the
    portal queued (0: none yet; what is sent is never 0 or -1); `confirmed_version` the last one the charger
    accepted."""

    charge_point = models.OneToOneField("chargers.ChargePoint", on_delete=models.CASCADE, related_name="local_list")
    version = models.PositiveIntegerField(default=0)
    confirmed_version = models.PositiveIntegerField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    needs_full = models.BooleanField(default=True, help_text="The next update is a Full one (new, or it failed)")
    entries_count = models.PositiveIntegerField(default=0)
    # Full updates that failed in a row: past LOCAL_LIST_MAX_FAILURES the sync waits for an operator (or a fix).
    failures = models.PositiveSmallIntegerField(default=0)
    configuration_asked = models.BooleanField(
        default=False, help_text="SendLocalListMaxLength and LocalAuthListMaxLength were asked of the charger"
    )
    problem = models.CharField(max_length=300, blank=True, help_text="What the operator should know")
    synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        app_label = "rfid"
        verbose_name = "local list"

    def __str__(self) -> str:
        return f"local list of {self.charge_point} v{self.version}"


class LocalListEntry(models.Model):
    """One tag on a charger's list, with the idTagInfo it was sent with (status is always Accepted: the list
    holds the tags that may charge there)."""

    local_list = models.ForeignKey(LocalList, on_delete=models.CASCADE, related_name="entries")
    id_tag = models.CharField(max_length=20)
    expires_at = models.DateTimeField(null=True, blank=True)
    parent_id_tag = models.CharField(max_length=20, blank=True)

    class Meta:
        app_label = "rfid"
        constraints = [models.UniqueConstraint(fields=["local_list", "id_tag"], name="unique_local_list_entry")]
        verbose_name = "local list entry"
        verbose_name_plural = "local list entries"

    def __str__(self) -> str:
        return self.id_tag
