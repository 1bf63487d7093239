"""Events that reach a person's own feed (`events.user.<pk>`, the `mine` feed of live/access.py).

A session's start names the card, not its owner, and the bus sends an event only to the groups its class names.
So this in-process subscriber (core/events.py `subscribe`) looks the owner up and passes the start on to the
owner's group. It costs the StartTransaction path nothing unless somebody watches a person's feed, and then one
query: the owner is asked for only while some `events.user.*` group is watched (groups_watch).
"""

from collections.abc import Sequence
from functools import lru_cache

from core import event_groups
from core.events import Event, subscribe
from live import selectors
from transactions.events import TransactionStarted

# The events a person's feed gets. The rest of a session (readings, its stop) reaches the page through the
# session's own feed, which it watches as soon as it shows the session.
OWNER_EVENTS: tuple[type[Event], ...] = (TransactionStarted,)
OWNER_EVENT_NAMES = frozenset(event.name for event in OWNER_EVENTS)


def sessions_to_owners(batch: Sequence[Event]) -> None:
    watched = event_groups.watched_groups()
    if not _someone_watches_a_person(watched):
        return
    per_group: dict[str, list[dict]] = {}
    for event in batch:
        if not isinstance(event, OWNER_EVENTS):
            continue
        owner_pk = selectors.id_tag_owner_pk(id_tag=event.id_tag, charge_point_pk=event.charge_point_pk)
        group = event_groups.user_group(owner_pk) if owner_pk is not None else None
        if group in watched:
            per_group.setdefault(group, []).append({"event": event.name, "data": event.data()})
    if per_group:
        event_groups.group_send_many(
            {group: {"type": "portal.events", "events": items} for group, items in per_group.items()}
        )


@lru_cache(maxsize=4)
def _someone_watches_a_person(watched: frozenset[str]) -> bool:
    # The watched set is the same object for a second at a time (event_groups caches it), and a frozenset keeps
    # its hash: a scan of the set once a second, not once per frame.
    return any(group.startswith(event_groups.USER_GROUP_PREFIX) for group in watched)


def subscribe_all() -> None:
    subscribe(sessions_to_owners, names=OWNER_EVENT_NAMES)
