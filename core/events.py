"""One event stream out of the services (DESIGN rule 9).

A service says what happened with `publish(events)`; the events leave once its transaction commits, as one batch
(a group commit publishes once, not once per row), to three kinds of listener:
- in-process subscribers (`subscribe`): alerts, load management, tests;
- channel-layer groups that browser consumers join (`FLEET`, `charger_group(pk)`, `transaction_group(pk)`), one
  message per group per batch, and only to groups somebody watches (`groups_watch`);
- outbound sinks (`outbound_register`, webhooks), run by a Celery task so that no service waits on the network.

Publishing never raises into the service that published: the data is committed by then, and a listener's trouble
(Redis away, a subscriber's bug) is logged, not passed on.
"""

import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import Any, ClassVar

from django.db import transaction

from core import event_groups

logger = logging.getLogger(__name__)

FLEET = event_groups.FLEET
charger_group = event_groups.charger_group
transaction_group = event_groups.transaction_group


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Something that happened, as plain values. Subclasses set `name` and say which groups may see it."""

    name: ClassVar[str] = ""

    def groups(self) -> tuple[str, ...]:
        return (FLEET,)

    def data(self) -> dict[str, Any]:
        return {field.name: _plain(getattr(self, field.name)) for field in fields(self)}


def _plain(value: Any) -> Any:
    """JSON-ready: datetimes as ISO 8601 UTC, Decimals as strings (energy keeps its precision)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, Decimal):
        return str(value)
    return value


def envelope(event: Event) -> dict[str, Any]:
    """The shape every listener outside the process sees (the webhook body of INTERFACES.md)."""
    return envelope_of(name=event.name, data=event.data())


def envelope_of(*, name: str, data: dict[str, Any]) -> dict[str, Any]:
    """The same shape for an event that crossed the channel layer as plain values (the integrators' websocket)."""
    return {"event": name, "id": str(uuid.uuid4()), "created": _plain(datetime.now(UTC)), "data": data}


# --- Listeners ------------------------------------------------------------------------------------------------

Subscriber = Callable[[Sequence[Event]], None]
_subscribers: list[tuple[frozenset[str] | None, Subscriber]] = []


def subscribe(handler: Subscriber, *, names: Iterable[str] | None = None) -> Callable[[], None]:
    """Call `handler` with each committed batch (only the events named, when `names` is given); returns the
    function that unsubscribes it."""
    entry = (frozenset(names) if names is not None else None, handler)
    _subscribers.append(entry)
    return partial(_unsubscribe, entry)


def _unsubscribe(entry: tuple[frozenset[str] | None, Subscriber]) -> None:
    if entry in _subscribers:
        _subscribers.remove(entry)


@dataclass(frozen=True)
class OutboundSink:
    """A listener outside the process (webhooks). `wants` is asked in the publishing process and must be cheap;
    `task` is the name of the Celery task that receives the envelopes of the events it wants."""

    wants: Callable[[str], bool]
    task: str


_outbound: list[OutboundSink] = []


def outbound_register(sink: OutboundSink) -> None:
    if sink not in _outbound:
        _outbound.append(sink)


# --- Publishing -----------------------------------------------------------------------------------------------


def publish(events: Iterable[Event]) -> None:
    """Hand `events` to every listener once the current transaction commits (at once outside a transaction)."""
    batch = tuple(events)
    if batch:
        transaction.on_commit(partial(deliver, batch))


def deliver(batch: Sequence[Event]) -> None:
    """Deliver a committed batch; each kind of listener fails on its own."""
    _to_subscribers(batch)
    _to_outbound(batch)
    _to_groups(batch)


def _to_subscribers(batch: Sequence[Event]) -> None:
    for names, handler in list(_subscribers):
        chosen = batch if names is None else [event for event in batch if event.name in names]
        if not chosen:
            continue
        try:
            handler(chosen)
        except Exception:
            logger.exception("event subscriber %r failed on %d event(s)", handler, len(chosen))


def _to_outbound(batch: Sequence[Event]) -> None:
    for sink in list(_outbound):
        envelopes = [envelope(event) for event in batch if sink.wants(event.name)]
        if not envelopes:
            continue
        try:
            # By name: the bus sits below the apps whose tasks module defines the task.
            event_groups.celery_send(sink.task, envelopes)
        except Exception as error:
            logger.warning("events: %d outbound event(s) for %s not queued: %s", len(envelopes), sink.task, error)


def _to_groups(batch: Sequence[Event]) -> None:
    watched = event_groups.watched_groups()
    if not watched:
        return
    per_group: dict[str, list[dict]] = {}
    for event in batch:
        item = None  # built once per event, whichever of its groups are watched (a reading has three)
        for group in event.groups():
            if group in watched:
                item = item or {"event": event.name, "data": event.data()}
                per_group.setdefault(group, []).append(item)
    if per_group:
        event_groups.group_send_many(
            {group: {"type": "portal.events", "events": items} for group, items in per_group.items()}
        )
