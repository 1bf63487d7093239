"""The browser's live feed: one websocket per page, on the same daphne as the chargers (ws/live/).

The protocol, JSON both ways:
- the page sends `{"watch": ["fleet" | "charger:<pk>" | "transaction:<pk>" | "mine", ...], "share": "<token>"}`
  (share only on a share link's page), again whenever it wants other feeds (`mine`: the starts of sessions on the
  viewer's own cards, so that /me/ shows a session begun after it loaded);
- the portal answers `{"type": "watching", "feeds": [...], "refused": [...], "heartbeat_s": 15.0}`, then
  `{"type": "snapshot", "events": [...]}` (what is true now, in the events' shape), then `{"type": "events",
  "events": [...]}` as the chargers report, and `{"type": "heartbeat"}` every heartbeat_s (LIVE_HEARTBEAT_S) so
  that a page can tell a quiet feed from a dead one.

Who may watch what is live/access.py. The groups joined are told to the event bus (`groups_watch`, refreshed
every WATCH_REFRESH_S) or nothing is sent to them. The LayerResilientMixin keeps the socket open through a Redis
restart; what was published meanwhile is lost, so the page gets a fresh snapshot afterwards.
"""

import asyncio
import contextlib
import logging

import redis
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from core.event_groups import FLEET, groups_watch
from core.layer_resilience import LAYER_DOWN, LayerResilientMixin
from live import selectors
from live.access import Decision, Feed, feeds_permitted
from live.sharing import ShareLinkInvalid, share_link_transaction_pk

logger = logging.getLogger(__name__)

WATCH_REFRESH_S = 60.0


class LiveConsumer(LayerResilientMixin, AsyncJsonWebsocketConsumer):
    feeds: list[Feed]

    async def connect(self) -> None:
        self.feeds = []
        self._ticker: asyncio.Task | None = None
        await self.accept()
        self._ticker = asyncio.get_running_loop().create_task(self._tick())

    async def disconnect(self, code: int) -> None:
        if self._ticker is not None:
            self._ticker.cancel()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs) -> None:
        if text_data is None:
            # channels' JSON consumer raises on a binary frame, which would end the feed with a traceback.
            await self.send_json({"type": "error", "detail": "Send text frames of JSON."})
            return
        await super().receive(text_data=text_data, **kwargs)

    async def receive_json(self, content, **kwargs) -> None:
        if not isinstance(content, dict) or not isinstance(content.get("watch"), list):
            await self.send_json({"type": "error", "detail": 'Send {"watch": ["fleet" | "charger:<pk>" | ...]}.'})
            return
        decision = await database_sync_to_async(self._decide)(content["watch"], content.get("share"))
        await self._watch(decision.allowed)
        await self.send_json(
            {
                "type": "watching",
                "feeds": [feed.name for feed in self.feeds],
                "refused": decision.refused,
                "heartbeat_s": settings.LIVE_HEARTBEAT_S,
            }
        )
        await self._send_snapshot()

    async def decode_json(self, text_data: str):
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return None  # answered like any other message we cannot read

    def _decide(self, names: list, share: object) -> Decision:
        shared = None
        if isinstance(share, str) and share:
            try:
                shared = share_link_transaction_pk(token=share)
            except ShareLinkInvalid:
                shared = None
        return feeds_permitted(user=self.scope["user"], names=names, shared_transaction_pk=shared)

    async def _watch(self, feeds: list[Feed]) -> None:
        """Leave the groups no longer wanted, join the new ones, and tell the bus."""
        wanted = {feed.group for feed in feeds}
        for group in set(self._layer_groups) - wanted:
            await self._layer_call(self.channel_layer.group_discard, group)
        for group in wanted - set(self._layer_groups):
            await self._layer_call(self.channel_layer.group_add, group)
        # The mixin re-joins these after a Redis restart.
        self._layer_groups[:] = sorted(wanted)
        self.feeds = feeds
        await self._tell_bus()

    async def _layer_call(self, method, group: str) -> None:
        # While the layer is away its receive fails too: `layer.restored` follows and the mixin joins again.
        with contextlib.suppress(*LAYER_DOWN):
            await method(group, self.channel_name)

    async def _tell_bus(self) -> None:
        if not self._layer_groups:
            return
        try:
            await asyncio.to_thread(groups_watch, list(self._layer_groups))
        except (redis.RedisError, OSError) as error:
            logger.warning("live: watched groups not recorded (%s); retried in %.0f s", error, WATCH_REFRESH_S)

    async def _send_snapshot(self) -> None:
        events = await database_sync_to_async(_snapshot)(self.feeds, self.scope["user"])
        await self.send_json({"type": "snapshot", "events": events})

    async def _tick(self) -> None:
        beats_per_refresh = max(1, round(WATCH_REFRESH_S / settings.LIVE_HEARTBEAT_S))
        beat = 0
        while True:
            await asyncio.sleep(settings.LIVE_HEARTBEAT_S)
            beat += 1
            if beat % beats_per_refresh == 0:
                await self._tell_bus()
            await self.send_json({"type": "heartbeat"})

    async def portal_events(self, message: dict) -> None:
        await self.send_json({"type": "events", "events": message["events"]})

    async def on_layer_restored(self) -> None:
        await self._tell_bus()
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
