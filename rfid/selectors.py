"""Reads for id tags. Arguments are canonical id tags (see rfid.services.id_tag_normalize)."""

from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Q, QuerySet

from rfid.models import IdTag


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


def id_tag_allowed_at_charger(*, charge_point_pk: int, site_id: object) -> Q:
    """Where a tag may charge, as a condition on IdTag rows: everywhere when it names no charger and no site,
    else at the chargers it names and at those of the sites it names. `site_id` is the charger's site: a value,
    None, or an expression (a subquery) when the caller has not read the charger."""
    chargers = IdTag.allowed_charge_points.through.objects.filter(idtag_id=OuterRef("pk"))
    sites = IdTag.allowed_sites.through.objects.filter(idtag_id=OuterRef("pk"))
    allowed = (~Exists(chargers) & ~Exists(sites)) | Exists(chargers.filter(chargepoint_id=charge_point_pk))
    if site_id is not None:
        allowed |= Exists(sites.filter(site_id=site_id))
    return allowed
