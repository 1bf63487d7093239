"""Waking the consumers that hold chargers with queued commands: one poke per command, never a wait.

A command due now is poked from the process that queued it, once its row is committed (the CALL usually leaves
before the 202 does); a batch and a command due later are handed to a Celery worker, which pokes for them (a
batch's thousand pokes do not hold up the request; a scheduled one waits in the broker until its time). Nobody
waits for the answers: the consumer that makes the CALL enforces its timeout and records the outcome, and beat's
housekeeping pokes again for any command left queued (a poke lost with the layer or the broker, a process that
died) and reaps any left 'sent'.

Once the row is committed the command is queued, whatever happens to its poke: a failed poke is logged, never
raised, so that an answer never says "failed" for a command that will in fact be delivered.
"""

import logging
from datetime import datetime

from celery import current_app
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from chargers.commands.selectors import command_targets, soap_command_targets
from chargers.layer import channels_send
from core.layer_resilience import LAYER_ERRORS

logger = logging.getLogger(__name__)

# The broker or the layer away: one WARNING line. Anything else after commit is a bug: a traceback, still no 500.
_OUTAGE_ERRORS = (*LAYER_ERRORS, BrokerError)

# By name: the task module (chargers/commands/tasks.py) imports the command services, which import this module.
# The name is the one the task had before it moved there, which it keeps.
DISPATCH_TASK = "chargers.tasks.commands_dispatch"
# The sender of a SOAP charger's commands (no consumer holds a SOAP charger: a worker POSTs to it).
SOAP_DELIVERY_TASK = "chargers.tasks.soap_commands_deliver"

__all__ = ["commands_dispatch_on_commit", "commands_poke", "soap_delivery_start"]


def soap_delivery_start(*, charge_point_pks: list[int]) -> None:
    """Once committed, hand each SOAP charger's queued commands to a worker (one task per charger: a charger
    that does not answer holds up its own task only)."""

    def start() -> None:
        for pk in charge_point_pks:
            current_app.signature(SOAP_DELIVERY_TASK, args=[pk]).apply_async()

    transaction.on_commit(start)


def commands_poke(*, command_ids: list[int]) -> int:
    """Tell the consumer holding each online charger that these of its commands are queued (for an online SOAP
    charger: start its sender in a worker); returns how many were told. Offline chargers get theirs when they
    reconnect (a SOAP charger: when it next sends a request)."""
    soap_chargers = soap_command_targets(command_ids=command_ids)
    if soap_chargers:
        soap_delivery_start(charge_point_pks=soap_chargers)
    targets = command_targets(command_ids=command_ids)
    return len(soap_chargers) + channels_send(
        [(channel, {"type": "ocpp.command", "command_ids": ids}) for channel, ids in targets.items()],
        unsent=f"commands {command_ids[:20]} stay queued; beat's housekeeping pokes for them again",
    )


def commands_dispatch_on_commit(*, command_ids: list[int], not_before: datetime | None, poke_here: bool) -> None:
    """Once committed, poke for the commands: from here (`poke_here`, a command due now) or through a Celery
    worker (a batch, or at `not_before`)."""

    def dispatch() -> None:
        due_later = not_before is not None and not_before > timezone.now()
        try:
            if poke_here and not due_later:
                commands_poke(command_ids=command_ids)
            else:
                current_app.signature(DISPATCH_TASK, args=[command_ids]).apply_async(
                    eta=not_before if due_later else None
                )
        except Exception as error:
            # The commands are committed, hence queued: whatever went wrong with the wake-up (the broker down, a
            # bug), the caller must not answer "failed". Beat's housekeeping pokes for them again.
            logger.warning(
                "commands %s are queued but were not dispatched (%s: %s); beat's housekeeping will deliver them",
                command_ids[:20],
                type(error).__name__,
                error,
                exc_info=not isinstance(error, _OUTAGE_ERRORS),
            )

    transaction.on_commit(dispatch)
