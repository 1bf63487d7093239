"""Raw SQL of the rfid app (rule 11): each statement beside its ORM twin, the twins tested on the same cases
(tests/rfid/test_bulk.py). The raw one runs on PostgreSQL, where benchmarks/id_tag_import.py asked for it (the
ORM's bulk_create made a model object per row and bulk_update a CASE per field per row: 100 000 tags took 39 s
to create and 300 s to update); the ORM one everywhere else (SQLite).
"""

import json
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from django.db import connection

from rfid.models import IdTag, IdTagChange


class TagInsertRow(NamedTuple):
    id_tag: str
    status: str
    expires_at: datetime | None
    parent_id: int | None
    user_id: int | None


class TagUpdateRow(NamedTuple):
    pk: int
    status: str
    expires_at: datetime | None
    parent_id: int | None
    user_id: int | None


class ChangeRow(NamedTuple):
    """One rfid_idtagchange row (the history), every column but the id."""

    tag_id: int | None
    id_tag: str
    at: datetime
    user_id: int | None
    source: str
    action: str
    changes: dict


def _on_postgresql() -> bool:
    return connection.vendor == "postgresql"


# --- New tags ---------------------------------------------------------------------------------------------


def id_tags_insert(rows: Sequence[TagInsertRow], *, now: datetime) -> dict[str, int]:
    """Insert new tags (label and note empty); returns their ids by value."""
    if not rows:
        return {}
    return (id_tags_insert_sql if _on_postgresql() else id_tags_insert_orm)(rows, now=now)


def id_tags_insert_orm(rows: Sequence[TagInsertRow], *, now: datetime) -> dict[str, int]:
    tags = IdTag.objects.bulk_create(
        [IdTag(**row._asdict(), created_at=now, updated_at=now) for row in rows], batch_size=500
    )
    pks = {tag.id_tag: tag.pk for tag in tags}
    if any(pk is None for pk in pks.values()):
        # Not every database returns the new ids from a bulk insert: read them back.
        pks = dict(IdTag.objects.filter(id_tag__in=list(pks)).values_list("id_tag", "pk"))
    # auto_now gave updated_at the clock of the insert: the twin's `now`, like the raw statement's.
    IdTag.objects.filter(pk__in=list(pks.values())).update(updated_at=now)
    return pks


_INSERT_TAGS = """
    INSERT INTO rfid_idtag (id_tag, status, expires_at, parent_id, user_id, label, note, created_at, updated_at)
    SELECT v.id_tag, v.status, v.expires_at, v.parent_id, v.user_id, '', '', %s, %s
    FROM unnest(%s::varchar[], %s::varchar[], %s::timestamptz[], %s::bigint[], %s::integer[])
        AS v(id_tag, status, expires_at, parent_id, user_id)
    RETURNING id_tag, id
"""


def id_tags_insert_sql(rows: Sequence[TagInsertRow], *, now: datetime) -> dict[str, int]:
    """One statement for the whole list: the columns travel as five arrays."""
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_TAGS, [now, now, *(list(column) for column in zip(*rows, strict=True))])
        return dict(cursor.fetchall())


# --- Changed tags -----------------------------------------------------------------------------------------


def id_tags_update(rows: Sequence[TagUpdateRow], *, now: datetime) -> None:
    """Set status, expiry, group and owner of stored tags (by id)."""
    if rows:
        (id_tags_update_sql if _on_postgresql() else id_tags_update_orm)(rows, now=now)


def id_tags_update_orm(rows: Sequence[TagUpdateRow], *, now: datetime) -> None:
    IdTag.objects.bulk_update(
        [IdTag(**row._asdict(), updated_at=now) for row in rows],
        ["status", "expires_at", "parent", "user", "updated_at"],
        batch_size=200,
    )


_UPDATE_TAGS = """
    UPDATE rfid_idtag AS t
    SET status = v.status, expires_at = v.expires_at, parent_id = v.parent_id, user_id = v.user_id, updated_at = %s
    FROM unnest(%s::bigint[], %s::varchar[], %s::timestamptz[], %s::bigint[], %s::integer[])
        AS v(id, status, expires_at, parent_id, user_id)
    WHERE t.id = v.id
"""


def id_tags_update_sql(rows: Sequence[TagUpdateRow], *, now: datetime) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_UPDATE_TAGS, [now, *(list(column) for column in zip(*rows, strict=True))])


# --- History ----------------------------------------------------------------------------------------------


def id_tag_changes_insert(rows: Sequence[ChangeRow]) -> None:
    if rows:
        (id_tag_changes_insert_sql if _on_postgresql() else id_tag_changes_insert_orm)(rows)


def id_tag_changes_insert_orm(rows: Sequence[ChangeRow]) -> None:
    IdTagChange.objects.bulk_create([IdTagChange(**row._asdict()) for row in rows], batch_size=500)


_INSERT_CHANGES = """
    INSERT INTO rfid_idtagchange (tag_id, id_tag, at, user_id, source, action, changes)
    SELECT v.tag_id, v.id_tag, v.at, v.user_id, v.source, v.action, v.changes::jsonb
    FROM unnest(%s::bigint[], %s::varchar[], %s::timestamptz[], %s::integer[], %s::varchar[], %s::varchar[], %s::text[])
        AS v(tag_id, id_tag, at, user_id, source, action, changes)
"""


def id_tag_changes_insert_sql(rows: Sequence[ChangeRow]) -> None:
    columns = [list(column) for column in zip(*rows, strict=True)]
    # The JSON goes as text and is cast in the statement (an array of jsonb would need a dumper per element).
    columns[-1] = [json.dumps(changes) for changes in columns[-1]]
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_CHANGES, columns)
