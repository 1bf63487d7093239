"""Per-key throttling of the REST API: each API key gets API_KEY_THROTTLE_RATE requests (e.g. "600/minute"),
counted in Django's cache (Redis, shared by every process). Over it, DRF answers 429 JSON with Retry-After.
Browser sessions are not throttled here (their logins are, portal.login_throttle)."""

import logging
from typing import TYPE_CHECKING

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from portal.models import ApiKey

if TYPE_CHECKING:
    # For annotations only: rest_framework.views loads this module through its settings.
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)


class ApiKeyRateThrottle(SimpleRateThrottle):
    scope = "api_key"

    def get_rate(self) -> str | None:
        # From the settings at each request (DRF reads its rates once, at import); None turns throttling off.
        return settings.API_KEY_THROTTLE_RATE or None

    def get_cache_key(self, request: Request, view: "APIView") -> str | None:
        if not isinstance(request.auth, ApiKey):
            return None
        # By the key's hash, not its row id: ids start again in a new database, cached counts would not.
        return self.cache_format % {"scope": self.scope, "ident": request.auth.key_hash[:32]}

    def allow_request(self, request: Request, view: "APIView") -> bool:
        try:
            return super().allow_request(request, view)
        except Exception as error:
            # The cache (Redis) away: serve rather than refuse everyone; the login throttle fails open too.
            logger.warning("API key throttle unavailable, request allowed: %s", error)
            return True
