"""Writes for id tags: normalisation, create, change, delete and the bulk import."""

import re
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from rfid.models import IdTag, IdTagStatus
from rfid.selectors import id_tags_existing

_DELIMITERS = re.compile(r"[\s:\-.]")

__all__ = [
    "IdTagImportError",
    "id_tag_bulk_import",
    "id_tag_create",
    "id_tag_delete",
    "id_tag_exists_message",
    "id_tag_normalize",
    "id_tag_update",
]


def id_tag_normalize(*, raw: str) -> str:
    """The canonical form: upper case without delimiters ('77:fd:2a:fa' -> '77FD2AFA')."""
    return _DELIMITERS.sub("", raw.strip()).upper()


def id_tag_exists_message(*, id_tag: str) -> str:
    return f"An id tag {id_tag} already exists."


def id_tag_create(
    *,
    id_tag: str,
    status: str = IdTagStatus.ACCEPTED,
    expires_at: datetime | None = None,
    parent: IdTag | None = None,
    note: str = "",
    user=None,
) -> IdTag:
    tag = IdTag(
        id_tag=id_tag_normalize(raw=id_tag),
        status=status,
        expires_at=expires_at,
        parent=parent,
        note=note,
        user=user,
    )
    tag.full_clean()
    try:
        # A savepoint: the caller's transaction stays usable when the insert loses a race.
        with transaction.atomic():
            tag.save()
    except IntegrityError:
        # Another request stored the same tag between the check above and this insert: the same answer the
        # check would have given, keyed by the field.
        if not IdTag.objects.filter(id_tag=tag.id_tag).exists():
            raise
        raise ValidationError({"id_tag": [id_tag_exists_message(id_tag=tag.id_tag)]}) from None
    return tag


def id_tag_update(*, tag: IdTag, **changes) -> IdTag:
    for field, value in changes.items():
        if field == "id_tag":
            value = id_tag_normalize(raw=value)
        setattr(tag, field, value)
    tag.full_clean()
    tag.save()
    return tag


def id_tag_delete(*, tag: IdTag) -> None:
    """Forget a tag. Its transactions keep the idTag string; tags grouped under it lose their parent."""
    tag.delete()


class IdTagImportError(Exception):
    """What is wrong with a bulk import, by item index and field: {3: {"id_tag": ["..."]}}."""

    def __init__(self, errors: dict[int, dict[str, list[str]]]) -> None:
        super().__init__(f"{len(errors)} invalid item(s)")
        self.errors = errors


def id_tag_bulk_import(*, items: list[dict]) -> list[IdTag]:
    """Create many tags at once, all or nothing.

    Each item: id_tag (raw, normalised here), and optionally status, expires_at, parent_id_tag, note. A parent
    may be a stored tag or another item of the same import, in any order. Raises IdTagImportError naming every
    bad item and field; then nothing is stored.
    """
    errors = _ImportErrors()
    tags, first_index = _tags_from_items(items, errors)
    parents = {index: id_tag_normalize(raw=item.get("parent_id_tag") or "") for index, item in enumerate(items)}
    stored = id_tags_existing(id_tags=[*first_index, *(p for p in parents.values() if p)])
    _check_against_stored(tags, first_index, parents, stored, errors)
    if errors.by_index:
        raise IdTagImportError(errors.by_index)
    try:
        _store_with_parents(tags, first_index, parents, stored)
    except IntegrityError as exc:
        # Someone stored one of these tags since the check above.
        now_stored = id_tags_existing(id_tags=first_index)
        if not now_stored:
            raise
        raise IdTagImportError(
            {first_index[value]: {"id_tag": [id_tag_exists_message(id_tag=value)]} for value in now_stored}
        ) from exc
    return tags


class _ImportErrors:
    """Messages by item index and field, as IdTagImportError carries them."""

    def __init__(self) -> None:
        self.by_index: dict[int, dict[str, list[str]]] = {}

    def add(self, index: int, field: str, message: str) -> None:
        self.by_index.setdefault(index, {}).setdefault(field, []).append(message)


def _tags_from_items(items: list[dict], errors: _ImportErrors) -> tuple[list[IdTag], dict[str, int]]:
    """Unsaved tags, one per item, field rules checked; and the index of each id's first item."""
    tags: list[IdTag] = []
    first_index: dict[str, int] = {}
    for index, item in enumerate(items):
        tag = IdTag(
            id_tag=id_tag_normalize(raw=item.get("id_tag") or ""),
            status=item.get("status") or IdTagStatus.ACCEPTED,
            expires_at=item.get("expires_at"),
            note=item.get("note") or "",
        )
        try:
            # Field rules only (length, choices): uniqueness and parents are checked for the batch afterwards.
            tag.clean_fields(exclude=["parent", "user"])
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    errors.add(index, field, message)
        if tag.id_tag in first_index:
            errors.add(index, "id_tag", f"Repeats item {first_index[tag.id_tag]} ({tag.id_tag}).")
        elif tag.id_tag:
            first_index[tag.id_tag] = index
        tags.append(tag)
    return tags, first_index


def _check_against_stored(
    tags: list[IdTag],
    first_index: dict[str, int],
    parents: dict[int, str],
    stored: dict[str, IdTag],
    errors: _ImportErrors,
) -> None:
    for value, index in first_index.items():
        if value in stored:
            errors.add(index, "id_tag", id_tag_exists_message(id_tag=value))
    for index, parent in parents.items():
        if not parent:
            continue
        if parent == tags[index].id_tag:
            errors.add(index, "parent_id_tag", "A tag cannot be its own parent.")
        elif parent not in first_index and parent not in stored:
            errors.add(index, "parent_id_tag", f"Unknown parent id tag {parent}.")


def _store_with_parents(
    tags: list[IdTag], first_index: dict[str, int], parents: dict[int, str], stored: dict[str, IdTag]
) -> None:
    with transaction.atomic():
        IdTag.objects.bulk_create(tags, batch_size=500)
        # Not every database returns the new ids from a bulk insert: read them back when missing.
        if any(tag.pk is None for tag in tags):
            created = id_tags_existing(id_tags=first_index)
            for tag in tags:
                tag.pk = created[tag.id_tag].pk
        by_value = {tag.id_tag: tag for tag in tags}
        with_parent = []
        for index, parent in parents.items():
            if parent:
                tags[index].parent = by_value.get(parent) or stored[parent]
                with_parent.append(tags[index])
        IdTag.objects.bulk_update(with_parent, ["parent"], batch_size=500)
