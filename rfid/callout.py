"""External authorization of tags the portal does not know: a POST to an integrator's URL (a billing system, a
roaming hub), signed like the webhooks, with a short timeout, a cache, and a configured fallback.

Settings: RFID_CALLOUT_URL (empty: off), RFID_CALLOUT_SECRET, RFID_CALLOUT_TIMEOUT_S, RFID_CALLOUT_CACHE_S,
RFID_CALLOUT_FALLBACK (Accepted or Invalid).

The request body: `{"idTag": "<canonical>", "chargePointId": "…", "connectorId": 1 | null, "action": "Authorize"}`
with the header `X-Portal-Signature: sha256=<hex HMAC-SHA256 of the raw body with RFID_CALLOUT_SECRET>`. The
integrator answers 200 with `{"status": "Accepted" | "Blocked" | "Expired" | "Invalid", "expiryDate": "…",
"parentIdTag": "…"}` (the last two optional). Anything else (a timeout, a refusal, a body that is not that) gives
the fallback, which is not cached, so the next presentation asks again.

Blocking I/O: the OCPP handlers call it in a thread of its own (asyncio.to_thread), never in the thread that all
of a process's database calls share, so that a slow integrator holds up no other charger.
"""

import json
import logging
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from http.client import HTTPException

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from rfid.models import IdTagStatus
from rfid.services import Authorization, id_tag_normalize
from webhooks.transport import SIGNATURE_HEADER, signature

logger = logging.getLogger(__name__)

USER_AGENT = "charging-portal-authorization/1"
_ANSWERABLE = frozenset(IdTagStatus.values)
# Only what a well-behaved integrator's answer needs: a larger body is refused (read no further).
MAX_ANSWER_BYTES = 16 * 1024


def callout_enabled() -> bool:
    return bool(settings.RFID_CALLOUT_URL)


def _cache_key(id_tag: str) -> str:
    return f"rfid:callout:{id_tag}"


def _fallback() -> Authorization:
    expiry = timezone.now() + timedelta(seconds=settings.RFID_AUTH_CACHE_S)
    return Authorization(status=settings.RFID_CALLOUT_FALLBACK, expiry_date=expiry)


def _parse_expiry(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def _authorization(answer: object) -> Authorization | None:
    """The integrator's answer as an Authorization, or None when it is not one."""
    if not isinstance(answer, dict) or answer.get("status") not in _ANSWERABLE:
        return None
    parent = answer.get("parentIdTag")
    parent = id_tag_normalize(raw=parent)[:20] if isinstance(parent, str) and parent.strip() else None
    expiry = _parse_expiry(answer.get("expiryDate"))
    cache_until = timezone.now() + timedelta(seconds=settings.RFID_AUTH_CACHE_S)
    return Authorization(
        status=answer["status"],
        expiry_date=min(expiry, cache_until) if expiry else cache_until,
        parent_id_tag=parent,
    )


def _post(body: bytes) -> object:
    """The integrator's JSON answer; raises OSError, HTTPException or ValueError when there is none."""
    request = urllib.request.Request(  # noqa: S310  an operator's setting, http(s)
        settings.RFID_CALLOUT_URL,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: signature(secret=settings.RFID_CALLOUT_SECRET, body=body),
        },
    )
    with urllib.request.urlopen(request, timeout=settings.RFID_CALLOUT_TIMEOUT_S) as response:  # noqa: S310
        text = response.read(MAX_ANSWER_BYTES + 1)
    if len(text) > MAX_ANSWER_BYTES:
        raise ValueError("answer too large")
    return json.loads(text)


def _cached(id_tag: str) -> Authorization | None:
    try:
        return cache.get(_cache_key(id_tag))
    except Exception as error:  # Redis away: ask the integrator rather than fail the charger
        logger.warning("rfid callout: cache unreadable (%s)", error)
        return None


def _remember(id_tag: str, authorization: Authorization) -> None:
    try:
        cache.set(_cache_key(id_tag), authorization, timeout=settings.RFID_CALLOUT_CACHE_S)
    except Exception as error:
        logger.warning("rfid callout: cache unwritable (%s)", error)


def callout_authorize(*, raw: str, charge_point_id: str, action: str, connector_id: int | None = None) -> Authorization:
    """Ask the integrator about a tag the portal does not know (cached); the fallback when it does not answer."""
    id_tag = id_tag_normalize(raw=raw)
    cached = _cached(id_tag)
    if cached is not None:
        return cached
    body = json.dumps(
        {"idTag": id_tag, "chargePointId": charge_point_id, "connectorId": connector_id, "action": action}
    ).encode()
    try:
        authorization = _authorization(_post(body))
    except (OSError, HTTPException, ValueError) as error:  # timeout, refused, HTTP error, not JSON
        logger.warning(
            "rfid callout for %s gave no answer (%s): fallback %s", id_tag, error, settings.RFID_CALLOUT_FALLBACK
        )
        return _fallback()
    if authorization is None:
        logger.warning("rfid callout for %s: not an answer: fallback %s", id_tag, settings.RFID_CALLOUT_FALLBACK)
        return _fallback()
    _remember(id_tag, authorization)
    return authorization
