"""The webhooks' outbound sink on the event bus (core/events.py), registered by the app in every process.

The bus asks `wants(name)` for every event it publishes, on the hot path of the chargers' frames: the answer
comes from this process's copy of the subscribed event names, read from the database at most once every
WEBHOOK_EVENTS_CACHE_S seconds, so an event nobody subscribed to costs a set lookup and never a query. A new
subscription is therefore heard within that many seconds.
"""

import logging
import threading
import time

from django.conf import settings

from core import events
from webhooks import selectors

logger = logging.getLogger(__name__)

DELIVER_TASK = "webhooks.tasks.events_deliver"
_WARN_EVERY_S = 60.0


class SubscribedNames:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._names: frozenset[str] = frozenset()
        self._read_at = float("-inf")
        self._warned_at = float("-inf")

    def wants(self, name: str) -> bool:
        return name in self.get()

    def get(self) -> frozenset[str]:
        now = time.monotonic()
        if now - self._read_at < settings.WEBHOOK_EVENTS_CACHE_S:
            return self._names
        with self._lock:
            if now - self._read_at >= settings.WEBHOOK_EVENTS_CACHE_S:
                self._read_at = now
                self._names = self._read()
        return self._names

    def _read(self) -> frozenset[str]:
        try:
            return selectors.subscribed_event_names()
        except Exception as error:
            # Never into the publisher (the bus calls `wants` outside its own guard): a database away, or a call
            # from an event loop, keeps the names we knew.
            now = time.monotonic()
            if now - self._warned_at >= _WARN_EVERY_S:
                self._warned_at = now
                logger.warning("webhooks: subscribed events unreadable, keeping the last known: %s", error)
            return self._names

    def forget(self) -> None:
        """Read again at the next event (tests)."""
        self._read_at = float("-inf")


subscribed_names = SubscribedNames()


def register() -> None:
    events.outbound_register(events.OutboundSink(wants=subscribed_names.wants, task=DELIVER_TASK))
