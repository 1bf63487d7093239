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
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["id_tag"]
        verbose_name = "id tag"

    def __str__(self) -> str:
        return self.id_tag
