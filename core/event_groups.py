"""The wires of the event stream: channel-layer group names, which groups somebody watches, sending to them.

Sending to a group nobody has joined still costs a Redis round trip, and a MeterValues frame touches three groups
(fleet, charger, transaction): at a thousand frames a second that alone would eat a tenth of a core. So browser
consumers say which groups they watch (`groups_watch`, refreshed while they are open) in one Redis sorted set, and
a publishing process reads that set at most once a second; events for groups nobody watches never leave the
process. A page that opens reads the current state first, so the second it may wait for its first event is fine.
"""

import asyncio
import logging
import os
import threading
import time
from collections.abc import Iterable

import redis
from asgiref.sync import SyncToAsync, async_to_sync
from celery import current_app
from channels.layers import get_channel_layer
from django.conf import settings

logger = logging.getLogger(__name__)

FLEET = "events.fleet"
WATCH_TTL_S = 120.0
WATCHED_CACHE_S = 1.0
_WARN_EVERY_S = 60.0


def charger_group(charge_point_pk: int) -> str:
    # By primary key: charge point ids may hold characters group names may not (OCPP-NOTES.md).
    return f"events.charger.{charge_point_pk}"


def transaction_group(transaction_pk: int) -> str:
    return f"events.transaction.{transaction_pk}"


# A person's own sessions, whichever charger they start on (a customer's /me/ page): reached only through the
# subscriber in live/subscribers.py, which asks whose tag started a session only when one of these is watched.
USER_GROUP_PREFIX = "events.user."


def user_group(user_pk: int) -> str:
    return f"{USER_GROUP_PREFIX}{user_pk}"


def _watch_key() -> str:
    prefix = settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("prefix", "asgi")
    return f"{prefix}:events:watched"


class _Watched:
    """The groups somebody watches, read from Redis at most once a second per process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._groups: frozenset[str] = frozenset()
        self._read_at = float("-inf")
        self._warned_at = float("-inf")
        self._client: redis.Redis | None = None

    def client(self) -> redis.Redis:
        if self._client is None:
            self._client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
        return self._client

    def get(self) -> frozenset[str]:
        now = time.monotonic()
        if now - self._read_at < WATCHED_CACHE_S:
            return self._groups
        with self._lock:
            if now - self._read_at >= WATCHED_CACHE_S:
                self._read_at = now
                self._groups = self._read(now)
        return self._groups

    def _read(self, now: float) -> frozenset[str]:
        try:
            members = self.client().zrangebyscore(_watch_key(), time.time(), "+inf")
        except redis.RedisError as error:
            self.warn(f"watched groups unreadable: {error}")
            return self._groups  # keep what we knew: a blip must not silence the live pages
        return frozenset(member.decode() for member in members)

    def warn(self, text: str) -> None:
        """One line a minute at most: an outage must not flood the log."""
        now = time.monotonic()
        if now - self._warned_at >= _WARN_EVERY_S:
            self._warned_at = now
            logger.warning("events: %s", text)

    def forget(self) -> None:
        """Read again at the next publish (tests, and a consumer that just started watching)."""
        self._read_at = float("-inf")


_watched = _Watched()


def watched_groups() -> frozenset[str]:
    return _watched.get()


def groups_watch(groups: Iterable[str], *, ttl_s: float = WATCH_TTL_S) -> None:
    """Say that a browser watches `groups` for the next `ttl_s` seconds (call again before it runs out)."""
    until = time.time() + ttl_s
    mapping = {group: until for group in groups}
    if not mapping:
        return
    client = _watched.client()
    key = _watch_key()
    pipe = client.pipeline(transaction=False)
    pipe.zadd(key, mapping, gt=True)
    pipe.zremrangebyscore(key, "-inf", time.time())  # the groups whose watchers went away without a word
    pipe.execute()
    _watched.forget()


def groups_forget_cache() -> None:
    _watched.forget()


def group_send_many(messages: dict[str, dict]) -> None:
    """Send one message to each group, without making the caller wait when it runs in a server process."""
    coroutine = _send_all(messages)
    loop = _main_loop()
    if loop is not None:
        # In daphne's database thread: hand the sends to the event loop and go on with the next flush.
        asyncio.run_coroutine_threadsafe(coroutine, loop)
        return
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is not None:
        task = running.create_task(coroutine)
        _tasks.add(task)
        task.add_done_callback(_tasks.discard)
        return
    async_to_sync(_await)(coroutine)  # a Celery worker or a management command: no loop of ours to borrow


_tasks: set[asyncio.Task] = set()


async def _await(coroutine) -> None:
    await coroutine


def _main_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop of the server process when we run in one of its sync_to_async threads (asgiref keeps it
    per thread, with the pid, so a forked process does not borrow its parent's)."""
    threadlocal = SyncToAsync.threadlocal
    if getattr(threadlocal, "main_event_loop_pid", None) != os.getpid():
        return None
    loop = getattr(threadlocal, "main_event_loop", None)
    return loop if loop is not None and loop.is_running() else None


EVENTS_LAYER = "events"  # settings.CHANNEL_LAYERS: Redis pub/sub (core/pubsub_layer.py)


async def _send_all(messages: dict[str, dict]) -> None:
    layer = get_channel_layer(EVENTS_LAYER)
    if hasattr(layer, "group_send_many"):
        # The pub/sub layer (core/pubsub_layer.py): every group of the batch in one round trip.
        results = await asyncio.gather(layer.group_send_many(messages), return_exceptions=True)
    else:
        results = await asyncio.gather(
            *(layer.group_send(group, message) for group, message in messages.items()), return_exceptions=True
        )
    failed = [result for result in results if isinstance(result, BaseException)]
    if failed:
        _watched.warn(f"{len(failed)} of {len(results)} group sends failed: {failed[0]!r}")


def celery_send(task: str, envelopes: list[dict]) -> None:
    current_app.send_task(task, args=[envelopes])
