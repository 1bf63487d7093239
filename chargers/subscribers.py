"""In-process listeners of the event stream (core/events.py) that keep the chargers app's rows true.

A connector's power is the newest reading, kept on its row for the pages and the API; nothing reports 0 W when a
session ends, so without these a stopped connector would show its last power for ever.
"""

from collections.abc import Sequence

from chargers.services.connectors import IDLE_STATUSES, connector_power_clear
from core import events

NAMES = ("transaction.stopped", "charger.status")


def power_cleared_when_idle(batch: Sequence[events.Event]) -> None:
    for event in batch:
        if event.name == "transaction.stopped":
            connector_power_clear(
                charge_point_pk=event.charge_point_pk, connector_id=event.connector_id, since=event.stopped_at
            )
        elif event.name == "charger.status" and event.status in IDLE_STATUSES:
            connector_power_clear(
                charge_point_pk=event.charge_point_pk, connector_id=event.connector_id, since=event.timestamp
            )


def subscribe_all() -> None:
    events.subscribe(power_cleared_when_idle, names=NAMES)
