"""Celery tasks of the local-list sync (an edge: it hands the services their payload check)."""

import logging

from celery import shared_task
from django.core.cache import cache

from chargers.models import ChargePoint
from rfid.locallist.schedule import DEBOUNCE_KEY
from rfid.locallist.services import local_list_sync, local_lists_sync_all

logger = logging.getLogger(__name__)


def _built_here(action: str, payload: dict) -> None:
    """The payload check the command services ask for. These payloads are built by the sync itself from stored,
    canonical tags (never from a request), and rfid may not enter the protocol room where the schema check lives
    (.importlinter): there is nothing to check, and 100 000 entries are not run through a schema for nothing."""
    return None


@shared_task(name="rfid.locallist.tasks.local_lists_sync", ignore_result=True)
def local_lists_sync(debounced: bool = False) -> dict[str, int]:
    """Every charger's list: after a burst of tag changes (debounced), or beat's safety tick, which compares only
    when a tag changed since a list's last sync (a hook lost with the broker, a bulk write without one)."""
    if debounced:
        # Changes from now on schedule the next sync; this one reads everything committed so far.
        cache.delete(DEBOUNCE_KEY)
    return local_lists_sync_all(check_payload=_built_here, only_if_changed=not debounced)


@shared_task(name="rfid.locallist.tasks.local_list_sync_one", ignore_result=True)
def local_list_sync_one(charge_point_pk: int) -> str:
    """One charger's list (it came online, answered, or an operator asked). A Full update due is always sent;
    otherwise the list is compared only when a tag changed since its last sync: a fleet reconnecting after a
    restart costs no comparison of 100 000 tags per charger (what changed meanwhile is queued already)."""
    charge_point = ChargePoint.objects.select_related("charger_model").filter(pk=charge_point_pk).first()
    if charge_point is None:
        return "gone"
    return local_list_sync(charge_point=charge_point, check_payload=_built_here, only_if_changed=True).kind
