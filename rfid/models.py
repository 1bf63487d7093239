"""Id tags (RFID cards and app tokens) the portal authorizes."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class IdTagStatus(models.TextChoices):
    ACCEPTED = "Accepted"
    BLOCKED = "Blocked"
    EXPIRED = "Expired"
    INVALID = "Invalid"


class IdTag(models.Model):
    """`id_tag` is kept in canonical form: upper case, no delimiters (OCPP idTags compare case-insensitively)."""

    id_tag = models.CharField(max_length=20, unique=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
        help_text="The group (parent id tag) this tag belongs to",
    )
    status = models.CharField(max_length=10, choices=IdTagStatus.choices, default=IdTagStatus.ACCEPTED)
    expires_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="id_tags"
    )
    label = models.CharField(max_length=100, blank=True, help_text="What the operator calls it (e.g. 'Van 12')")
    note = models.CharField(max_length=200, blank=True)
    # Where it may charge: both empty means every charger; otherwise the chargers of the chosen sites plus the
    # chosen chargers.
    allowed_sites = models.ManyToManyField("transactions.Site", blank=True, related_name="id_tags")
    allowed_charge_points = models.ManyToManyField("chargers.ChargePoint", blank=True, related_name="allowed_id_tags")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id_tag"]
        verbose_name = "id tag"

    def __str__(self) -> str:
        return self.id_tag


class IdTagChange(models.Model):
    """One change to a tag: who (a user, an API key's user, an import), when, and the fields before and after.

    `id_tag` is kept as text as well, so the history of a deleted tag survives it.
    """

    tag = models.ForeignKey(IdTag, on_delete=models.SET_NULL, null=True, blank=True, related_name="changes")
    id_tag = models.CharField(max_length=20, db_index=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source = models.CharField(max_length=20, blank=True, help_text="admin, page, api, import, ...")
    action = models.CharField(max_length=10)  # created, changed, deleted
    changes = models.JSONField(default=dict, help_text='{"field": [before, after]}')

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "id tag change"

    def __str__(self) -> str:
        return f"{self.id_tag} {self.action} at {self.at:%Y-%m-%d %H:%M:%S}"


# The local lists' tables belong to this app too (rfid/locallist/models.py).
from rfid.locallist.models import LocalList, LocalListEntry  # noqa: E402

__all__ = ["IdTag", "IdTagChange", "IdTagStatus", "LocalList", "LocalListEntry"]
