"""Reads for id tags. Arguments are canonical id tags (see rfid.services.id_tag_normalize)."""

from collections.abc import Iterable

from django.db.models import QuerySet

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


def id_tag_pks(*, id_tags: Iterable[str]) -> dict[str, int]:
    """The primary keys of the stored tags among `id_tags`, by value (chunked like id_tags_existing)."""
    wanted = list(dict.fromkeys(id_tags))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), 2000):
        found.update(IdTag.objects.filter(id_tag__in=wanted[start : start + 2000]).values_list("id_tag", "pk"))
    return found
