"""The authorization decision for an idTag: Authorize, StartTransaction, StopTransaction and
RemoteStartTransaction ask here, so that every path gives the same answer.

The outcomes, in the order they are checked: unknown (Invalid), Blocked, Expired (the tag's or its group's
status or expiry), not allowed at this charger (Invalid: OCPP 1.6 has no closer status), ConcurrentTx (the tag, or
as RFID_CONCURRENT_TX says its group, already has a running transaction elsewhere), else Accepted. Every answer
carries an expiryDate (RFID_AUTH_CACHE_S ahead, or the tag's own expiry when sooner) so that the charger's
authorization cache ages instead of trusting an answer for ever.
"""

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from django.db.models.functions import Upper
from django.utils import timezone

from chargers.models import ByteOrder, ChargePoint
from rfid.models import IdTag, IdTagStatus
from rfid.selectors import charger_site_ids, id_tag_allowed_at_charger
from rfid.services.tags import id_tag_normalize
from transactions.models import Transaction

__all__ = [
    "CONCURRENT_TX",
    "Authorization",
    "TagAtConnector",
    "TagDecisions",
    "id_tag_authorize",
    "id_tag_find",
    "id_tag_remote_start_problem",
    "id_tag_reversed_bytes",
]

# OCPP 1.6 AuthorizationStatus ConcurrentTx (not an IdTagStatus: a tag is never stored with it).
CONCURRENT_TX = "ConcurrentTx"


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

    @property
    def known(self) -> bool:
        """Whether the portal knows the tag (an unknown one may be asked of the external callout)."""
        return self.tag is not None

    @property
    def accepted(self) -> bool:
        return self.status == IdTagStatus.ACCEPTED


def _variants(canonical: str, match_reversed_bytes: bool) -> list[str]:
    variants = [canonical]
    if match_reversed_bytes and (flipped := id_tag_reversed_bytes(id_tag=canonical)):
        variants.append(flipped)
    return variants


def id_tag_find(*, raw: str, match_reversed_bytes: bool = False, charge_point_pk: int | None = None) -> IdTag | None:
    """The stored tag for what a charger sent (either byte order where its model says so). With a charger, the
    tag comes with `allowed_here`: whether it may charge there, read in the same query."""
    candidates = _variants(id_tag_normalize(raw=raw), match_reversed_bytes)
    tags = IdTag.objects.select_related("parent").filter(id_tag__in=candidates)
    if charge_point_pk is not None:
        site_ids = charger_site_ids(charge_point_pk=charge_point_pk)
        allowed = id_tag_allowed_at_charger(charge_point_pk=charge_point_pk, site_ids=site_ids)
        tags = tags.annotate(allowed_here=ExpressionWrapper(allowed, output_field=BooleanField()))
    by_value = {t.id_tag: t for t in tags}
    return next((by_value[c] for c in candidates if c in by_value), None)


def _own_status(tag: IdTag, now: datetime) -> str:
    """Blocked, Expired or Invalid as stored; Accepted turns Expired past the tag's expiry."""
    if tag.status == IdTagStatus.ACCEPTED and tag.expires_at is not None and tag.expires_at <= now:
        return IdTagStatus.EXPIRED
    return tag.status


def _cache_expiry(tag: IdTag, now: datetime) -> datetime:
    """When the charger's cache must forget this answer: the cache lifetime, or sooner the tag's (or its
    group's) own expiry."""
    moments = [now + timedelta(seconds=settings.RFID_AUTH_CACHE_S)]
    moments += [t.expires_at for t in (tag, tag.parent) if t is not None and t.expires_at is not None]
    return min(moments)


def _running_elsewhere(
    tag: IdTag, *, match_reversed_bytes: bool, charge_point_pk: int | None, connector_id: int | None
) -> bool:
    """Whether the tag (or its group) has a running transaction other than the one this request may be about: a
    StartTransaction resent for the same connector, or a card shown at its own charger to stop its session."""
    scope = settings.RFID_CONCURRENT_TX
    if scope == "none":
        return False
    since = timezone.now() - timedelta(hours=settings.RFID_CONCURRENT_TX_WINDOW_H)
    running = Transaction.objects.filter(stopped_at__isnull=True, started_at__gte=since).annotate(
        tag_upper=Upper("id_tag")
    )
    same_tag = Q(tag_upper__in=_variants(tag.id_tag, match_reversed_bytes))
    if scope == "group" and tag.parent_id is not None:
        group = IdTag.objects.filter(Q(parent_id=tag.parent_id) | Q(pk=tag.parent_id)).values("id_tag")
        same_tag |= Q(tag_upper__in=group)
    running = running.filter(same_tag)
    if charge_point_pk is not None:
        here = Q(charge_point_id=charge_point_pk)
        if connector_id is not None:
            here &= Q(connector_id=connector_id)
        running = running.exclude(here)
    return running.exists()


def _where_status(
    tag: IdTag, match_reversed_bytes: bool, charge_point_pk: int, connector_id: int | None, check_concurrent: bool
) -> str:
    """Invalid where the tag may not charge; ConcurrentTx when it charges elsewhere; else Accepted."""
    if not tag.allowed_here:
        return IdTagStatus.INVALID
    if check_concurrent and _running_elsewhere(
        tag, match_reversed_bytes=match_reversed_bytes, charge_point_pk=charge_point_pk, connector_id=connector_id
    ):
        return CONCURRENT_TX
    return IdTagStatus.ACCEPTED


def id_tag_authorize(
    *,
    raw: str,
    match_reversed_bytes: bool = False,
    charge_point_pk: int | None = None,
    connector_id: int | None = None,
    check_concurrent: bool = False,
) -> Authorization:
    """The portal's decision for an idTag presented at a charger (see the module's docstring for the order).

    `check_concurrent` for a start (StartTransaction, RemoteStartTransaction; Authorize before a start too): a
    transaction on the same charger and connector (`connector_id`), or on the same charger when no connector is
    named, does not count, as that is the one being resent or stopped.
    """
    tag = id_tag_find(raw=raw, match_reversed_bytes=match_reversed_bytes, charge_point_pk=charge_point_pk)
    now = timezone.now()
    if tag is None:
        cache_until = now + timedelta(seconds=settings.RFID_AUTH_CACHE_S)
        return Authorization(status=IdTagStatus.INVALID, expiry_date=cache_until)
    parent = tag.parent
    status = _own_status(tag, now)
    if status == IdTagStatus.ACCEPTED and parent is not None:
        status = _own_status(parent, now)
    if status == IdTagStatus.ACCEPTED and charge_point_pk is not None:
        status = _where_status(tag, match_reversed_bytes, charge_point_pk, connector_id, check_concurrent)
    return Authorization(
        status=status,
        expiry_date=_cache_expiry(tag, now),
        parent_id_tag=parent.id_tag if parent else None,
        tag=tag,
    )


def id_tag_remote_start_problem(*, charge_point_pk: int, id_tag: str, connector_id: int | None) -> str | None:
    """Why a RemoteStartTransaction for this tag must not be queued ("idTag: …"), or None: the decision its
    StartTransaction would get for a tag the portal knows (Blocked, Expired, not allowed here, ConcurrentTx).
    A tag the portal does not know is let through: an app's or a roaming partner's token, which the charger's
    Authorize (AuthorizeRemoteTxRequests) and the StartTransaction decide, with the external callout if any."""
    byte_order = ChargePoint.objects.filter(pk=charge_point_pk).values_list("charger_model__rfid_byte_order", flat=True)
    authorization = id_tag_authorize(
        raw=id_tag,
        match_reversed_bytes=byte_order.first() == ByteOrder.LITTLE_ENDIAN,
        charge_point_pk=charge_point_pk,
        connector_id=connector_id,
        check_concurrent=True,
    )
    if authorization.accepted or not authorization.known:
        return None
    return f"idTag: {authorization.tag.id_tag} is {authorization.status} at this charger"


# --- A batch of starts --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TagAtConnector:
    """An idTag presented at a charger's connector (None: the charger as a whole), as the charger sent it."""

    raw: str
    charge_point_pk: int
    connector_id: int | None
    match_reversed_bytes: bool = False


class TagDecisions:
    """The decisions of a batch of tags presented at chargers (a group commit of StartTransactions, or of
    StopTransactions re-checking their tags), made in one pass: what id_tag_authorize decides for one, for many
    with two queries in all instead of two or three each (the batch's tags, with whether each names chargers or
    sites where it may charge; with `check_concurrent`, the running transactions of those tags). A tag of a group
    or one that names chargers or sites, or ConcurrentTx counted per group (RFID_CONCURRENT_TX=group), is left to
    id_tag_authorize (the rare cases; the same answers, one at a time).

    For starts: asked in the batch's order, each just before its start is stored, and told of every start stored
    (`started`): a tag started earlier in the same batch at another connector is ConcurrentTx, as it was when
    the starts were stored one by one."""

    def __init__(self, items: list[TagAtConnector], *, check_concurrent: bool = True) -> None:
        self.items = items
        self.check_concurrent = check_concurrent and settings.RFID_CONCURRENT_TX != "none"
        self.now = timezone.now()
        self.since = self.now - timedelta(hours=settings.RFID_CONCURRENT_TX_WINDOW_H)
        candidates = {v for item in items for v in _variants(id_tag_normalize(raw=item.raw), item.match_reversed_bytes)}
        chargers = IdTag.allowed_charge_points.through.objects.filter(idtag_id=OuterRef("pk"))
        sites = IdTag.allowed_sites.through.objects.filter(idtag_id=OuterRef("pk"))
        tags = IdTag.objects.filter(id_tag__in=candidates).annotate(restricted=Exists(chargers) | Exists(sites))
        self.tags = {tag.id_tag: tag for tag in tags}
        # Where each tag (upper case, as _running_elsewhere compares) runs in the window, the batch's own added.
        self.running: dict[str, set[tuple[int, int]]] = defaultdict(set)
        if self.check_concurrent and self.tags:
            variants = {v for tag in self.tags.values() for v in _variants(tag.id_tag, True)}
            running = Transaction.objects.filter(stopped_at__isnull=True, started_at__gte=self.since)
            running = running.annotate(tag_upper=Upper("id_tag")).filter(tag_upper__in=variants)
            for upper, pk, connector in running.values_list("tag_upper", "charge_point_id", "connector_id"):
                self.running[upper].add((pk, connector))

    def decide(self, index: int) -> Authorization:
        """Item `index`'s decision, as id_tag_authorize would give it now."""
        item = self.items[index]
        tag = self._tag(item)
        if tag is None:
            return Authorization(
                status=IdTagStatus.INVALID, expiry_date=self.now + timedelta(seconds=settings.RFID_AUTH_CACHE_S)
            )
        if tag.parent_id is not None or tag.restricted or settings.RFID_CONCURRENT_TX == "group":
            return id_tag_authorize(
                raw=item.raw,
                match_reversed_bytes=item.match_reversed_bytes,
                charge_point_pk=item.charge_point_pk,
                connector_id=item.connector_id,
                check_concurrent=self.check_concurrent,
            )
        status = _own_status(tag, self.now)
        if status == IdTagStatus.ACCEPTED and self._running_elsewhere(tag, item):
            status = CONCURRENT_TX
        return Authorization(status=status, expiry_date=_cache_expiry(tag, self.now), tag=tag)

    def started(self, index: int, started_at: datetime) -> None:
        """Item `index`'s start is being stored (whatever its status: a stored start runs until it is stopped)."""
        item = self.items[index]
        if started_at >= self.since:
            self.running[item.raw.upper()].add((item.charge_point_pk, item.connector_id))

    def _tag(self, item: TagAtConnector) -> IdTag | None:
        for candidate in _variants(id_tag_normalize(raw=item.raw), item.match_reversed_bytes):
            if candidate in self.tags:
                return self.tags[candidate]
        return None

    def _running_elsewhere(self, tag: IdTag, item: TagAtConnector) -> bool:
        """As _running_elsewhere: not the same charger and connector (the same charger, when none is named)."""
        if not self.check_concurrent:
            return False
        for variant in _variants(tag.id_tag, item.match_reversed_bytes):
            for pk, connector in self.running[variant]:
                if pk != item.charge_point_pk or item.connector_id not in (None, connector):
                    return True
        return False
