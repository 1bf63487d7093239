"""Reads for id tags. Arguments are canonical id tags (see rfid.services.id_tag_normalize)."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from chargers.models import ChargePoint
from rfid.models import IdTag, IdTagChange
from transactions.sites.models import Site


def id_tag_list() -> QuerySet[IdTag]:
    return IdTag.objects.select_related("parent", "user")


def id_tag_get(*, id_tag: str) -> IdTag:
    return id_tag_list().get(id_tag=id_tag)


def id_tags_existing(*, id_tags: Iterable[str]) -> dict[str, IdTag]:
    """The stored tags among `id_tags`, by value (chunked: SQLite limits the parameters of one query)."""
    wanted = list(dict.fromkeys(id_tags))
    found: dict[str, IdTag] = {}
    for start in range(0, len(wanted), 500):
        found.update((tag.id_tag, tag) for tag in IdTag.objects.filter(id_tag__in=wanted[start : start + 500]))
    return found


def id_tag_pks(*, id_tags: Iterable[str]) -> dict[str, int]:
    """The primary keys of the stored tags among `id_tags`, by value (chunked like id_tags_existing)."""
    wanted = list(dict.fromkeys(id_tags))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), 2000):
        found.update(IdTag.objects.filter(id_tag__in=wanted[start : start + 2000]).values_list("id_tag", "pk"))
    return found


def site_with_parents(*, site_id: int | None) -> list[int]:
    """A site and the sites it lies in (a circuit's site, ...), nearest first: a tag allowed on a site may
    charge on every circuit inside it."""
    chain: list[int] = []
    while site_id is not None and site_id not in chain:
        chain.append(site_id)
        site_id = Site.objects.filter(pk=site_id).values_list("parent_id", flat=True).first()
    return chain


def id_tags_allowed_at(*, charge_point: ChargePoint) -> QuerySet[IdTag]:
    """The tags that may charge at this charger, whatever their status (the status goes with each entry)."""
    site_ids = site_with_parents(site_id=charge_point.site_id)
    return IdTag.objects.filter(id_tag_allowed_at_charger(charge_point_pk=charge_point.pk, site_ids=site_ids))


def charger_site_ids(*, charge_point_pk: int) -> QuerySet[Site]:
    """The ids of the charger's site and of the sites it lies in, as a subquery (for a caller that has not read
    the charger: the authorization asks in the same query as it finds the tag). Three levels (a site, its
    circuit, a sub-circuit) in SQL; site_with_parents follows any depth for callers holding the charger."""
    charger = ChargePoint.objects.filter(pk=charge_point_pk)
    levels = ("site_id", "site__parent_id", "site__parent__parent_id")
    return Site.objects.filter(pk__in=[Subquery(charger.values(level)[:1]) for level in levels]).values("pk")


def id_tag_history(*, id_tag: str) -> QuerySet[IdTagChange]:
    """A tag's changes, newest first, by value: the history of a deleted tag (or of an earlier tag of the same
    value) stays readable."""
    return IdTagChange.objects.filter(id_tag=id_tag).select_related("user").order_by("-at", "-id")


@dataclass(frozen=True)
class IdTagPage:
    """One page of a tag list in id order, and where the neighbours start (None: there is none)."""

    tags: list[IdTag]
    next_after: str | None
    previous_before: str | None


def id_tag_page(*, tags: QuerySet[IdTag], after: str = "", before: str = "", size: int = 50) -> IdTagPage:
    """Keyset pagination by id tag: each page costs one indexed range query of size + 1 rows, whatever the
    page, and no COUNT(*) over 100 000 tags (an offset or a page count would)."""
    if before:
        rows = list(tags.filter(id_tag__lt=before).order_by("-id_tag")[: size + 1])
        more_before = len(rows) > size
        rows = rows[:size][::-1]
        return IdTagPage(rows, rows[-1].id_tag if rows else None, rows[0].id_tag if rows and more_before else None)
    if after:
        tags = tags.filter(id_tag__gt=after)
    rows = list(tags.order_by("id_tag")[: size + 1])
    more_after = len(rows) > size
    rows = rows[:size]
    return IdTagPage(rows, rows[-1].id_tag if more_after else None, rows[0].id_tag if rows and after else None)


def id_tag_allowed_at_charger(*, charge_point_pk: int, site_ids: object) -> Q:
    """Where a tag may charge, as a condition on IdTag rows (the one rule for the authorization, the local lists
    and the pages): everywhere when it names no charger and no site, else at the chargers it names and at those
    of the sites it names, circuits inside them included. `site_ids`: the charger's site and those it lies in, as
    a list (site_with_parents) or a subquery (charger_site_ids)."""
    chargers = IdTag.allowed_charge_points.through.objects.filter(idtag_id=OuterRef("pk"))
    sites = IdTag.allowed_sites.through.objects.filter(idtag_id=OuterRef("pk"))
    allowed = (~Exists(chargers) & ~Exists(sites)) | Exists(chargers.filter(chargepoint_id=charge_point_pk))
    if not isinstance(site_ids, list) or site_ids:  # an empty list: the charger stands on no site
        allowed |= Exists(sites.filter(site_id__in=site_ids))
    return allowed
