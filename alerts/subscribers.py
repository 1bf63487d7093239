"""The alerts' listener on the event stream (core/events.py), registered by the app in every process: each
committed batch is looked at once, and each rule costs at most a query or two per batch, never one per event
(a reconnect storm brings thousands of charger.online at once)."""

from collections.abc import Sequence

from alerts import services
from core import events

NAMES = ("charger.offline", "charger.online", "charger.status", "transaction.stopped")


def alerts_from_events(batch: Sequence[events.Event]) -> None:
    by_name: dict[str, list[events.Event]] = {}
    for event in batch:
        by_name.setdefault(event.name, []).append(event)
    if "charger.offline" in by_name:
        services.chargers_offline_observed(charge_point_pks=[e.charge_point_pk for e in by_name["charger.offline"]])
    if "charger.online" in by_name:
        services.chargers_online_observed(charge_point_pks=[e.charge_point_pk for e in by_name["charger.online"]])
    if "charger.status" in by_name:
        services.connector_statuses_observed(statuses=by_name["charger.status"])
    if "transaction.stopped" in by_name:
        services.sessions_stopped_observed(
            transaction_pks=[e.transaction_pk for e in by_name["transaction.stopped"] if e.transaction_pk]
        )


def subscribe_all() -> None:
    events.subscribe(alerts_from_events, names=NAMES)
