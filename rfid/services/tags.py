"""Writes for id tags, one at a time: normalisation, create, change, delete, block, and the history of each.

Every write ends in `_tags_changed`, the one place where the chargers' local lists learn of it (wired by the
sync). The bulk writes (JSON bulk, CSV import, block/unblock many) are in rfid/services/tag_bulk.py and end there
too.
"""

import re
from collections.abc import Collection, Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from rfid.locallist.schedule import local_lists_tags_changed
from rfid.models import IdTag, IdTagChange, IdTagStatus

_DELIMITERS = re.compile(r"[\s:\-.]")

# What the history records of a tag, in this order; the many-to-many ones need the tag saved.
HISTORY_FIELDS = (
    "status",
    "expires_at",
    "parent_id_tag",
    "owner",
    "label",
    "note",
    "allowed_sites",
    "allowed_charge_points",
)
MANY_TO_MANY_FIELDS = ("allowed_sites", "allowed_charge_points")


class ChangeAction:
    CREATED = "created"
    CHANGED = "changed"
    DELETED = "deleted"


__all__ = [
    "HISTORY_FIELDS",
    "ChangeAction",
    "id_tag_change_row",
    "id_tag_create",
    "id_tag_delete",
    "id_tag_exists_message",
    "id_tag_normalize",
    "id_tag_record_change",
    "id_tag_snapshot",
    "id_tag_update",
    "id_tags_changed",
]


def id_tag_normalize(*, raw: str) -> str:
    """The canonical form: upper case without delimiters ('77:fd:2a:fa' -> '77FD2AFA')."""
    return _DELIMITERS.sub("", raw.strip()).upper()


def id_tag_exists_message(*, id_tag: str) -> str:
    return f"An id tag {id_tag} already exists."


def id_tags_changed(*, id_tags: Collection[str]) -> None:
    """THE place where every tag write ends (single, bulk, import, delete), inside its database transaction,
    with the canonical values of the tags created, changed or deleted: the chargers' local lists follow, once the
    write is committed (a rolled-back import sends nothing to any charger). Bulk writes fire no model signal, so
    this call is what tells the sync of them."""
    if id_tags:
        local_lists_tags_changed()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _snapshot(tag: IdTag) -> dict:
    """The tag's recorded fields as JSON values (the history compares these)."""
    saved = tag.pk is not None
    return {
        "status": tag.status,
        "expires_at": _iso(tag.expires_at),
        "parent_id_tag": tag.parent.id_tag if tag.parent_id else None,
        "owner": tag.user.get_username() if tag.user_id else None,
        "label": tag.label,
        "note": tag.note,
        "allowed_sites": sorted(s.name for s in tag.allowed_sites.all()) if saved else [],
        "allowed_charge_points": sorted(c.charge_point_id for c in tag.allowed_charge_points.all()) if saved else [],
    }


def id_tag_snapshot(*, tag: IdTag) -> dict:
    """What the history compares, for a writer that saves the tag itself (the admin's form) and records after."""
    return _snapshot(tag)


def id_tag_record_change(*, tag: IdTag, before: dict | None, changed_by=None, source: str = "") -> None:
    """Record a write made elsewhere (the admin saves its form itself): `before` is id_tag_snapshot() taken
    before it, None for a new tag. Nothing changed: nothing recorded."""
    after = _snapshot(tag)
    if before is None:
        action, changes = ChangeAction.CREATED, {f: [None, v] for f, v in after.items() if v not in (None, "", [])}
    else:
        action, changes = ChangeAction.CHANGED, _diff(before, after)
    if changes:
        with transaction.atomic():
            id_tag_change_row(
                tag=tag, id_tag=tag.id_tag, action=action, changes=changes, changed_by=changed_by, source=source
            ).save()
            id_tags_changed(id_tags=[tag.id_tag])


def _diff(before: dict, after: dict) -> dict:
    return {
        field: [before.get(field), after.get(field)]
        for field in HISTORY_FIELDS
        if before.get(field) != after.get(field)
    }


def id_tag_change_row(
    *, tag: IdTag | None, id_tag: str, action: str, changes: dict, changed_by=None, source: str = "", at=None
) -> IdTagChange:
    """One unsaved history row (the bulk writes store many with one bulk_create)."""
    return IdTagChange(
        tag=tag,
        id_tag=id_tag,
        action=action,
        changes=changes,
        user=changed_by if changed_by is not None and changed_by.is_authenticated else None,
        source=source,
        at=at or timezone.now(),
    )


def _set_places(tag: IdTag, places: dict) -> None:
    for field in MANY_TO_MANY_FIELDS:
        if field in places:
            getattr(tag, field).set(places[field] or [])


def id_tag_create(
    *,
    id_tag: str,
    status: str = IdTagStatus.ACCEPTED,
    expires_at: datetime | None = None,
    parent: IdTag | None = None,
    note: str = "",
    label: str = "",
    user=None,
    allowed_sites: Iterable | None = None,
    allowed_charge_points: Iterable | None = None,
    changed_by=None,
    source: str = "",
) -> IdTag:
    """A new tag; `user` is its owner (a customer), `changed_by` who made it (for the history)."""
    tag = IdTag(
        id_tag=id_tag_normalize(raw=id_tag),
        status=status,
        expires_at=expires_at,
        parent=parent,
        note=note,
        label=label,
        user=user,
    )
    tag.full_clean()
    try:
        # A savepoint: the caller's transaction stays usable when the insert loses a race.
        with transaction.atomic():
            tag.save()
            _set_places(tag, {"allowed_sites": allowed_sites, "allowed_charge_points": allowed_charge_points})
            id_tag_record_change(tag=tag, before=None, changed_by=changed_by, source=source)
    except IntegrityError:
        # Another request stored the same tag between the check above and this insert: the same answer the
        # check would have given, keyed by the field.
        if not IdTag.objects.filter(id_tag=tag.id_tag).exists():
            raise
        raise ValidationError({"id_tag": [id_tag_exists_message(id_tag=tag.id_tag)]}) from None
    return tag


def id_tag_update(*, tag: IdTag, changed_by=None, source: str = "", **changes) -> IdTag:
    """Change fields of a tag (model field names; `user` is the owner; allowed_sites and allowed_charge_points
    take lists). Records what changed; a change to nothing records nothing."""
    before = _snapshot(tag)
    places = {field: changes.pop(field) for field in MANY_TO_MANY_FIELDS if field in changes}
    for field, value in changes.items():
        setattr(tag, field, id_tag_normalize(raw=value) if field == "id_tag" else value)
    tag.full_clean()
    with transaction.atomic():
        tag.save()
        _set_places(tag, places)
        id_tag_record_change(tag=tag, before=before, changed_by=changed_by, source=source)
    return tag


def id_tag_delete(*, tag: IdTag, changed_by=None, source: str = "") -> None:
    """Forget a tag. Its transactions keep the idTag string; tags grouped under it lose their parent; its
    history stays, by value."""
    with transaction.atomic():
        before = _snapshot(tag)
        value = tag.id_tag
        members = list(tag.children.values_list("pk", "id_tag"))
        tag.delete()
        # Its members lose their group (SET_NULL): that is a change of theirs too.
        IdTagChange.objects.bulk_create(
            id_tag_change_row(
                tag=IdTag(pk=pk),
                id_tag=member,
                action=ChangeAction.CHANGED,
                changes={"parent_id_tag": [value, None]},
                changed_by=changed_by,
                source=source,
            )
            for pk, member in members
        )
        id_tag_change_row(
            tag=None,
            id_tag=value,
            action=ChangeAction.DELETED,
            changes={f: [v, None] for f, v in before.items() if v not in (None, "", [])},
            changed_by=changed_by,
            source=source,
        ).save()
        id_tags_changed(id_tags=[value, *(member for _, member in members)])
