"""Celery tasks of the command pipeline. A worker never touches a socket: it pokes the consumer that holds
the charger (its channel name is on the charger row) and waits for the answers on a reply channel of its own."""

import asyncio
import logging

from asgiref.sync import async_to_sync
from celery import shared_task
from channels.layers import get_channel_layer
from django.conf import settings

from chargers.selectors import (
    charge_points_matching,
    command_statuses,
    command_targets,
    commands_due_for_online_chargers,
)
from chargers.services import commands as command_services
from chargers.services.charge_points import message_log_prune

logger = logging.getLogger(__name__)

POKE_CONCURRENCY = 200
# Beyond the charger's own answer time: the claim, the database writes, the channel layer hops.
REPLY_MARGIN_S = 5.0
# A queued command of an online charger normally leaves within milliseconds; this old, it lost its poke.
REDISPATCH_AFTER_S = 20.0


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
    pokes = [
        layer.send(channel_name, {"type": "ocpp.command", "command_ids": ids, "reply_channel": reply_channel})
        for channel_name, ids in targets.items()
    ]
    # Concurrently, in slices: a bulk command to a thousand chargers should not wait a thousand round trips.
    for start in range(0, len(pokes), POKE_CONCURRENCY):
        await asyncio.gather(*pokes[start : start + POKE_CONCURRENCY])
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
    """Expire queued commands past their time; fail 'sent' ones whose consumer went away without an answer;
    poke the consumers of online chargers whose commands wait (a lost poke, or a schedule that came due)."""
    due = commands_due_for_online_chargers(older_than_s=REDISPATCH_AFTER_S)
    if due:
        commands_dispatch.delay(due)
    return {
        "expired": command_services.commands_expire(),
        "reaped": command_services.commands_reap(),
        "redispatched": len(due),
    }


@shared_task(ignore_result=True)
def command_schedule_run(
    *, action: str, payload: dict, target: dict, requested_by_id: int | None = None, description: str = ""
) -> dict:
    """A recurring command firing: one batch for the chargers the schedule's filter matches now."""
    from django.contrib.auth import get_user_model

    requested_by = get_user_model().objects.filter(pk=requested_by_id).first() if requested_by_id else None
    batch, refused = command_services.command_batch_create(
        charge_points=charge_points_matching(target=target),
        action=action,
        payload=payload,
        requested_by=requested_by,
        requested_via="schedule",
        description=description,
    )
    if refused:
        logger.warning("schedule %r: %d charger(s) refused: %s", description, len(refused), refused)
    return {"batch": batch.pk, "refused": len(refused)}


@shared_task(ignore_result=True)
def message_log_housekeeping() -> int:
    return message_log_prune()
