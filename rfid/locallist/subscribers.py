"""In-process listeners of the event stream (core/events.py) for the local lists: the answers to the SendLocalList
chunks (and to the GetConfiguration of the limits), and chargers coming back online."""

from collections.abc import Sequence

from core import events
from rfid.locallist.services import local_lists_events_seen

NAMES = ("command.finished", "charger.online")
_WATCHED_ACTIONS = frozenset({"SendLocalList", "GetConfiguration"})


def local_lists_follow(batch: Sequence[events.Event]) -> None:
    local_lists_events_seen(
        command_pks=[e.command_pk for e in batch if e.name == "command.finished" and e.action in _WATCHED_ACTIONS],
        online_charge_point_pks=[e.charge_point_pk for e in batch if e.name == "charger.online"],
    )


def subscribe_all() -> None:
    events.subscribe(local_lists_follow, names=NAMES)
