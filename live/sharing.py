"""Share links: a signed, expiring token that opens one transaction's live page to someone without an account.

Nothing is stored: the token is the transaction's id signed with the SECRET_KEY (django.core.signing) and the
time it was made; reading it checks both. A changed SECRET_KEY ends every link, which is what one wants.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
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
