"""The command pipeline's rules: create (validate, refuse what cannot be done), claim, record the answer.

The Command row is the record; the channel layer is only the wire. A command goes out only after the
consumer holding the charger claims it (queued -> sent, one conditional UPDATE), so a command is never sent
twice, whoever pokes the consumer and however often.
"""

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from chargers.actions import CENTRAL_ACTIONS
from chargers.models import (
    ChargePoint,
    Command,
    CommandBatch,
    CommandStatus,
    RegistrationStatus,
)
from chargers.ocpp.frames import OcppError
from chargers.ocpp.redaction import redact
from chargers.ocpp.schemas import validate_request, validate_response
from chargers.services.command_dispatch import commands_dispatch_on_commit
from chargers.services.operations import command_apply_result, command_prepare_payload
from chargers.services.secret_payloads import commands_scrub_ended, commands_scrub_secrets, schedule_refuse_secret

logger = logging.getLogger(__name__)

__all__ = [
    "ClaimedCommand",
    "command_batch_create",
    "command_cancel",
    "command_claim_next",
    "command_create",
    "command_record_answer",
    "command_record_failure",
    "command_schedule_create",
    "command_supported",
    "command_unclaim",
    "command_validate",
    "commands_claim_next",
    "commands_expire",
    "commands_reap",
    "commands_record_answers",
]

# Answers whose `status` means the charger did what was asked (or will: Scheduled, RebootRequired).
_DONE = frozenset({"Accepted", "Scheduled", "RebootRequired", "Unlocked"})
# Who asked, where a command comes from.
VIA_CHOICES = ("admin", "api", "web", "schedule", "system")


def _payload_error(error: OcppError) -> ValidationError:
    field = error.details.get("field") or "payload"
    return ValidationError({"payload": [f"{field}: {error.description.split(': ', 1)[-1]}"]})


def command_validate(*, charge_point: ChargePoint, action: str, payload: dict) -> None:
    """Refuse, before anything is queued, what the charger must not or cannot be asked."""
    if action not in CENTRAL_ACTIONS:
        raise ValidationError({"action": [f"{action!r} is not an OCPP 1.6 central system operation"]})
    if not isinstance(payload, dict):
        raise ValidationError({"payload": ["must be a JSON object"]})
    try:
        validate_request(action, payload)
    except OcppError as error:
        raise _payload_error(error) from None
    status = charge_point.registration_status
    if status == RegistrationStatus.REJECTED:
        raise ValidationError({"action": [f"{charge_point} is rejected: it takes no commands"]})
    if status == RegistrationStatus.PENDING and action in ("RemoteStartTransaction", "RemoteStopTransaction"):
        raise ValidationError({"action": [f"{action} is not allowed while {charge_point} is Pending"]})
    if (
        action == "TriggerMessage"
        and payload.get("requestedMessage") == "BootNotification"
        and status == RegistrationStatus.ACCEPTED
    ):
        raise ValidationError({"payload": ["requestedMessage: BootNotification may not be triggered once Accepted"]})
    supported, reason = command_supported(charge_point=charge_point, action=action)
    if not supported:
        raise ValidationError({"action": [reason]})


def command_supported(*, charge_point: ChargePoint, action: str) -> tuple[bool, str]:
    """What the charger's model profile says (issue 3); without a profile everything is allowed."""
    try:
        from chargers.profiles.selectors import charge_point_supports_action
    except ImportError:
        return True, ""
    return charge_point_supports_action(charge_point=charge_point, action=action)


def _expiry(expires_at: datetime | None, not_before: datetime | None) -> datetime:
    if expires_at is not None:
        return expires_at
    return (not_before or timezone.now()) + timedelta(seconds=settings.OCPP_COMMAND_EXPIRY)


def command_create(
    *,
    charge_point: ChargePoint,
    action: str,
    payload: dict,
    requested_by: Any = None,
    requested_via: str = "system",
    not_before: datetime | None = None,
    expires_at: datetime | None = None,
    batch: CommandBatch | None = None,
    dispatch: bool = True,
) -> Command:
    """Validate and queue one command; it is dispatched once the row is committed."""
    payload = command_prepare_payload(charge_point=charge_point, action=action, payload=dict(payload or {}))
    command_validate(charge_point=charge_point, action=action, payload=payload)
    command = Command.objects.create(
        charge_point=charge_point,
        action=action,
        payload=payload,
        requested_by=_user(requested_by),
        requested_via=requested_via,
        not_before=not_before,
        expires_at=_expiry(expires_at, not_before),
        batch=batch,
    )
    if dispatch:
        commands_dispatch_on_commit(command_ids=[command.pk], not_before=not_before, poke_here=True)
    return command


def command_batch_create(
    *,
    charge_points: Iterable[ChargePoint],
    action: str,
    payload: dict,
    requested_by: Any = None,
    requested_via: str = "system",
    description: str = "",
    not_before: datetime | None = None,
    expires_at: datetime | None = None,
) -> tuple[CommandBatch, dict[str, list[str]]]:
    """One request for many chargers. Chargers that cannot take it are skipped and reported by id with the
    reason; the others get one command each, dispatched together."""
    refused: dict[str, list[str]] = {}
    with transaction.atomic():
        # The batch records the request and is never sent: it keeps no secret (its commands do, until sent).
        batch = CommandBatch.objects.create(
            action=action,
            payload=redact(action, payload),
            description=description[:200],
            requested_by=_user(requested_by),
        )
        rows = []
        for charge_point in charge_points:
            prepared = command_prepare_payload(charge_point=charge_point, action=action, payload=dict(payload))
            try:
                command_validate(charge_point=charge_point, action=action, payload=prepared)
            except ValidationError as error:
                refused[charge_point.charge_point_id] = [m for ms in error.message_dict.values() for m in ms]
                continue
            rows.append(
                Command(
                    charge_point=charge_point,
                    action=action,
                    payload=prepared,
                    batch=batch,
                    requested_by=batch.requested_by,
                    requested_via=requested_via,
                    not_before=not_before,
                    expires_at=_expiry(expires_at, not_before),
                )
            )
        created = Command.objects.bulk_create(rows, batch_size=1000)
        ids = [c.pk for c in created]
        if ids:
            commands_dispatch_on_commit(command_ids=ids, not_before=not_before, poke_here=False)
    return batch, refused


def _user(requested_by: Any) -> Any:
    return requested_by if getattr(requested_by, "is_authenticated", False) else None


def command_cancel(*, command: Command) -> bool:
    """Cancel a command that has not gone out yet; one that was sent cannot be called back."""
    updated = Command.objects.filter(pk=command.pk, status=CommandStatus.QUEUED).update(
        status=CommandStatus.CANCELLED, answered_at=timezone.now()
    )
    if updated:
        commands_scrub_ended(pks=[command.pk])
    command.refresh_from_db()
    return bool(updated)


@dataclass(frozen=True)
class ClaimedCommand:
    pk: int
    action: str
    payload: dict
    unique_id: str


def _deliverable(charge_point_pk: int, now: datetime) -> QuerySet[Command]:
    return Command.objects.filter(charge_point_id=charge_point_pk, status=CommandStatus.QUEUED).filter(
        Q(not_before__isnull=True) | Q(not_before__lte=now)
    )


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
        expired = Command.objects.filter(
            charge_point_id__in=pks, status=CommandStatus.QUEUED, expires_at__lte=now
        ).update(status=CommandStatus.EXPIRED, answered_at=now)
        if expired:
            commands_scrub_ended()
        claim = _claim_pg if connection.vendor == "postgresql" else _claim_orm
        claimed = claim(dict(claims), now)
    return [claimed.pop(pk, None) for pk, _ in claims]


# The oldest deliverable command per charger; the status check in the UPDATE makes a concurrent claim of the
# same row (PostgreSQL re-checks it after the row lock) claim nothing rather than claim twice.
_CLAIM_SQL = """
    UPDATE chargers_command AS c
    SET status = 'sent', sent_at = %s, unique_id = ids.uid, attempts = c.attempts + 1
    FROM (
        SELECT DISTINCT ON (charge_point_id) id, charge_point_id FROM chargers_command
        WHERE charge_point_id = ANY(%s) AND status = 'queued' AND (not_before IS NULL OR not_before <= %s)
        ORDER BY charge_point_id, created_at, id
    ) AS next, unnest(%s::bigint[], %s::text[]) AS ids(charge_point_id, uid)
    WHERE c.id = next.id AND ids.charge_point_id = next.charge_point_id AND c.status = 'queued'
    RETURNING c.id, c.charge_point_id, c.action, c.payload, c.unique_id
"""


def _claim_pg(unique_ids: dict[int, str], now: datetime) -> dict[int, ClaimedCommand]:
    pks = list(unique_ids)
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_SQL, [now, pks, now, pks, [unique_ids[pk] for pk in pks]])
        rows = cursor.fetchall()
    return {
        charge_point_pk: ClaimedCommand(pk, action, json.loads(payload) if isinstance(payload, str) else payload, uid)
        for pk, charge_point_pk, action, payload, uid in rows
    }


def _claim_orm(unique_ids: dict[int, str], now: datetime) -> dict[int, ClaimedCommand]:
    claimed = {}
    for charge_point_pk, unique_id in unique_ids.items():
        candidate = _deliverable(charge_point_pk, now).order_by("created_at", "id").first()
        if candidate is not None and Command.objects.filter(pk=candidate.pk, status=CommandStatus.QUEUED).update(
            status=CommandStatus.SENT, sent_at=now, unique_id=unique_id, attempts=F("attempts") + 1
        ):
            claimed[charge_point_pk] = ClaimedCommand(candidate.pk, candidate.action, candidate.payload, unique_id)
    return claimed


def command_unclaim(*, command_pk: int) -> None:
    """Put back a command that was claimed but never sent (its session closed in between)."""
    Command.objects.filter(pk=command_pk, status=CommandStatus.SENT).update(
        status=CommandStatus.QUEUED, sent_at=None, unique_id="", attempts=F("attempts") - 1
    )


def command_record_answer(*, command_pk: int, response: dict) -> str:
    """Store the charger's CALLRESULT, decide accepted/rejected, and keep what operators need up to date."""
    return commands_record_answers(answers=[(command_pk, response)])[0]


def commands_record_answers(*, answers: list[tuple[int, dict]]) -> list[str]:
    """Store many answers in one transaction; each command's status in order ("" for a command no longer
    waiting for one: timed out or reaped in the meantime)."""
    now = timezone.now()
    with transaction.atomic():
        # Only what reading an answer needs: a bulk command's thousand answers arrive together.
        waiting = Command.objects.select_for_update().only("id", "action", "payload", "status", "charge_point_id")
        commands = {c.pk: c for c in waiting.filter(pk__in=[pk for pk, _ in answers], status=CommandStatus.SENT)}
        statuses = []
        for pk, response in answers:
            command = commands.get(pk)
            if command is None:
                statuses.append("")
                continue
            _read_answer(command, response, now)
            statuses.append(command.status)
        answered = [c for c in commands.values() if c.answered_at == now]
        _answers_save(answered, now)
        for command in answered:
            command_apply_result(command=command)
        commands_scrub_secrets(commands=answered)
    return statuses


# One statement for the whole batch: Django's bulk_update builds a CASE per column and row, which costs more
# CPU on the database thread than the thousand answers of a bulk command are worth.
_ANSWERS_SQL = """
    UPDATE chargers_command AS c
    SET status = a.status, response = a.response::jsonb, error_description = a.problems, answered_at = %s
    FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[]) AS a(id, status, response, problems)
    WHERE c.id = a.id
"""


def _answers_save(answered: list[Command], now: datetime) -> None:
    if connection.vendor != "postgresql":
        Command.objects.bulk_update(answered, ["status", "response", "error_description", "answered_at"])
        return
    with connection.cursor() as cursor:
        cursor.execute(
            _ANSWERS_SQL,
            [
                now,
                [c.pk for c in answered],
                [c.status for c in answered],
                [json.dumps(c.response) for c in answered],
                [c.error_description for c in answered],
            ],
        )


def _read_answer(command: Command, response: dict, now: datetime) -> None:
    problems = ""
    try:
        validate_response(command.action, response)
    except OcppError as error:
        # Lenient in what we accept: keep the answer, say what is wrong with it.
        problems = f"answer does not follow the OCPP schema: {error.description}"[:255]
    answer_status = response.get("status") if isinstance(response.get("status"), str) else None
    command.status = (
        CommandStatus.ACCEPTED if answer_status is None or answer_status in _DONE else CommandStatus.REJECTED
    )
    command.response = response
    command.error_description = problems
    command.answered_at = now


def command_record_failure(*, command_pk: int, status: str, error_code: str = "", description: str = "") -> None:
    """A CALLERROR, a timeout or a socket that closed mid-call: the command ends here, it is not retried."""
    if Command.objects.filter(pk=command_pk, status=CommandStatus.SENT).update(
        status=status, error_code=error_code[:40], error_description=description[:255], answered_at=timezone.now()
    ):
        commands_scrub_ended(pks=[command_pk])


def commands_expire(*, now: datetime | None = None) -> int:
    """Close queued commands whose time has passed (a beat task; delivery checks too)."""
    now = now or timezone.now()
    expired = Command.objects.filter(status=CommandStatus.QUEUED, expires_at__lte=now).update(
        status=CommandStatus.EXPIRED, answered_at=now
    )
    if expired:
        commands_scrub_ended()
    return expired


def commands_reap(*, now: datetime | None = None) -> int:
    """A command left 'sent' long past the answer timeout lost its consumer (a portal process stopped)."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.OCPP_CALL_TIMEOUT * 2 + 60)
    reaped = Command.objects.filter(status=CommandStatus.SENT, sent_at__lt=cutoff).update(
        status=CommandStatus.FAILED,
        error_description="no answer recorded: the session holding the charger ended during the call",
        answered_at=now,
    )
    if reaped:
        commands_scrub_ended()
    return reaped


# --- Schedules --------------------------------------------------------------------------------------------


def command_schedule_create(
    *, name: str, cron: str, action: str, payload: dict, target: dict, requested_by: Any = None
) -> Any:
    """A recurring command (e.g. a nightly Reset of all INCH chargers): a django-celery-beat entry that creates
    a batch for the chargers matching `target` each time it fires. `cron` is 'minute hour day month weekday'."""
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    from chargers.selectors import charge_points_matching

    errors: dict[str, list[str]] = {}
    fields = cron.split()
    if len(fields) != 5:
        errors["cron"] = ["five fields: minute hour day-of-month month day-of-week, e.g. '0 3 * * *'"]
    if action not in CENTRAL_ACTIONS:
        errors["action"] = [f"{action!r} is not an OCPP 1.6 central system operation"]
    else:
        try:
            validate_request(action, payload)
            schedule_refuse_secret(action=action, payload=payload)
        except OcppError as error:
            errors["payload"] = _payload_error(error).message_dict["payload"]
        except ValidationError as error:
            errors["payload"] = error.message_dict["payload"]
    try:
        charge_points_matching(target=target)
    except ValueError as error:
        errors["target"] = [str(error)]
    if errors:
        raise ValidationError(errors)
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    schedule, _ = CrontabSchedule.objects.get_or_create(
        minute=minute,
        hour=hour,
        day_of_month=day_of_month,
        month_of_year=month_of_year,
        day_of_week=day_of_week,
        timezone=settings.TIME_ZONE,
    )
    return PeriodicTask.objects.create(
        name=name,
        crontab=schedule,
        task="chargers.tasks.command_schedule_run",
        kwargs=json.dumps(
            {
                "action": action,
                "payload": payload,
                "target": target,
                "requested_by_id": getattr(_user(requested_by), "pk", None),
                "description": name,
            }
        ),
    )
