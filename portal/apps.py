from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The portal itself: accounts, roles and API keys (settings, urls and the launcher live beside them)."""

    name = "portal"
    verbose_name = "Accounts and API keys"
