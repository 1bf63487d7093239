"""Messages to consumers from sync code (services, tasks), over the channel layer.

The layer is a wire, not a record: it delivers at most once, and it may be away for a moment (a Redis restart).
Whatever a message announces is also in the database, where the consumer or beat's housekeeping finds it
again, so a send that fails here is logged and never fails its caller (whose transaction has committed).
"""

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from core.layer_resilience import LAYER_ERRORS

logger = logging.getLogger(__name__)

# Sends in flight at once: a bulk command to a thousand chargers should not wait a thousand round trips.
SEND_CONCURRENCY = 200


def channel_send(channel_name: str, message: dict, *, unsent: str = "lost") -> bool:
    """Send to one consumer; False (and one WARNING line ending with `unsent`, what happens instead) when the
    layer could not take it."""
    return channels_send([(channel_name, message)], unsent=unsent) == 1


def channels_send(messages: list[tuple[str, dict]], *, unsent: str = "lost") -> int:
    """Send each (channel name, message), concurrently; returns how many the layer took. Failures are logged
    in one WARNING line for the lot, ending with `unsent`."""
    if not messages:
        return 0
    return async_to_sync(_send_all)(messages, unsent)


async def _send_all(messages: list[tuple[str, dict]], unsent: str) -> int:
    layer = get_channel_layer()
    failures: list[BaseException] = []
    for start in range(0, len(messages), SEND_CONCURRENCY):
        results = await asyncio.gather(
            *(layer.send(channel, message) for channel, message in messages[start : start + SEND_CONCURRENCY]),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, LAYER_ERRORS):
                failures.append(result)
            elif isinstance(result, BaseException):
                raise result  # a bug (a bad channel name, a message the layer cannot serialise), not an outage
    if failures:
        types = sorted({message.get("type", "?") for _, message in messages})
        logger.warning(
            "channel layer: %d of %d message(s) (%s) not sent (%s: %s): %s",
            len(failures),
            len(messages),
            ", ".join(types),
            type(failures[0]).__name__,
            failures[0],
            unsent,
        )
    return len(messages) - len(failures)
