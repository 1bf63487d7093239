"""Consumers that outlive a channel-layer outage (a Redis restart): the client's socket stays open.

channels' `AsyncConsumer.__call__` awaits the client's messages and the layer's together
(`await_many_dispatch([receive, channel_layer.receive])`); an error from the layer's receive ends the consumer and
daphne closes the socket. `LayerResilientMixin` runs the same loop with a layer receive that, when the layer fails,
waits until the layer answers again (one probe per process for all its consumers, with backoff) and then hands the
consumer a `layer.restored` message: the consumer re-joins its groups and reads again from the database what the
messages lost meanwhile would have told it (`on_layer_restored`). Sends from a consumer go through
`layer_send_soon`: in the background, retried while the layer is away, never raising into the consumer.
"""

import asyncio
import logging
import random
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from channels.exceptions import ChannelFull, StopConsumer
from channels.layers import get_channel_layer
from channels.utils import await_many_dispatch
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# What a channel layer raises while its server is unreachable: worth a wait and a retry, never a crash.
# (OSError covers the builtin ConnectionError and TimeoutError.)
LAYER_DOWN = (RedisConnectionError, RedisTimeoutError, OSError)
# ... and for a sender, also a receiver that does not read (its channel is full): a log line, never a crash.
LAYER_ERRORS = (*LAYER_DOWN, ChannelFull)

PROBE_FIRST_S = 0.2
PROBE_MAX_S = 2.0
# A consumer's send (e.g. "you were replaced" to an older session) is given up after this long, with a WARNING.
SEND_PATIENCE_S = 60.0
# A group nobody is in: discarding a channel from it is a write that changes nothing, hence a harmless probe.
_PROBE_GROUP = "layer-probe"
_PROBE_CHANNEL = "layer-probe.none"


class LayerWatch:
    """One event loop's view of one channel layer: up or away, one WARNING when it goes and one when it is back
    (not one per consumer), and one probe at a time while it is away."""

    def __init__(self) -> None:
        self.lost_at: float | None = None
        self._probe: asyncio.Future | None = None

    def lost(self, error: BaseException) -> None:
        if self.lost_at is None:
            self.lost_at = time.monotonic()
            logger.warning(
                "channel layer unreachable (%s: %s): consumers keep their sockets and retry",
                type(error).__name__,
                error,
            )

    async def back(self, layer: Any) -> None:
        """Return once the layer answers again."""
        if self._probe is None or self._probe.done():
            self._probe = asyncio.ensure_future(self._probe_until_back(layer))
        # Shielded: a waiter that is cancelled (its consumer closed) must not stop the probe the others wait on.
        await asyncio.shield(self._probe)

    async def _probe_until_back(self, layer: Any) -> None:
        delay = PROBE_FIRST_S
        while True:
            await asyncio.sleep(delay * random.uniform(0.75, 1.0))  # jitter: consumers of many processes
            delay = min(delay * 2, PROBE_MAX_S)
            try:
                await layer.group_discard(_PROBE_GROUP, _PROBE_CHANNEL)
            except LAYER_DOWN:
                continue
            if self.lost_at is not None:
                logger.warning("channel layer back after %.1f s", time.monotonic() - self.lost_at)
                self.lost_at = None
            return


_watches: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, LayerWatch]]" = weakref.WeakKeyDictionary()


def layer_watch(layer: Any) -> LayerWatch:
    per_layer = _watches.setdefault(asyncio.get_running_loop(), {})
    return per_layer.setdefault(id(layer), LayerWatch())


class LayerResilientMixin:
    """Put before channels' consumer class: `class C(LayerResilientMixin, AsyncWebsocketConsumer)`.

    Groups named in `groups` are joined before the first message, re-joined after an outage (a restarted Redis
    has forgotten them) and left at the end, each without failing the consumer while the layer is away.
    """

    channel_layer_alias: str
    groups: list[str] | None
    dispatch: Callable[[dict], Awaitable[None]]

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        """channels 4.3's AsyncConsumer.__call__ for an async consumer, with the layer receive of this mixin."""
        if get_channel_layer(self.channel_layer_alias) is None:
            await super().__call__(scope, receive, send)  # nothing to ride over
            return
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.base_send = send
        self.channel_name = await self.channel_layer.new_channel()  # a name only: no round trip to the layer
        self.channel_receive = self._layer_receive
        self._layer_groups = list(self.groups or [])
        # channels' websocket_connect/disconnect join and leave `groups` with no guard against an outage: the
        # mixin does it instead, so they find none.
        self.groups = []
        self._layer_tasks: set[asyncio.Task] = set()
        await self._layer_join_groups()
        try:
            await await_many_dispatch([receive, self._layer_receive], self.dispatch)
        except StopConsumer:
            pass
        finally:
            await self._layer_leave_groups()

    async def _layer_receive(self) -> dict:
        """The layer's next message for this consumer, or, after an outage, `layer.restored`."""
        try:
            return await self.channel_layer.receive(self.channel_name)
        except LAYER_DOWN as error:
            watch = layer_watch(self.channel_layer)
            watch.lost(error)
            await watch.back(self.channel_layer)
        return {"type": "layer.restored"}

    async def layer_restored(self, message: dict) -> None:
        await self._layer_join_groups()
        await self.on_layer_restored()

    async def on_layer_restored(self) -> None:
        """Override: messages sent to this consumer while the layer was away are lost; read again what they said."""

    def layer_send_soon(self, channel: str, message: dict) -> None:
        """Send in the background, retried while the layer is away (for at most SEND_PATIENCE_S)."""
        if self.channel_layer is None:
            return
        task = asyncio.get_running_loop().create_task(self._layer_send(channel, message))
        self._layer_tasks.add(task)  # a strong reference until it is done
        task.add_done_callback(self._layer_tasks.discard)

    async def _layer_send(self, channel: str, message: dict) -> None:
        deadline = time.monotonic() + SEND_PATIENCE_S
        watch = layer_watch(self.channel_layer)
        while True:
            try:
                await self.channel_layer.send(channel, message)
                return
            except ChannelFull:
                logger.warning("channel layer: %s to %s not sent: that channel is full", message.get("type"), channel)
                return
            except LAYER_DOWN as error:
                watch.lost(error)
                last_error = error
            try:
                await asyncio.wait_for(watch.back(self.channel_layer), deadline - time.monotonic())
            except TimeoutError:
                logger.warning(
                    "channel layer: %s to %s not sent within %.0f s (%s: %s)",
                    message.get("type"),
                    channel,
                    SEND_PATIENCE_S,
                    type(last_error).__name__,
                    last_error,
                )
                return

    async def _layer_join_groups(self) -> None:
        for group in self._layer_groups:
            try:
                await self.channel_layer.group_add(group, self.channel_name)
            except LAYER_DOWN as error:
                # The layer's receive fails too, so `layer.restored` follows and joins again.
                layer_watch(self.channel_layer).lost(error)
                return

    async def _layer_leave_groups(self) -> None:
        for group in self._layer_groups:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except LAYER_DOWN:
                return  # membership expires by itself (group_expiry); nothing is delivered to a closed channel
