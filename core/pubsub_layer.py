"""The channel layer of the event groups (CHANNEL_LAYERS["events"]): Redis pub/sub, kept alive through a Redis
restart like the default layer is (core/layer_resilience.py).

Why pub/sub for the events: with the default layer (a list per channel in Redis) every consumer pulls each message
with its own BZPOPMIN round trip, one after another per process. Fifty pages watching the fleet made fifty round
trips per published batch, and with 1 000 chargers reporting every 10 s on this two-core machine the pages fell
10 s behind (benchmarks/live_latency.py, README there). With pub/sub a group message crosses Redis once per
process that has a member, pushed over one connection, and the process hands it to its consumers in memory.
At most once, like the default layer: a page that missed events reads the current state again (its snapshot).

What channels_redis leaves out, added here: while Redis is away its receiving task logs a traceback every second
and the consumers never hear of it. Here that is one WARNING, and once the connection is back (redis-py then
subscribes to every channel and group again by itself) each consumer of the process gets `layer.restored`, as
the default layer's consumers do through LayerResilientMixin: pages then read again what they missed.
"""

import asyncio
import logging
import time

from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer, RedisSingleShardConnection
from channels_redis.utils import _wrap_close
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

RESTORED = {"type": "layer.restored"}
_DOWN = (RedisConnectionError, RedisTimeoutError, OSError)
_RETRY_S = 0.5


class _Shard(RedisSingleShardConnection):
    """One connection's subscriptions, and its receiving task. What it should be subscribed to is kept here too
    (`_wanted`): a subscription asked for while Redis is away is made once it is back."""

    def __init__(self, host: dict, channel_layer: RedisPubSubLoopLayer) -> None:
        super().__init__(host, channel_layer)
        self._wanted: set[str] = set()
        self.lost_at: float | None = None

    async def subscribe(self, channel: str) -> None:
        self._wanted.add(channel)
        try:
            await super().subscribe(channel)
        except _DOWN as error:
            self._lose(error)
            self._ensure_receiver()  # it subscribes once Redis is back

    async def unsubscribe(self, channel: str) -> None:
        self._wanted.discard(channel)
        try:
            await super().unsubscribe(channel)
        except _DOWN:
            self._subscribed_to.discard(channel)  # a new connection will not have it

    def _lose(self, error: BaseException) -> None:
        if self.lost_at is None:
            self.lost_at = time.monotonic()
            logger.warning("event layer: Redis unreachable (%s: %s); retrying", type(error).__name__, error)

    async def _do_receiving(self) -> None:
        while True:
            try:
                if self.lost_at is not None:
                    await self._recover()
                if self._pubsub is not None and self._pubsub.subscribed:
                    message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
                    self._receive_message(message)
                else:
                    await asyncio.sleep(0.1)
            except _DOWN as error:
                self._lose(error)
                await asyncio.sleep(_RETRY_S)
            except (asyncio.CancelledError, GeneratorExit):
                raise
            except Exception:
                logger.exception("event layer: unexpected error while receiving")
                await asyncio.sleep(1)

    async def _recover(self) -> None:
        """Raises while Redis is away; once it answers, subscribes to what is missing and tells every consumer of
        the process."""
        async with self._lock:
            self._ensure_redis()
            await self._redis.ping()
            connection = self._pubsub.connection
            if connection is not None:
                # Reconnected now rather than at the next read: redis-py subscribes a new connection to all it had,
                # and consumers must not hear "back" before that (what is published in between would be lost).
                await connection.disconnect()
                await connection.connect()
            missing = self._wanted - {_text(name) for name in self._pubsub.channels}
            if missing:
                await self._pubsub.subscribe(*missing)
            self._subscribed_to = set(self._wanted)
        logger.warning("event layer: Redis back after %.1f s", time.monotonic() - self.lost_at)
        self.lost_at = None
        restored = self.channel_layer.channel_layer.serialize(RESTORED)
        for queue in list(self.channel_layer.channels.values()):
            queue.put_nowait(restored)

    def _receive_message(self, message: dict | None) -> None:
        """The library's fan-out, with the message decoded once for all the process's consumers rather than once by
        each (msgpack decoding was the largest single cost with fifty pages watching). Consumers get the same dict:
        they must not change what it says (the browser feed adds its encoded frame, the same for every page)."""
        if message is None:
            return
        name = _text(message["channel"])
        layer = self.channel_layer
        targets = [name] if name in layer.channels else layer.groups.get(name, ())
        queues = [layer.channels[target] for target in targets if target in layer.channels]
        if queues:
            decoded = layer.channel_layer.deserialize(message["data"])
            for queue in queues:
                queue.put_nowait(decoded)

    async def publish_many(self, messages: list[tuple[str, bytes]]) -> None:
        """Several PUBLISHes in one round trip (a batch of events goes to the fleet and to each charger's group)."""
        async with self._lock:
            self._ensure_redis()
            pipe = self._redis.pipeline(transaction=False)
            for channel, data in messages:
                pipe.publish(channel, data)
            await pipe.execute()


def _text(name: str | bytes) -> str:
    return name.decode() if isinstance(name, bytes) else name


class _LoopLayer(RedisPubSubLoopLayer):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._shards = [_Shard(shard.host, self) for shard in self._shards]


class EventsChannelLayer(RedisPubSubChannelLayer):
    """channels_redis's pub/sub layer with the receiving above (one layer per event loop, as the library's)."""

    def deserialize(self, message: bytes | dict) -> dict:
        # Queued messages are decoded already (_Shard._receive_message): the library's receive decodes again.
        return message if isinstance(message, dict) else super().deserialize(message)

    async def group_send_many(self, messages: dict[str, dict]) -> None:
        """group_send of each (group, message), one round trip per shard rather than one per group."""
        layer = self._get_layer()
        by_shard: dict[int, list[tuple[str, bytes]]] = {}
        for group, message in messages.items():
            channel = layer._get_group_channel_name(group)
            by_shard.setdefault(id(layer._get_shard(channel)), []).append((channel, self.serialize(message)))
        shards = {id(shard): shard for shard in layer._shards}
        await asyncio.gather(*(shards[key].publish_many(batch) for key, batch in by_shard.items()))

    def _get_layer(self) -> RedisPubSubLoopLayer:
        loop = asyncio.get_running_loop()
        layer = self._layers.get(loop)
        if layer is None:
            layer = self._layers[loop] = _LoopLayer(*self._args, **self._kwargs, channel_layer=self)
            _wrap_close(self, loop)  # the layer's connections are closed with its loop, as the library does
        return layer
