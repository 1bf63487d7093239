"""The command rules: what may be asked of a charger, and queuing it (one command, a batch, a schedule), or
cancelling it before it goes out. The Command row is the record; the channel layer is only the wire
(chargers/commands/dispatch.py), and a command goes out once the session holding the charger claims it
(chargers/commands/pipeline.py).

A command's payload is an OCPP request, whose schema is the protocol room's to check, and these services never
import the room: the edges (api, admin, views, tasks), which may, hand over `check_payload`
(chargers.ocpp.results.request_problem). It runs after the portal has filled in what it owns (a ReserveNow's
reservationId) and before anything is queued, so a bad payload is refused as before, naming its field, whoever
asks; and a test may hand over a stub.
"""

import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from chargers.actions import CENTRAL_ACTIONS
from chargers.commands.dispatch import commands_dispatch_on_commit
from chargers.commands.models import Command, CommandBatch, CommandStatus, Reservation
from chargers.commands.pipeline import command_end
from chargers.commands.secrets import (
    MIN_AUTHORIZATION_KEY_LENGTH,
    authorization_key_sent,
    commands_stage_authorization_keys,
    schedule_refuse_secret,
)
from chargers.commands.selectors import SCHEDULE_TASK, charge_points_matching
from chargers.files.services import files_prepare_payload
from chargers.models import ChargePoint, RegistrationStatus
from chargers.profiles.selectors import charge_point_supports_action
from chargers.redaction import redact
from rfid.services import id_tag_remote_start_problem

__all__ = [
    "PORTAL_OWNED",
    "PayloadCheck",
    "command_batch_create",
    "command_cancel",
    "command_create",
    "command_prepare_payload",
    "command_schedule_create",
    "command_supported",
    "command_validate",
]

PayloadCheck = Callable[[str, dict], str | None]
"""What is wrong with a request payload for an action ("field: reason"), or None when nothing is."""

# Fields of a request the portal fills in when they are left out (the admin's forms leave them optional).
PORTAL_OWNED: dict[str, frozenset[str]] = {"ReserveNow": frozenset({"reservationId"})}


def command_validate(*, charge_point: ChargePoint, action: str, payload: dict, check_payload: PayloadCheck) -> None:
    """Refuse, before anything is queued, what the charger must not or cannot be asked."""
    if action not in CENTRAL_ACTIONS:
        raise ValidationError({"action": [f"{action!r} is not an OCPP 1.6 central system operation"]})
    if not isinstance(payload, dict):
        raise ValidationError({"payload": ["must be a JSON object"]})
    problem = check_payload(action, payload)
    if problem:
        raise ValidationError({"payload": [problem]})
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
    new_key = authorization_key_sent(action=action, payload=payload)
    if new_key is not None and len(new_key) < MIN_AUTHORIZATION_KEY_LENGTH:
        raise ValidationError(
            {"payload": [f"value: an AuthorizationKey has at least {MIN_AUTHORIZATION_KEY_LENGTH} characters"]}
        )
    _refuse_unauthorized_remote_start(charge_point=charge_point, action=action, payload=payload)


def _refuse_unauthorized_remote_start(*, charge_point: ChargePoint, action: str, payload: dict) -> None:
    """A RemoteStartTransaction gets the decision its StartTransaction would (rfid's one authorization)."""
    if action != "RemoteStartTransaction" or not isinstance(payload.get("idTag"), str):
        return
    connector_id = payload.get("connectorId")
    problem = id_tag_remote_start_problem(
        charge_point_pk=charge_point.pk,
        id_tag=payload["idTag"],
        connector_id=connector_id if isinstance(connector_id, int) else None,
    )
    if problem:
        raise ValidationError({"payload": [problem]})


def command_supported(*, charge_point: ChargePoint, action: str) -> tuple[bool, str]:
    """What the charger's model profile says; without a profile everything is allowed."""
    return charge_point_supports_action(charge_point=charge_point, action=action)


def command_prepare_payload(*, charge_point: ChargePoint, action: str, payload: dict) -> dict:
    """Fill in what the portal owns: a ReserveNow without reservationId gets a new Reservation's id; a
    GetDiagnostics without location a one-time upload location, an UpdateFirmware naming hosted firmware its
    signed URL (chargers/files/)."""
    payload = files_prepare_payload(charge_point=charge_point, action=action, payload=payload)
    if action == "ReserveNow" and "reservationId" not in payload:
        expires = _parse(payload.get("expiryDate"))
        if (
            expires is not None
            and isinstance(payload.get("connectorId"), int)
            and isinstance(payload.get("idTag"), str)
        ):
            reservation = Reservation.objects.create(
                charge_point=charge_point,
                connector_id=payload["connectorId"],
                id_tag=payload["idTag"][:20],
                parent_id_tag=str(payload.get("parentIdTag", ""))[:20],
                expires_at=expires,
            )
            payload["reservationId"] = reservation.pk
    return payload


def _parse(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _expiry(expires_at: datetime | None, not_before: datetime | None) -> datetime:
    if expires_at is not None:
        return expires_at
    return (not_before or timezone.now()) + timedelta(seconds=settings.OCPP_COMMAND_EXPIRY)


def _user(requested_by: Any) -> Any:
    return requested_by if getattr(requested_by, "is_authenticated", False) else None


def command_create(
    *,
    charge_point: ChargePoint,
    action: str,
    payload: dict,
    check_payload: PayloadCheck,
    requested_by: Any = None,
    requested_via: str = "system",
    not_before: datetime | None = None,
    expires_at: datetime | None = None,
    batch: CommandBatch | None = None,
    dispatch: bool = True,
) -> Command:
    """Validate and queue one command; it is dispatched once the row is committed."""
    payload = command_prepare_payload(charge_point=charge_point, action=action, payload=_payload_object(payload))
    command_validate(charge_point=charge_point, action=action, payload=payload, check_payload=check_payload)
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
    commands_stage_authorization_keys(commands=[command])
    if dispatch:
        commands_dispatch_on_commit(command_ids=[command.pk], not_before=not_before, poke_here=True)
    return command


def _payload_object(payload: object) -> dict:
    """A copy of the payload, which must be a JSON object (none: an empty one); a list or a string is refused
    here, before anything reads it as a mapping."""
    if payload is None:
        return {}
    if not isinstance(payload, dict):
        raise ValidationError({"payload": ["must be a JSON object"]})
    return dict(payload)


def command_batch_create(
    *,
    charge_points: Iterable[ChargePoint],
    action: str,
    payload: dict,
    check_payload: PayloadCheck,
    requested_by: Any = None,
    requested_via: str = "system",
    description: str = "",
    not_before: datetime | None = None,
    expires_at: datetime | None = None,
) -> tuple[CommandBatch, dict[str, list[str]]]:
    """One request for many chargers. Chargers that cannot take it are skipped and reported by id with the
    reason; the others get one command each, dispatched together."""
    payload = _payload_object(payload)
    with transaction.atomic():
        # The batch records the request and is never sent: it keeps no secret (its commands do, until sent).
        batch = CommandBatch.objects.create(
            action=action,
            payload=redact(action, payload),
            description=description[:200],
            requested_by=_user(requested_by),
        )
        rows, refused = _batch_commands(
            batch=batch,
            charge_points=charge_points,
            payload=payload,
            check_payload=check_payload,
            requested_via=requested_via,
            not_before=not_before,
            expires_at=_expiry(expires_at, not_before),
        )
        created = Command.objects.bulk_create(rows, batch_size=1000)
        commands_stage_authorization_keys(commands=created)
        ids = [c.pk for c in created]
        if ids:
            commands_dispatch_on_commit(command_ids=ids, not_before=not_before, poke_here=False)
    return batch, refused


def _batch_commands(
    *,
    batch: CommandBatch,
    charge_points: Iterable[ChargePoint],
    payload: dict,
    check_payload: PayloadCheck,
    **fields: Any,
) -> tuple[list[Command], dict[str, list[str]]]:
    """One unsaved command of the batch per charger that can take it; the others by id, with the reasons."""
    rows, refused = [], {}
    for charge_point in charge_points:
        prepared = command_prepare_payload(charge_point=charge_point, action=batch.action, payload=dict(payload))
        try:
            command_validate(
                charge_point=charge_point, action=batch.action, payload=prepared, check_payload=check_payload
            )
        except ValidationError as error:
            refused[charge_point.charge_point_id] = [m for ms in error.message_dict.values() for m in ms]
            continue
        rows.append(
            Command(
                charge_point=charge_point,
                action=batch.action,
                payload=prepared,
                batch=batch,
                requested_by=batch.requested_by,
                **fields,
            )
        )
    return rows, refused


def command_cancel(*, command: Command) -> bool:
    """Cancel a command that has not gone out yet; one that was sent cannot be called back."""
    with transaction.atomic():
        cancelled = command_end(
            commands=Command.objects.filter(pk=command.pk, status=CommandStatus.QUEUED),
            status=CommandStatus.CANCELLED,
            answered_at=timezone.now(),
        )
    command.refresh_from_db()
    return bool(cancelled)


# --- Schedules --------------------------------------------------------------------------------------------


def _schedule_errors(*, cron: str, action: str, payload: dict, target: dict, check_payload: PayloadCheck) -> dict:
    errors: dict[str, list[str]] = {}
    if len(cron.split()) != 5:
        errors["cron"] = ["five fields: minute hour day-of-month month day-of-week, e.g. '0 3 * * *'"]
    if action not in CENTRAL_ACTIONS:
        errors["action"] = [f"{action!r} is not an OCPP 1.6 central system operation"]
    else:
        problem = check_payload(action, payload)
        if problem:
            errors["payload"] = [problem]
        else:
            try:
                schedule_refuse_secret(action=action, payload=payload)
            except ValidationError as error:
                errors["payload"] = error.message_dict["payload"]
    try:
        charge_points_matching(target=target)
    except ValueError as error:
        errors["target"] = [str(error)]
    return errors


def command_schedule_create(
    *,
    name: str,
    cron: str,
    action: str,
    payload: dict,
    target: dict,
    check_payload: PayloadCheck,
    requested_by: Any = None,
) -> PeriodicTask:
    """A recurring command (e.g. a nightly Reset of all INCH chargers): a django-celery-beat entry that creates
    a batch for the chargers matching `target` each time it fires. `cron` is 'minute hour day month weekday'."""
    errors = _schedule_errors(cron=cron, action=action, payload=payload, target=target, check_payload=check_payload)
    if errors:
        raise ValidationError(errors)
    minute, hour, day_of_month, month_of_year, day_of_week = cron.split()
    schedule, _ = CrontabSchedule.objects.get_or_create(
        minute=minute,
        hour=hour,
        day_of_month=day_of_month,
        month_of_year=month_of_year,
        day_of_week=day_of_week,
        timezone=settings.TIME_ZONE,
    )
    requester = _user(requested_by)
    return PeriodicTask.objects.create(
        name=name,
        crontab=schedule,
        task=SCHEDULE_TASK,
        kwargs=json.dumps(
            {
                "action": action,
                "payload": payload,
                "target": target,
                "requested_by_id": getattr(requester, "pk", None),
                "description": name,
            }
        ),
    )
