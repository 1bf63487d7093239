"""Writes of many id tags at once: the CSV import's rows, blocking or unblocking many, the JSON bulk import.

Each is one database transaction, stores its history rows with bulk_create (never a query per tag) and ends in
id_tags_changed, like the single writes in rfid/services/tags.py.
"""

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from rfid.bulk import ChangeRow, TagInsertRow, TagUpdateRow, id_tag_changes_insert, id_tags_insert, id_tags_update
from rfid.models import IdTag, IdTagChange, IdTagStatus
from rfid.selectors import id_tag_pks, id_tags_existing
from rfid.services.tags import ChangeAction, id_tag_change_row, id_tag_exists_message, id_tag_normalize, id_tags_changed

__all__ = [
    "IdTagImportError",
    "IdTagImportRow",
    "IdTagParentLoop",
    "IdTagsStoredMeanwhile",
    "id_tag_bulk_import",
    "id_tag_rows_in_levels",
    "id_tags_import",
    "id_tags_set_status",
]

# Rows per query: large enough to keep the round trips few, small enough for SQLite's parameter limit.
CHUNK = 2000


def chunked(items: Iterable, size: int = CHUNK) -> Iterator[list]:
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass(frozen=True, slots=True)
class IdTagImportRow:
    """One checked row of an import: canonical values, the owner resolved (id and name, for the history)."""

    id_tag: str
    status: str
    expires_at: datetime | None
    parent_id_tag: str | None
    owner_id: int | None
    owner: str | None

    def recorded(self) -> dict:
        return {
            "status": self.status,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "parent_id_tag": self.parent_id_tag,
            "owner": self.owner,
        }


class IdTagsStoredMeanwhile(Exception):
    """Tags an import meant to create were stored by someone else since its checks: nothing was written."""

    def __init__(self, id_tags: list[str]) -> None:
        super().__init__(f"Stored meanwhile: {', '.join(id_tags)}")
        self.id_tags = id_tags


class IdTagParentLoop(ValueError):
    """Rows whose groups lead back to themselves (A in group B, B in group A): none of them can be stored."""

    def __init__(self, id_tags: list[str]) -> None:
        super().__init__(f"Groups loop: {', '.join(id_tags)}")
        self.id_tags = id_tags


def id_tag_rows_in_levels(*, rows: Sequence[IdTagImportRow]) -> list[list[IdTagImportRow]]:
    """The rows by depth of their group inside the import (level 0: no group in the file), so that each level
    can be inserted knowing its parents' ids. Raises IdTagParentLoop naming the rows of a loop."""
    by_value = {row.id_tag: row for row in rows}
    depth: dict[str, int] = {}
    for row in rows:
        chain: list[str] = []
        value: str | None = row.id_tag
        while value in by_value and value not in depth:
            if value in chain:
                raise IdTagParentLoop(chain[chain.index(value) :])
            chain.append(value)
            value = by_value[value].parent_id_tag
        base = depth[value] + 1 if value in depth else 0
        for offset, member in enumerate(reversed(chain)):
            depth[member] = base + offset
    levels: list[list[IdTagImportRow]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for row in rows:
        levels[depth[row.id_tag]].append(row)
    return levels


def id_tags_import(
    *, rows: Sequence[IdTagImportRow], update_existing: bool = True, changed_by=None, source: str = "import"
) -> dict[str, int]:
    """Create the rows' tags that do not exist and update those that do, all or nothing; a row's parent is a
    stored tag or another row. Returns the counts: created, updated, unchanged. Without `update_existing`, a
    row whose tag exists raises IdTagsStoredMeanwhile (the caller checked before: someone stored it since)."""
    counts: Counter = Counter(created=0, updated=0, unchanged=0)
    in_file = {row.id_tag for row in rows}
    outside = {row.parent_id_tag for row in rows if row.parent_id_tag and row.parent_id_tag not in in_file}
    changed: list[str] = []
    with transaction.atomic():
        pks = id_tag_pks(id_tags=outside)
        for level in id_tag_rows_in_levels(rows=rows):
            for chunk in chunked(level):
                changed.extend(_import_chunk(chunk, pks, counts, changed_by, source, update_existing))
        id_tags_changed(id_tags=changed)
    return dict(counts)


_BEFORE_FIELDS = ("pk", "id_tag", "status", "expires_at", "parent__id_tag", "user__username")


def _before(values: dict) -> dict:
    return {
        "status": values["status"],
        "expires_at": values["expires_at"].isoformat() if values["expires_at"] else None,
        "parent_id_tag": values["parent__id_tag"],
        "owner": values["user__username"],
    }


def _import_chunk(
    chunk: list[IdTagImportRow], pks: dict[str, int], counts: Counter, changed_by, source, update_existing: bool
) -> list[str]:
    """Insert and update one chunk (its parents are in `pks` already); returns the values that changed."""
    stored = {
        v["id_tag"]: v for v in IdTag.objects.filter(id_tag__in=[r.id_tag for r in chunk]).values(*_BEFORE_FIELDS)
    }
    if stored and not update_existing:
        raise IdTagsStoredMeanwhile(sorted(stored))
    now = timezone.now()
    new: list[TagInsertRow] = []
    updates: list[TagUpdateRow] = []
    history: list[tuple[str, str, dict]] = []
    for row in chunk:
        parent_id = pks[row.parent_id_tag] if row.parent_id_tag else None
        after = row.recorded()
        if row.id_tag not in stored:
            new.append(TagInsertRow(row.id_tag, row.status, row.expires_at, parent_id, row.owner_id))
            history.append((row.id_tag, ChangeAction.CREATED, {f: [None, v] for f, v in after.items() if v}))
            continue
        before = _before(stored[row.id_tag])
        diff = {f: [before[f], after[f]] for f in after if before[f] != after[f]}
        pks[row.id_tag] = stored[row.id_tag]["pk"]
        if diff:
            updates.append(TagUpdateRow(pks[row.id_tag], row.status, row.expires_at, parent_id, row.owner_id))
            history.append((row.id_tag, ChangeAction.CHANGED, diff))
    pks.update(id_tags_insert(new, now=now))
    id_tags_update(updates, now=now)
    user_id = changed_by.pk if changed_by is not None and changed_by.is_authenticated else None
    id_tag_changes_insert(
        [ChangeRow(pks[value], value, now, user_id, source, action, changes) for value, action, changes in history]
    )
    counts.update(created=len(new), updated=len(updates), unchanged=len(chunk) - len(new) - len(updates))
    return [value for value, _, _ in history]


def id_tags_set_status(*, tags: QuerySet[IdTag], status: str, changed_by=None, source: str = "") -> int:
    """Give every tag of `tags` (a filtered list, or the chosen ones) this status; returns how many changed."""
    now = timezone.now()
    user_id = changed_by.pk if changed_by is not None and changed_by.is_authenticated else None
    changed: list[str] = []
    with transaction.atomic():
        # Read first, then write: an open cursor over the rows being updated behaves differently per database.
        rows = list(tags.exclude(status=status).order_by().values_list("pk", "id_tag", "status"))
        for chunk in chunked(rows):
            IdTag.objects.filter(pk__in=[pk for pk, _, _ in chunk]).update(status=status, updated_at=now)
            id_tag_changes_insert(
                [
                    ChangeRow(pk, value, now, user_id, source, ChangeAction.CHANGED, {"status": [before, status]})
                    for pk, value, before in chunk
                ]
            )
            changed.extend(value for _, value, _ in chunk)
        id_tags_changed(id_tags=changed)
    return len(changed)


# --- The JSON bulk import (POST id-tags/bulk/) ---------------------------------------------------------


class IdTagImportError(Exception):
    """What is wrong with a bulk import, by item index and field: {3: {"id_tag": ["..."]}}."""

    def __init__(self, errors: dict[int, dict[str, list[str]]]) -> None:
        super().__init__(f"{len(errors)} invalid item(s)")
        self.errors = errors


def id_tag_bulk_import(*, items: list[dict], changed_by=None, source: str = "api") -> list[IdTag]:
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
        _store_with_parents(tags, first_index, parents, stored, changed_by, source)
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
    tags: list[IdTag],
    first_index: dict[str, int],
    parents: dict[int, str],
    stored: dict[str, IdTag],
    changed_by,
    source,
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
        IdTagChange.objects.bulk_create(
            id_tag_change_row(
                tag=tag,
                id_tag=tag.id_tag,
                action=ChangeAction.CREATED,
                changes=_created(tag),
                changed_by=changed_by,
                source=source,
            )
            for tag in tags
        )
        id_tags_changed(id_tags=list(by_value))


def _created(tag: IdTag) -> dict:
    after = {
        "status": tag.status,
        "expires_at": tag.expires_at.isoformat() if tag.expires_at else None,
        "parent_id_tag": tag.parent.id_tag if tag.parent else None,
        "note": tag.note,
    }
    return {field: [None, value] for field, value in after.items() if value}
