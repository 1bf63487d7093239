"""Who may watch which live feed (INTERFACES.md, "People and what each may see").

A browser names feeds as `fleet`, `charger:<pk>`, `transaction:<pk>` and `mine`; each maps to a channel-layer
group of the event bus (core/event_groups.py). Operators (staff with the view permission) may watch the fleet and
any charger or session; anyone may watch the sessions started with their own id tags, and anyone logged in their
own `mine` feed (the starts of sessions on their cards, live/subscribers.py); a share link opens one session to
anyone holding it; nobody gets anything else.
"""

import re
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from chargers.events import CommandFinished
from core.event_groups import FLEET, charger_group, transaction_group, user_group
from live.selectors import transaction_is_owned
from portal.models import ApiKey, ApiScope
from portal.roles import user_is_operator, user_is_viewer
from transactions.events import EVENT_TYPES as TRANSACTION_EVENTS
from webhooks.models import EVENT_NAMES as WEBHOOK_EVENT_NAMES

_FEED = re.compile(r"^(?:(fleet)|charger:([1-9][0-9]{0,9})|transaction:([1-9][0-9]{0,9}))$")
MAX_FEEDS = 50
MINE = "mine"


@dataclass(frozen=True)
class Feed:
    name: str  # as the browser says it
    group: str  # the channel-layer group
    charge_point_pk: int | None = None
    transaction_pk: int | None = None
    user_pk: int | None = None  # the `mine` feed: this person's own sessions


@dataclass
class Decision:
    allowed: list[Feed] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def feed_parse(name: object) -> Feed | None:
    match = _FEED.match(name) if isinstance(name, str) else None
    if match is None:
        return None
    fleet, charger, transaction = match.groups()
    if fleet:
        return Feed(name=name, group=FLEET)
    if charger:
        return Feed(name=name, group=charger_group(int(charger)), charge_point_pk=int(charger))
    return Feed(name=name, group=transaction_group(int(transaction)), transaction_pk=int(transaction))


def feeds_permitted(
    *, user: AbstractBaseUser | AnonymousUser, names: list, shared_transaction_pk: int | None = None
) -> Decision:
    """The feeds among `names` this viewer may watch, and the names refused (unknown, or not theirs)."""
    decision = Decision()
    for name in names[:MAX_FEEDS]:
        feed = _mine(user) if name == MINE else feed_parse(name)
        if feed is not None and (feed.user_pk is not None or _may_watch(user, feed, shared_transaction_pk)):
            if feed not in decision.allowed:
                decision.allowed.append(feed)
        else:
            decision.refused.append(str(name)[:100])
    if len(names) > MAX_FEEDS:
        decision.refused.append(f"{len(names) - MAX_FEEDS} more (at most {MAX_FEEDS} feeds at once)")
    return decision


def _mine(user: AbstractBaseUser | AnonymousUser) -> Feed | None:
    """The viewer's own feed; only somebody logged in has one (a share link's visitor has no cards)."""
    if not user.is_authenticated:
        return None
    return Feed(name=MINE, group=user_group(user.pk), user_pk=user.pk)


def _may_watch(user: AbstractBaseUser | AnonymousUser, feed: Feed, shared_transaction_pk: int | None) -> bool:
    if feed.transaction_pk is not None:
        if feed.transaction_pk == shared_transaction_pk:
            return True
        if _operator_may(user, "transactions.view_transaction"):
            return True
        return transaction_is_owned(user=user, transaction_pk=feed.transaction_pk)
    return _operator_may(user, "chargers.view_chargepoint")


def user_may_share(user: AbstractBaseUser | AnonymousUser) -> bool:
    """A share link lets someone without an account in: operators who may see sessions, not read-only viewers
    (they change nothing, and handing out access is a change)."""
    return _operator_may(user, "transactions.view_transaction") and not user_is_viewer(user)


def _operator_may(user: AbstractBaseUser | AnonymousUser, permission: str) -> bool:
    return user_is_operator(user) and user.has_perm(permission)


# --- Integrators' event stream (ws/api/v1/events/) ---------------------------------------------------------

# The events offered: exactly the webhooks' (one list, webhooks/models.py), each behind the view permission of what
# it tells about, so that a key hears only what its user may read through the REST API. Sessions and readings need
# the transactions' permission, commands the commands'; the rest (chargers' events, alerts about chargers) the
# chargers'.
EVENT_NAMES: tuple[str, ...] = WEBHOOK_EVENT_NAMES
_SPECIFIC_PERMISSIONS = {
    **{event.name: "transactions.view_transaction" for event in TRANSACTION_EVENTS},
    CommandFinished.name: "chargers.view_command",
}
EVENT_PERMISSIONS: dict[str, str] = {
    name: _SPECIFIC_PERMISSIONS.get(name, "chargers.view_chargepoint") for name in EVENT_NAMES
}


class KeyRefused(Exception):
    """An API key that may not open the event stream; `code` is the websocket close code (4000 + HTTP status)."""

    def __init__(self, code: int, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def api_key_may_stream(*, api_key: ApiKey | None) -> None:
    """Raise KeyRefused unless `api_key` (None: unknown or revoked) belongs to an active operator and reads."""
    if api_key is None:
        raise KeyRefused(4401, "Invalid or revoked API key.")
    if not api_key.user.is_active:
        raise KeyRefused(4401, "User inactive or deleted.")
    if not user_is_operator(api_key.user):
        raise KeyRefused(4403, "Only operators' keys may open the event stream.")
    if ApiScope.READ not in api_key.scopes:
        raise KeyRefused(4403, f"This API key lacks the scope 'read' (it has: {', '.join(api_key.scopes)}).")


def events_permitted(*, user: AbstractBaseUser, names: list | None) -> Decision:
    """The event names among `names` (every one when None) `user` may hear, as Feeds of the fleet's group (every
    event reaches it), and the names refused (unknown, or not theirs to read)."""
    decision = Decision()
    wanted = EVENT_NAMES if names is None else names[: len(EVENT_NAMES) * 2]
    for name in wanted:
        permission = EVENT_PERMISSIONS.get(name) if isinstance(name, str) else None
        if permission is not None and user.has_perm(permission):
            if all(feed.name != name for feed in decision.allowed):
                decision.allowed.append(Feed(name=name, group=FLEET))
        elif names is not None:
            decision.refused.append(str(name)[:100])
    return decision
