"""Celery tasks of the command pipeline. A worker never touches a socket: it pokes the consumer that holds
the charger (its channel name is on the charger row) and waits for the answers on a reply channel of its own."""

import asyncio
import logging

from asgiref.sync import async_to_sync
from celery import shared_task
from channels.layers import get_channel_layer
from django.conf import settings

from chargers.selectors import command_statuses, command_targets
from chargers.services import commands as command_services
from chargers.services.charge_points import message_log_prune

logger = logging.getLogger(__name__)

# Beyond the charger's own answer time: the claim, the database writes, the channel layer hops.
REPLY_MARGIN_S = 5.0


@shared_task(ignore_result=True)
def commands_dispatch(command_ids: list[int]) -> dict[int, str]:
    """Send the queued commands to the consumers holding their chargers and wait until each is answered.
    Commands of offline chargers stay queued: the consumer delivers them, in order, when the charger
    reconnects."""
    targets = command_targets(command_ids=command_ids)
    if targets:
        async_to_sync(_poke_and_wait)(targets)
    return command_statuses(command_ids=command_ids)


async def _poke_and_wait(targets: dict[str, list[int]]) -> None:
    layer = get_channel_layer()
    reply_channel = await layer.new_channel()
    for channel_name, command_ids in targets.items():
        await layer.send(
            channel_name, {"type": "ocpp.command", "command_ids": command_ids, "reply_channel": reply_channel}
        )
    waiting = {pk for pks in targets.values() for pk in pks}
    per_charger = max(len(pks) for pks in targets.values())
    timeout = per_charger * (settings.OCPP_CALL_TIMEOUT + REPLY_MARGIN_S)
    try:
        async with asyncio.timeout(timeout):
            while waiting:
                message = await layer.receive(reply_channel)
                waiting.discard(message.get("command_id"))
    except TimeoutError:
        # Not lost: the rows say where each command stands; the reaper closes any left 'sent'.
        logger.warning("no answer recorded in %.0fs for commands %s", timeout, sorted(waiting)[:20])


@shared_task(ignore_result=True)
def commands_housekeeping() -> dict[str, int]:
    """Expire queued commands past their time; fail 'sent' ones whose consumer went away without an answer."""
    return {
        "expired": command_services.commands_expire(),
        "reaped": command_services.commands_reap(),
    }


@shared_task(ignore_result=True)
def message_log_housekeeping() -> int:
    return message_log_prune()
