"""Reads for id tags. Arguments are canonical id tags (see rfid.services.id_tag_normalize)."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet

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
    """The tags that may charge at this charger, whatever their status: those allowed everywhere (no site and
    no charger chosen), those that chose this charger, and those that chose its site or a site it lies in.
    (What belongs on its local list; the status goes with each entry.)"""
    everywhere = Q(allowed_sites__isnull=True) & Q(allowed_charge_points__isnull=True)
    here = Q(allowed_charge_points=charge_point)
    sites = site_with_parents(site_id=charge_point.site_id)
    if sites:
        here |= Q(allowed_sites__in=sites)
    # The joins over two many-to-many tables repeat a tag once per match: filter by id instead of distinct().
    return IdTag.objects.filter(pk__in=IdTag.objects.filter(everywhere | here).values("pk"))


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
