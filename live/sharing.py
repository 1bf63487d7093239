"""Share links: a signed, expiring token that opens one transaction's live page to someone without an account.

Nothing is stored: the token is the transaction's id signed with the SECRET_KEY (django.core.signing) and the
time it was made; reading it checks both. A changed SECRET_KEY ends every link, which is what one wants.
"""

import io
from dataclasses import dataclass
from datetime import datetime, timedelta

import segno
from django.conf import settings
from django.core import signing
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

# The salt keeps a share token from being any other signed value of the portal (and the other way round).
_SALT = "live.share-link"


class ShareLinkInvalid(Exception):
    """Not a token this portal made for a share link (changed, cut short, or for something else)."""


class ShareLinkExpired(ShareLinkInvalid):
    """A genuine token past its lifetime."""


@dataclass(frozen=True)
class ShareLink:
    token: str
    expires_at: datetime


def share_link_make(*, transaction_pk: int) -> ShareLink:
    ttl = timedelta(seconds=settings.LIVE_SHARE_TTL_S)
    token = signing.dumps({"transaction": transaction_pk}, salt=_SALT)
    return ShareLink(token=token, expires_at=timezone.now() + ttl)


def share_link_base_url(*, request: HttpRequest) -> str:
    """Where browsers reach the portal: PUBLIC_URL when set (behind a proxy), else the address asked."""
    return settings.PUBLIC_URL or request.build_absolute_uri("/")


def share_link_url(*, token: str, base_url: str) -> str:
    """The address of a share link's page under `base_url` (PUBLIC_URL, or the address the request came to)."""
    return f"{base_url.rstrip('/')}{reverse('live:shared-session', args=[token])}"


def share_link_qr_svg(*, url: str) -> str:
    """The link as a QR code (SVG), for a phone's camera: error correction M survives a smudged screen."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=4, border=2, xmldecl=False, title="Share link")
    return buffer.getvalue().decode()


def share_link_transaction_pk(*, token: str) -> int:
    """The transaction a token opens; raises ShareLinkExpired or ShareLinkInvalid."""
    try:
        content = signing.loads(token, salt=_SALT, max_age=settings.LIVE_SHARE_TTL_S)
    except signing.SignatureExpired as error:
        raise ShareLinkExpired(str(error)) from None
    except signing.BadSignature as error:
        raise ShareLinkInvalid(str(error)) from None
    pk = content.get("transaction") if isinstance(content, dict) else None
    if not isinstance(pk, int) or isinstance(pk, bool):
        raise ShareLinkInvalid("no transaction in the token")
    return pk
