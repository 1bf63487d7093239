"""The alerts' listener on the event stream (core/events.py), registered by the app in every process: each
committed batch is looked at once, and each rule costs at most a query or two per batch, never one per event
(a reconnect storm brings thousands of charger.online at once).

Meter values are the hot path (a thousand frames a second): a batch of them costs a set lookup against this
process's copy of the sessions that have an open silent alert, read at most every SILENT_CACHE_S seconds; only a
value of such a session costs a query (the one that clears its alert). Beat's sweep clears what a stale copy
missed.
"""

import threading
import time
from collections.abc import Sequence

from alerts import selectors, services
from core import events

NAMES = ("charger.offline", "charger.online", "charger.status", "transaction.stopped", "meter_values")
SILENT_CACHE_S = 5.0


class _SilentSessions:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pks: frozenset[int] = frozenset()
        self._read_at = float("-inf")

    def get(self) -> frozenset[int]:
        now = time.monotonic()
        if now - self._read_at >= SILENT_CACHE_S:
            with self._lock:
                if now - self._read_at >= SILENT_CACHE_S:
                    self._read_at = now
                    self._pks = selectors.sessions_silent_pks()
        return self._pks

    def forget(self) -> None:
        """Read again at the next batch (tests)."""
        self._read_at = float("-inf")


silent_sessions = _SilentSessions()


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
    if "meter_values" in by_name:
        _sessions_heard(by_name["meter_values"])


def _sessions_heard(readings: list[events.Event]) -> None:
    silent = silent_sessions.get()
    heard = {e.transaction_pk for e in readings if e.transaction_pk in silent}
    if heard:
        services.sessions_heard_observed(transaction_pks=sorted(heard))


def subscribe_all() -> None:
    events.subscribe(alerts_from_events, names=NAMES)
