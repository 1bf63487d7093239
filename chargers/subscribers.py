"""In-process listeners of the event stream (core/events.py) that keep the chargers app's rows true.

A connector's power is the newest reading, kept on its row for the pages and the API; nothing reports 0 W when a
session ends, so without these a stopped connector would show its last power for ever.
"""

from collections.abc import Sequence

from chargers.bulk import PowerClear
from chargers.services.connectors import IDLE_STATUSES, connectors_power_clear
from core import events

NAMES = ("transaction.stopped", "charger.status")


def power_cleared_when_idle(batch: Sequence[events.Event]) -> None:
    """One statement for the batch (a group commit of stops or statuses publishes hundreds at once)."""
    items = []
    for event in batch:
        if event.name == "transaction.stopped":
            items.append(PowerClear(event.charge_point_pk, event.connector_id, event.stopped_at))
        elif event.name == "charger.status" and event.status in IDLE_STATUSES:
            items.append(PowerClear(event.charge_point_pk, event.connector_id, event.timestamp))
    connectors_power_clear(items=items)


def subscribe_all() -> None:
    events.subscribe(power_cleared_when_idle, names=NAMES)
