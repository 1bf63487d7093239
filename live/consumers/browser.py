"""The browser's live feed: one websocket per page, on the same daphne as the chargers (ws/live/).

The protocol, JSON both ways:
- the page sends `{"watch": ["fleet" | "charger:<pk>" | "transaction:<pk>" | "mine", ...], "share": "<token>"}`
  (share only on a share link's page), again whenever it wants other feeds (`mine`: the starts of sessions on the
  viewer's own cards, so that /me/ shows a session begun after it loaded);
- the portal answers `{"type": "watching", "feeds": [...], "refused": [...], "heartbeat_s": 15.0}`, then
  `{"type": "snapshot", "events": [...]}` (what is true now, in the events' shape), then `{"type": "events",
  "events": [...]}` as the chargers report, and `{"type": "heartbeat"}` every heartbeat_s (LIVE_HEARTBEAT_S) so
  that a page can tell a quiet feed from a dead one.

Who may watch what is live/access.py; the groups, the heartbeat and the Redis restarts are live/consumers/feed.py.
What was published while Redis was away is lost, so the page gets a fresh snapshot afterwards.
"""

import json

from channels.db import database_sync_to_async
from django.conf import settings

from core.event_groups import FLEET
from live import selectors
from live.access import Decision, Feed, feeds_permitted
from live.consumers.feed import FeedConsumer
from live.sharing import ShareLinkInvalid, share_link_transaction_pk

_ENCODED = "browser_frame"


class LiveConsumer(FeedConsumer):
    feeds: list[Feed]

    async def connect(self) -> None:
        self.feeds = []
        await self.accept()
        self.start_ticking()

    async def receive_json(self, content, **kwargs) -> None:
        if not isinstance(content, dict) or not isinstance(content.get("watch"), list):
            await self.send_json({"type": "error", "detail": 'Send {"watch": ["fleet" | "charger:<pk>" | ...]}.'})
            return
        decision = await database_sync_to_async(self._decide)(content["watch"], content.get("share"))
        self.feeds = decision.allowed
        await self.watch_groups({feed.group for feed in decision.allowed})
        await self.send_json(
            {
                "type": "watching",
                "feeds": [feed.name for feed in self.feeds],
                "refused": decision.refused,
                "heartbeat_s": settings.LIVE_HEARTBEAT_S,
            }
        )
        await self._send_snapshot()

    def _decide(self, names: list, share: object) -> Decision:
        shared = None
        if isinstance(share, str) and share:
            try:
                shared = share_link_transaction_pk(token=share)
            except ShareLinkInvalid:
                shared = None
        return feeds_permitted(user=self.scope["user"], names=names, shared_transaction_pk=shared)

    async def _send_snapshot(self) -> None:
        events = await database_sync_to_async(_snapshot)(self.feeds, self.scope["user"])
        await self.send_json({"type": "snapshot", "events": events})

    async def portal_events(self, message: dict) -> None:
        # Every page of this process that watches the group gets the same message dict (core/pubsub_layer.py):
        # the first encodes the frame and leaves the text in the dict for the others.
        text = message.get(_ENCODED)
        if text is None:
            text = message[_ENCODED] = json.dumps({"type": "events", "events": message["events"]})
        await self.send(text_data=text)

    async def on_layer_restored(self) -> None:
        await self.tell_bus()
        await self._send_snapshot()


def _snapshot(feeds: list[Feed], user) -> list[dict]:
    if any(feed.group == FLEET for feed in feeds):
        events = selectors.charger_events()
    else:
        events = selectors.charger_events(charge_point_pks=[f.charge_point_pk for f in feeds if f.charge_point_pk])
    transactions = [feed.transaction_pk for feed in feeds if feed.transaction_pk]
    if any(feed.user_pk is not None for feed in feeds):
        # What the person's feed would have told: their sessions running now (one begun while the page was away).
        transactions += [pk for pk in selectors.sessions_running_owned_pks(user=user) if pk not in transactions]
    if transactions:
        events += selectors.transaction_events(transaction_pks=transactions)
    return events
