"""The authorization decision for an idTag: Authorize, StartTransaction and RemoteStartTransaction ask here."""

import re
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from rfid.models import IdTag, IdTagStatus
from rfid.services.tags import id_tag_normalize

__all__ = ["Authorization", "id_tag_authorize", "id_tag_find", "id_tag_reversed_bytes"]


def id_tag_reversed_bytes(*, id_tag: str) -> str | None:
    """The same UID in the other byte order, when the tag is whole hex bytes ('FA2AFD77' <-> '77FD2AFA')."""
    if len(id_tag) % 2 or len(id_tag) < 4 or not re.fullmatch(r"[0-9A-F]+", id_tag):
        return None
    return "".join(reversed([id_tag[i : i + 2] for i in range(0, len(id_tag), 2)]))


@dataclass(frozen=True)
class Authorization:
    status: str
    expiry_date: datetime | None = None
    parent_id_tag: str | None = None
    tag: IdTag | None = None


def id_tag_find(*, raw: str, match_reversed_bytes: bool = False) -> IdTag | None:
    canonical = id_tag_normalize(raw=raw)
    candidates = [canonical]
    if match_reversed_bytes and (flipped := id_tag_reversed_bytes(id_tag=canonical)):
        candidates.append(flipped)
    tags = {t.id_tag: t for t in IdTag.objects.select_related("parent").filter(id_tag__in=candidates)}
    return next((tags[c] for c in candidates if c in tags), None)


def id_tag_authorize(*, raw: str, match_reversed_bytes: bool = False) -> Authorization:
    """The portal's decision for an idTag: unknown tags are Invalid; blocked or expired tags (or groups) say so."""
    tag = id_tag_find(raw=raw, match_reversed_bytes=match_reversed_bytes)
    if tag is None:
        return Authorization(status=IdTagStatus.INVALID)
    now = timezone.now()
    status = tag.status
    if status == IdTagStatus.ACCEPTED and tag.expires_at is not None and tag.expires_at <= now:
        status = IdTagStatus.EXPIRED
    parent = tag.parent
    if status == IdTagStatus.ACCEPTED and parent is not None and parent.status != IdTagStatus.ACCEPTED:
        status = parent.status
    return Authorization(
        status=status,
        expiry_date=tag.expires_at,
        parent_id_tag=parent.id_tag if parent else None,
        tag=tag,
    )
