"""Celery tasks of the command pipeline. A worker never touches a socket, and never waits on one: it pokes the
session that holds the charger (its channel name is on the charger row), which makes the CALL, enforces its
timeout and records the outcome; beat's housekeeping repairs what a dead process or a lost poke left behind.

Each task keeps the name it had in chargers/tasks.py: beat's rows (CELERY_BEAT_SCHEDULE, the recurring commands
operators made) and messages already in the broker name tasks by it.
"""

import logging

from celery import shared_task
from celery.signals import worker_ready
from django.db import connection

from chargers.commands.dispatch import commands_poke
from chargers.commands.pipeline import commands_expire, commands_reap
from chargers.commands.selectors import (
    SCHEDULE_TASK,
    charge_points_matching,
    commands_due_for_online_chargers,
    schedule_requester,
)
from chargers.commands.services import command_batch_create
from chargers.ocpp.results import request_problem
from chargers.ocpp.soap.client import soap_commands_deliver as soap_send
from chargers.services.soap import charge_points_soap_silent

logger = logging.getLogger(__name__)

# A queued command of an online charger normally leaves within milliseconds; this old, it lost its poke.
REDISPATCH_AFTER_S = 20.0


@shared_task(name="chargers.tasks.commands_dispatch", ignore_result=True)
def commands_dispatch(command_ids: list[int]) -> int:
    """Poke the sessions holding the chargers of these queued commands (a batch, or a command whose time has
    come) and return at once; returns how many sessions were poked. Commands of offline chargers stay queued:
    the session delivers them, in order, when the charger reconnects.

    Only sends, never a receive on the channel layer: the worker's threads each run their own event loop, and
    channels_redis allows one receiving loop per layer object ("Two event loops are trying to receive() on one
    channel layer at once!")."""
    return commands_poke(command_ids=command_ids)


@shared_task(name="chargers.tasks.commands_housekeeping", ignore_result=True)
def commands_housekeeping() -> dict[str, int]:
    """Expire queued commands past their time; fail 'sent' ones whose session went away without an answer;
    poke the sessions of online chargers whose commands wait (a lost poke, or a schedule that came due); mark
    offline the SOAP chargers that fell silent (they have no socket whose closing would say so)."""
    silent = charge_points_soap_silent()
    due = commands_due_for_online_chargers(older_than_s=REDISPATCH_AFTER_S)
    if due:
        commands_poke(command_ids=due)
    return {"expired": commands_expire(), "reaped": commands_reap(), "redispatched": len(due), "silent": silent}


@worker_ready.connect
def commands_poke_on_worker_start(**kwargs: object) -> None:
    """A worker killed with a dispatch message in hand loses it (Celery acknowledges a message when it takes it),
    and its commands would wait in the database for beat's housekeeping: up to its minute, plus its 20 s of
    patience. The worker that starts in its place pokes at once for every queued command of an online charger,
    whatever its age: a poke is idempotent (the session claims its queued commands from the database), so one
    too many costs nothing.

    Not task_acks_late: with Redis an unacknowledged message comes back only after the broker's visibility
    timeout (an hour), and a timeout short enough to matter would run every task with an ETA (a scheduled
    command, a rollout) again each time it passed."""
    try:
        due = commands_due_for_online_chargers(older_than_s=0)
        if due:
            commands_poke(command_ids=due)
            logger.info("worker started: poked for %d queued command(s)", len(due))
    except Exception:
        # The database or the layer away at start: beat's housekeeping pokes later; the worker must start anyway.
        logger.warning("worker started: could not poke for queued commands", exc_info=True)
    finally:
        connection.close()  # the worker's main thread runs no task: give its connection back


@shared_task(name="chargers.tasks.soap_commands_deliver", ignore_result=True)
def soap_commands_deliver(charge_point_pk: int) -> bool:
    """POST a SOAP charger's queued commands to it, one at a time (chargers/ocpp/soap/client.py): a worker
    thread per charger, so that a charger that does not answer holds up nobody else."""
    return soap_send(charge_point_pk=charge_point_pk)


@shared_task(name=SCHEDULE_TASK, ignore_result=True)
def command_schedule_run(
    *, action: str, payload: dict, target: dict, requested_by_id: int | None = None, description: str = ""
) -> dict:
    """A recurring command firing: one batch for the chargers the schedule's filter matches now."""
    batch, refused = command_batch_create(
        charge_points=charge_points_matching(target=target),
        action=action,
        payload=payload,
        check_payload=request_problem,
        requested_by=schedule_requester(requested_by_id=requested_by_id),
        requested_via="schedule",
        description=description,
    )
    if refused:
        logger.warning("schedule %r: %d charger(s) refused: %s", description, len(refused), refused)
    return {"batch": batch.pk, "refused": len(refused)}
