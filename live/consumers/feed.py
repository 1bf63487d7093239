"""What the browsers' and the integrators' feeds share: channel-layer groups joined and told to the event bus, a
heartbeat, JSON text frames only, and the socket kept through a Redis restart (core/layer_resilience.py).

The groups a feed joins are told to the bus (`groups_watch`, refreshed every WATCH_REFRESH_S) or nothing is sent
to them (core/event_groups.py).
"""

import asyncio
import contextlib
import logging
import time

import redis
from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from core.event_groups import EVENTS_LAYER, groups_watch
from core.layer_resilience import LAYER_DOWN, LayerResilientMixin

logger = logging.getLogger(__name__)

WATCH_REFRESH_S = 60.0


class FeedConsumer(LayerResilientMixin, AsyncJsonWebsocketConsumer):
    """Subclasses call `start_ticking()` once accepted and `watch_groups()` with what they want to hear;
    `in_background()` runs a coroutine of theirs until the socket closes."""

    # The event groups' layer (core/pubsub_layer.py): a group message reaches this process once, not once per page.
    channel_layer_alias = EVENTS_LAYER
    _background: set[asyncio.Task] | None = None

    async def dispatch(self, message: dict) -> None:
        """Channels closes stale database connections before every message, a hop to the (one, shared) database
        thread per event per watcher, queued behind the chargers' writes; every database call of these consumers
        goes through database_sync_to_async, which does that itself."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    def start_ticking(self) -> None:
        self.in_background(self._tick())

    def in_background(self, coroutine) -> None:
        if self._background is None:
            self._background = set()
        task = asyncio.get_running_loop().create_task(coroutine)
        self._background.add(task)  # a strong reference until it is done
        task.add_done_callback(self._background.discard)

    async def disconnect(self, code: int) -> None:
        for task in list(self._background or ()):
            task.cancel()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs) -> None:
        if text_data is None:
            # channels' JSON consumer raises on a binary frame, which would end the feed with a traceback.
            await self.send_json({"type": "error", "detail": "Send text frames of JSON."})
            return
        await super().receive(text_data=text_data, **kwargs)

    async def decode_json(self, text_data: str):
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return None  # answered like any other message we cannot read

    async def watch_groups(self, wanted: set[str]) -> None:
        """Leave the groups no longer wanted, join the new ones, and tell the bus."""
        for group in set(self._layer_groups) - wanted:
            await self._layer_call(self.channel_layer.group_discard, group)
        for group in wanted - set(self._layer_groups):
            await self._layer_call(self.channel_layer.group_add, group)
        # The mixin re-joins these after a Redis restart.
        self._layer_groups[:] = sorted(wanted)
        await self.tell_bus()

    async def _layer_call(self, method, group: str) -> None:
        # While the layer is away its receive fails too: `layer.restored` follows and the mixin joins again.
        with contextlib.suppress(*LAYER_DOWN):
            await method(group, self.channel_name)

    async def tell_bus(self) -> None:
        if not self._layer_groups:
            return
        try:
            await asyncio.to_thread(groups_watch, list(self._layer_groups))
        except (redis.RedisError, OSError) as error:
            logger.warning("live: watched groups not recorded (%s); retried in %.0f s", error, WATCH_REFRESH_S)

    async def _tick(self) -> None:
        told_at = time.monotonic()
        while True:
            await asyncio.sleep(settings.LIVE_HEARTBEAT_S)
            if time.monotonic() - told_at >= WATCH_REFRESH_S - settings.LIVE_HEARTBEAT_S / 2:
                told_at = time.monotonic()
                await self.tell_bus()
            await self.send_json({"type": "heartbeat"})
