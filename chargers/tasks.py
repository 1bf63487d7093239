"""Celery tasks of the command pipeline. A worker never touches a socket, and never waits on one: it pokes the
consumer that holds the charger (its channel name is on the charger row), which makes the CALL, enforces its
timeout and records the outcome; beat's housekeeping repairs what a dead process or a lost poke left behind."""

import logging

from celery import shared_task

from chargers.selectors import charge_points_matching, commands_due_for_online_chargers
from chargers.services import commands as command_services
from chargers.services.command_dispatch import commands_poke
from chargers.services.message_log import message_log_prune

logger = logging.getLogger(__name__)

# A queued command of an online charger normally leaves within milliseconds; this old, it lost its poke.
REDISPATCH_AFTER_S = 20.0


@shared_task(ignore_result=True)
def commands_dispatch(command_ids: list[int]) -> int:
    """Poke the consumers holding the chargers of these queued commands (a batch, or a command whose time has
    come) and return at once; returns how many consumers were poked. Commands of offline chargers stay queued:
    the consumer delivers them, in order, when the charger reconnects.

    Only sends, never a receive on the channel layer: the worker's threads each run their own event loop, and
    channels_redis allows one receiving loop per layer object ("Two event loops are trying to receive() on one
    channel layer at once!")."""
    return commands_poke(command_ids=command_ids)


@shared_task(ignore_result=True)
def commands_housekeeping() -> dict[str, int]:
    """Expire queued commands past their time; fail 'sent' ones whose consumer went away without an answer;
    poke the consumers of online chargers whose commands wait (a lost poke, or a schedule that came due)."""
    due = commands_due_for_online_chargers(older_than_s=REDISPATCH_AFTER_S)
    if due:
        commands_poke(command_ids=due)
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
