"""The command pipeline after queuing: the session holding a charger claims its next command (queued -> sent, one
conditional UPDATE, so that a command is never sent twice, whoever pokes and however often), puts back one it
could not send, and records the answer or the failure; beat expires what waited too long and reaps what a dead
process left 'sent'.

Every command that ends here is published once, after commit (CommandFinished; one batch per group commit of
claims or answers), and any secret it held is scrubbed from its row.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from chargers.commands import bulk
from chargers.commands.effects import effects_apply
from chargers.commands.models import Command, CommandStatus
from chargers.commands.secrets import commands_scrub_ended, commands_scrub_secrets
from chargers.commands.values import Answer, ClaimedCommand
from chargers.events import CommandFinished
from core.events import publish

__all__ = [
    "Answer",
    "ClaimedCommand",
    "command_claim_next",
    "command_end",
    "command_record_answer",
    "command_record_failure",
    "command_unclaim",
    "commands_claim_next",
    "commands_expire",
    "commands_reap",
    "commands_record_answers",
]


def _finished(rows: Iterable[tuple[int, str, int, str, str]]) -> list[CommandFinished]:
    """The events for (command pk, action, charger pk, charge point id, final status) rows."""
    return [
        CommandFinished(
            charge_point_pk=charge_point_pk,
            charge_point_id=charge_point_id,
            command_pk=pk,
            action=action,
            status=str(status),  # plain text on the wire, not the enum
        )
        for pk, action, charge_point_pk, charge_point_id, status in rows
    ]


def command_end(*, commands: QuerySet[Command], status: str, **changes: Any) -> list[int]:
    """End these commands with `status` (and `changes`), scrub any secret they held and publish that they
    finished; returns their pks. Call inside a transaction: the rows are locked while they are read, in id order,
    so that two enders of overlapping sets (beat's expiry and a claim) wait for each other instead of deadlocking,
    and a row another process ended meanwhile is not ended (or published) twice."""
    rows = list(
        commands.select_for_update(of=("self",))
        .order_by("pk")
        .values_list("pk", "action", "charge_point_id", "charge_point__charge_point_id")
    )
    if not rows:
        return []
    pks = [row[0] for row in rows]
    Command.objects.filter(pk__in=pks).update(status=status, **changes)
    commands_scrub_ended(pks=pks)
    publish(_finished((*row, status) for row in rows))
    return pks


# --- Claims -------------------------------------------------------------------------------------------------


def command_claim_next(*, charge_point_pk: int, unique_id: str) -> ClaimedCommand | None:
    """The oldest deliverable command of this charger, now marked sent; expired ones on the way are closed."""
    return commands_claim_next(claims=[(charge_point_pk, unique_id)])[0]


def commands_claim_next(*, claims: list[tuple[int, str]]) -> list[ClaimedCommand | None]:
    """For each (charger pk, new unique id): the charger's oldest deliverable command, now marked sent with that
    id, or None. Many sessions claim in one statement (a bulk command to a thousand chargers is a thousand
    claims at once); a charger named twice gets its command once."""
    now = timezone.now()
    pks = [pk for pk, _ in claims]
    with transaction.atomic():
        expired = Command.objects.filter(charge_point_id__in=pks, status=CommandStatus.QUEUED, expires_at__lte=now)
        command_end(commands=expired, status=CommandStatus.EXPIRED, answered_at=now)
        claimed = bulk.commands_claim(unique_ids=dict(claims), now=now)
    return [claimed.pop(pk, None) for pk, _ in claims]


def command_unclaim(*, command_pk: int) -> None:
    """Put back a command that was claimed but never sent (its session closed in between)."""
    Command.objects.filter(pk=command_pk, status=CommandStatus.SENT).update(
        status=CommandStatus.QUEUED, sent_at=None, unique_id="", attempts=F("attempts") - 1
    )


# --- Answers and failures -----------------------------------------------------------------------------------


def command_record_answer(*, command_pk: int, answer: Answer) -> str:
    """Store the charger's answer, decide accepted/rejected, and keep what operators need up to date."""
    return commands_record_answers(answers=[(command_pk, answer)])[0]


def commands_record_answers(*, answers: list[tuple[int, Answer]]) -> list[str]:
    """Store many answers in one transaction; each command's status in order ("" for a command no longer
    waiting for one: timed out or reaped in the meantime)."""
    now = timezone.now()
    with transaction.atomic():
        waiting = _waiting([pk for pk, _ in answers])
        read: dict[int, Answer] = {}
        statuses = []
        for pk, answer in answers:
            command = waiting.get(pk)
            if command is not None:
                _take(command, answer, now)
                read[pk] = answer
            statuses.append(command.status if command is not None else "")
        answered = [waiting[pk] for pk in read]
        bulk.commands_answers_save(answered=answered, now=now)
        for command in answered:
            effects_apply(
                charge_point_pk=command.charge_point_id, command_pk=command.pk, effects=read[command.pk].effects
            )
        commands_scrub_secrets(commands=answered)
        publish(_answered_events(answered))
    return statuses


def _waiting(pks: list[int]) -> dict[int, Command]:
    """The commands among these still waiting for an answer, locked; only what reading an answer needs (a bulk
    command's thousand answers arrive together)."""
    waiting = (
        Command.objects.select_for_update(of=("self",))
        .select_related("charge_point")
        .only("id", "action", "payload", "status", "charge_point_id", "charge_point__charge_point_id")
        .filter(pk__in=pks, status=CommandStatus.SENT)
    )
    return {command.pk: command for command in waiting}


def _take(command: Command, answer: Answer, now: datetime) -> None:
    command.status = CommandStatus.ACCEPTED if answer.accepted else CommandStatus.REJECTED
    command.response = answer.response
    # Lenient in what we accept: the answer is kept, with what is wrong with it.
    command.error_description = answer.problems[:255]
    command.answered_at = now


def _answered_events(answered: list[Command]) -> list[CommandFinished]:
    return _finished([(c.pk, c.action, c.charge_point_id, c.charge_point.charge_point_id, c.status) for c in answered])


def command_record_failure(*, command_pk: int, status: str, error_code: str = "", description: str = "") -> None:
    """A CALLERROR, a timeout or a socket that closed mid-call: the command ends here, it is not retried."""
    with transaction.atomic():
        command_end(
            commands=Command.objects.filter(pk=command_pk, status=CommandStatus.SENT),
            status=status,
            error_code=error_code[:40],
            error_description=description[:255],
            answered_at=timezone.now(),
        )


# --- Housekeeping (beat) ------------------------------------------------------------------------------------


def commands_expire(*, now: datetime | None = None) -> int:
    """Close queued commands whose time has passed (a beat task; a claim does it too for its chargers)."""
    now = now or timezone.now()
    with transaction.atomic():
        queued = Command.objects.filter(status=CommandStatus.QUEUED, expires_at__lte=now)
        return len(command_end(commands=queued, status=CommandStatus.EXPIRED, answered_at=now))


def commands_reap(*, now: datetime | None = None) -> int:
    """A command left 'sent' long past the answer timeout lost its session (a portal process stopped)."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.OCPP_CALL_TIMEOUT * 2 + 60)
    with transaction.atomic():
        return len(
            command_end(
                commands=Command.objects.filter(status=CommandStatus.SENT, sent_at__lt=cutoff),
                status=CommandStatus.FAILED,
                error_description="no answer recorded: the session holding the charger ended during the call",
                answered_at=now,
            )
        )
