"""Every write to a tag through the ORM asks for a sync (the hook in schedule.py), whoever makes it: the tag
services, the admin, the API. Bulk writes (bulk_create, QuerySet.update) fire no signal: their callers call
`local_lists_tags_changed()` themselves."""

from django.db.models.signals import m2m_changed, post_delete, post_save

from rfid.locallist.schedule import local_lists_tags_changed
from rfid.models import IdTag


def _changed(**kwargs: object) -> None:
    local_lists_tags_changed()


def connect_all() -> None:
    post_save.connect(_changed, sender=IdTag, dispatch_uid="locallist-tag-saved")
    post_delete.connect(_changed, sender=IdTag, dispatch_uid="locallist-tag-deleted")
    for field in ("allowed_sites", "allowed_charge_points"):
        m2m_changed.connect(_changed, sender=getattr(IdTag, field).through, dispatch_uid=f"locallist-tag-{field}")
