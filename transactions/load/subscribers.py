"""Load management's listener on the event stream (core/events.py), registered by the transactions app in every
process: a session that starts or stops, and the answer to one of its profiles, bring a round for that site; a
charger that connects gets its default profile. The work runs in a Celery worker, never in the process that
published (a daphne serving chargers): one query per batch here to find the sites, nothing more.
"""

from collections.abc import Sequence

from celery import current_app

from chargers.models import ChargePoint
from core import events
from transactions.load.models import LoadAllocation
from transactions.load.services import BALANCE_TASK

NAMES = ("transaction.started", "transaction.stopped", "command.finished", "charger.online")
# By name: the tasks module is this layer's sibling (.importlinter), and the worker is where they run anyway.
DEFAULT_PROFILE_TASK = "transactions.load.tasks.charger_default_profile"


def load_rounds_from_events(batch: Sequence[events.Event]) -> None:
    chargers = {e.charge_point_pk for e in batch if e.name in ("transaction.started", "transaction.stopped")}
    sites = set()
    if chargers:
        sites |= set(ChargePoint.objects.filter(pk__in=chargers, site__isnull=False).values_list("site_id", flat=True))
    answered = [e.command_pk for e in batch if e.name == "command.finished" and e.action == "SetChargingProfile"]
    if answered:
        sites |= set(LoadAllocation.objects.filter(command_id__in=answered).values_list("site_id", flat=True))
    for site_pk in sorted(sites):
        current_app.send_task(BALANCE_TASK, args=[site_pk])
    online = {e.charge_point_pk for e in batch if e.name == "charger.online"}
    if online:
        # Only chargers that stand somewhere: a reconnect storm of the fleet costs one query, not a task each.
        for pk in ChargePoint.objects.filter(pk__in=online, site__isnull=False).values_list("pk", flat=True):
            current_app.send_task(DEFAULT_PROFILE_TASK, args=[pk])


def subscribe_all() -> None:
    events.subscribe(load_rounds_from_events, names=NAMES)
