"""API keys: what `Authorization: Token <key>` is checked against. The key itself is never stored."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiScope(models.TextChoices):
    """What a key may do, on top of what its user may (portal/permissions.py): a key for a billing system can be
    kept from sending commands even when its user may."""

    READ = "read", "Read anything"
    COMMANDS = "commands", "Send, schedule and cancel commands"
    TAGS = "tags", "Create, change and delete id tags"
    ADMIN = "admin", "Every other write (chargers, webhooks, …)"


def api_scopes_all() -> list[str]:
    return list(ApiScope.values)


class ApiKey(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, default="default", help_text="What the key is for")
    prefix = models.CharField(max_length=8, help_text="The key's first characters, to tell keys apart (not secret)")
    # SHA-256 of the key, hex. A key is 160 random bits, so no salt or slow hash is needed to make the hash
    # useless to a thief, and an exact hash can be looked up through the unique index.
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Keys made before scopes existed keep every scope (the migration's default).
    scopes = models.JSONField(default=api_scopes_all, help_text="read, commands, tags, admin")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name}, {self.user})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
