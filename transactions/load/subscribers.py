"""Load management's listener on the event stream (core/events.py), registered by the transactions app in every
process: a session that starts or stops, and the answer to one of its TxProfiles, bring a round for that site (the
answer to a default does not: it only lets the loop count a lowered default lower, which the next round does); a
charger that connects brings a round that sends it its default profile (one round per site for the batch's
chargers). The work runs in a Celery worker, never in the process that published (a daphne serving chargers): one
query per batch here to find the sites, nothing more.
"""

from collections.abc import Sequence

from celery import current_app

from chargers.models import ChargePoint
from core import events
from transactions.load.models import LoadAllocation
from transactions.load.services import BALANCE_TASK

NAMES = ("transaction.started", "transaction.stopped", "command.finished", "charger.online")


def load_rounds_from_events(batch: Sequence[events.Event]) -> None:
    chargers = {e.charge_point_pk for e in batch if e.name in ("transaction.started", "transaction.stopped")}
    sites = set()
    if chargers:
        sites |= set(ChargePoint.objects.filter(pk__in=chargers, site__isnull=False).values_list("site_id", flat=True))
    answered = [e.command_pk for e in batch if e.name == "command.finished" and e.action == "SetChargingProfile"]
    if answered:
        sites |= set(LoadAllocation.objects.filter(command_id__in=answered).values_list("site_id", flat=True))
    online: dict[int, list[int]] = {}
    connected = {e.charge_point_pk for e in batch if e.name == "charger.online"}
    if connected:
        # Only chargers that stand somewhere: a reconnect storm of the fleet costs one query and a round per site.
        for pk, site_pk in ChargePoint.objects.filter(pk__in=connected, site__isnull=False).values_list(
            "pk", "site_id"
        ):
            online.setdefault(site_pk, []).append(pk)
    for site_pk in sorted((sites - {None}) | set(online)):
        current_app.send_task(BALANCE_TASK, args=[site_pk, sorted(online.get(site_pk, []))])


def subscribe_all() -> None:
    events.subscribe(load_rounds_from_events, names=NAMES)
