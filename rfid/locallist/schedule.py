"""When a local-list sync runs: the hooks that ask for one, debounced, through Celery (tasks by name: the task
module imports the services, and this module is imported by whoever changes tags, which the services must not
import back).

`local_lists_tags_changed()` is THE hook for whoever changes id tags (rfid/services/tags.py, the CSV import, the
API, the admin): call it inside or after the transaction that changed them. The signals in rfid/locallist/signals.py
call it for single saves and deletes; a bulk write (bulk_create, update()) fires no signal and must call it.
A burst of calls within RFID_LOCAL_LIST_DEBOUNCE_S gives one sync, hence one Differential per charger.
"""

import logging
import time

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

SYNC_ALL_TASK = "rfid.locallist.tasks.local_lists_sync"
SYNC_ONE_TASK = "rfid.locallist.tasks.local_list_sync_one"
# Set while a debounced sync of every list is on its way (in the shared cache: every process sees it).
DEBOUNCE_KEY = "rfid:locallist:sync-scheduled"

__all__ = ["DEBOUNCE_KEY", "local_list_sync_soon", "local_lists_tags_changed"]

# When this process last scheduled the debounced sync itself (time.monotonic()).
_scheduled_at = -1e9


def local_lists_tags_changed() -> None:
    """Id tags changed: every charger's local list follows, once the change is committed, after the debounce
    (a transaction that rolls back schedules nothing)."""
    transaction.on_commit(_schedule_all)


def _schedule_all() -> None:
    global _scheduled_at
    delay = settings.RFID_LOCAL_LIST_DEBOUNCE_S
    # A change within half the debounce of this process's own scheduling is read by that sync (it starts a whole
    # debounce after it was scheduled): no need to ask the cache again for each of a thousand saves.
    if time.monotonic() - _scheduled_at < delay / 2:
        return
    try:
        # Only the first change of a burst schedules; the key outlives the countdown so that a late worker
        # does not let a second sync be scheduled meanwhile (the task deletes it when it starts).
        if cache.add(DEBOUNCE_KEY, 1, timeout=max(60, int(delay * 4))):
            current_app.signature(SYNC_ALL_TASK, kwargs={"debounced": True}).apply_async(countdown=delay)
            _scheduled_at = time.monotonic()
    except Exception as error:
        # The tags are committed; beat's periodic sync (CELERY_BEAT_SCHEDULE) carries the change within minutes.
        logger.warning("local lists: sync not scheduled (%s); beat's tick will carry it", error)


def local_list_sync_soon(*, charge_point_pk: int, countdown: float = 1.0) -> None:
    """Sync one charger's list shortly after commit (it came online, it answered, an operator asked)."""

    def schedule() -> None:
        try:
            current_app.signature(SYNC_ONE_TASK, args=[charge_point_pk]).apply_async(countdown=countdown)
        except Exception as error:
            logger.warning("local list of charger %s: sync not scheduled (%s)", charge_point_pk, error)

    transaction.on_commit(schedule)
