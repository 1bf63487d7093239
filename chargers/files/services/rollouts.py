"""Firmware rollouts: hosted firmware sent in waves to chargers chosen by list or filter, following each charger's
FirmwareStatusNotification (and the end of its UpdateFirmware command), retrying failed chargers as configured and
pausing once the share of chargers that failed for good passes `max_failure_rate`.

The next wave goes out when the current one has finished. `rollout_advance` decides and sends; it runs in a Celery
task at the start time and after every change of a charger's state (chargers/files/subscribers.py), and it takes
the rollout's row lock, so two workers never send the same wave.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from chargers.commands.selectors import charge_points_matching
from chargers.files.models import (
    IN_FLIGHT_STATUSES,
    FirmwareRollout,
    HostedFirmware,
    RolloutCharger,
    RolloutChargerStatus,
    RolloutStatus,
)

__all__ = [
    "FIRMWARE_STATUSES",
    "rollout_advance",
    "rollout_command_ended",
    "rollout_create",
    "rollout_firmware_status",
    "rollout_pause",
    "rollout_resume",
]

# FirmwareStatusNotification's statuses -> a rollout charger's (Idle says nothing about a rollout).
FIRMWARE_STATUSES = {
    "Downloading": RolloutChargerStatus.DOWNLOADING,
    "Downloaded": RolloutChargerStatus.DOWNLOADED,
    "Installing": RolloutChargerStatus.INSTALLING,
    "Installed": RolloutChargerStatus.INSTALLED,
    "DownloadFailed": RolloutChargerStatus.FAILED,
    "InstallationFailed": RolloutChargerStatus.FAILED,
}

CommandSender = Callable[..., Any]
"""chargers.commands.services.command_create with the protocol room's payload check bound (the edges bind it)."""


def rollout_create(
    *,
    firmware: HostedFirmware,
    target: dict,
    batch_size: int,
    start_time: datetime,
    retries: int = 0,
    max_failure_rate: float = 1.0,
    created_by: Any = None,
) -> FirmwareRollout:
    """A rollout over the chargers `target` names ({"charge_point_ids": [...]} or filters, as bulk commands take)."""
    errors: dict[str, list[str]] = {}
    if batch_size < 1:
        errors["batch_size"] = ["at least 1"]
    if not 0 <= max_failure_rate <= 1:
        errors["max_failure_rate"] = ["between 0 and 1"]
    try:
        charge_points = list(charge_points_matching(target=target))
    except ValueError as error:
        errors["target"] = [str(error)]
        charge_points = []
    if not errors and not charge_points:
        errors["target"] = ["no charger matches"]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        rollout = FirmwareRollout.objects.create(
            firmware=firmware,
            target=target,
            batch_size=batch_size,
            start_time=start_time,
            retries=retries,
            max_failure_rate=max_failure_rate,
            created_by=created_by if getattr(created_by, "is_authenticated", False) else None,
        )
        RolloutCharger.objects.bulk_create([RolloutCharger(rollout=rollout, charge_point=cp) for cp in charge_points])
    return rollout


def _failed_for_good(rollout: FirmwareRollout) -> int:
    return rollout.chargers.filter(status=RolloutChargerStatus.FAILED, attempts__gt=rollout.retries).count()


def _failure_rate(rollout: FirmwareRollout) -> float:
    """Chargers failed for good (no retry left) among those that finished, leaving out the failures an operator
    accepted by resuming the rollout."""
    installed = rollout.chargers.filter(status=RolloutChargerStatus.INSTALLED).count()
    failed = _failed_for_good(rollout) - rollout.failures_forgiven
    finished = installed + failed
    return failed / finished if finished > 0 else 0.0


def rollout_advance(*, rollout_pk: int, send: CommandSender, now: datetime | None = None) -> FirmwareRollout | None:
    """Send the next wave if the rollout has started, is not paused, and its current wave has finished. None when
    the rollout is gone (a late message)."""
    now = now or timezone.now()
    with transaction.atomic():
        rollout = FirmwareRollout.objects.select_for_update().filter(pk=rollout_pk).first()
        if rollout is None:
            return None
        if rollout.status not in (RolloutStatus.SCHEDULED, RolloutStatus.RUNNING) or now < rollout.start_time:
            return rollout
        rate = _failure_rate(rollout)
        if rate > rollout.max_failure_rate:
            rollout.status = RolloutStatus.PAUSED
            rollout.reason = f"{rate:.0%} of the finished chargers failed, more than {rollout.max_failure_rate:.0%}"
            rollout.save(update_fields=["status", "reason"])
            return rollout
        if rollout.chargers.filter(status__in=IN_FLIGHT_STATUSES).exists():
            return rollout
        # The failed ones with a retry left join the pending ones.
        rollout.chargers.filter(status=RolloutChargerStatus.FAILED, attempts__lte=rollout.retries).update(
            status=RolloutChargerStatus.PENDING
        )
        wave = list(
            rollout.chargers.filter(status=RolloutChargerStatus.PENDING)
            .select_related("charge_point__charger_model")
            .order_by("attempts", "charge_point__charge_point_id")[: rollout.batch_size]
        )
        rollout.status = RolloutStatus.RUNNING if wave else RolloutStatus.COMPLETED
        rollout.save(update_fields=["status"])
        for row in wave:
            _send(row, rollout, send, now)
    return rollout


def _send(row: RolloutCharger, rollout: FirmwareRollout, send: CommandSender, now: datetime) -> None:
    row.attempts += 1
    row.updated_at = now
    try:
        row.command = send(
            charge_point=row.charge_point,
            action="UpdateFirmware",
            payload={"firmware_id": rollout.firmware_id},
            requested_by=rollout.created_by,
            requested_via="rollout",
        )
        row.status, row.detail = RolloutChargerStatus.SENT, ""
    except ValidationError as error:
        row.status = RolloutChargerStatus.FAILED
        row.detail = "; ".join(m for ms in error.message_dict.values() for m in ms)[:255]
    row.save(update_fields=["attempts", "updated_at", "command", "status", "detail"])


def rollout_firmware_status(*, charge_point_pk: int, status: str) -> list[int]:
    """A charger reported a firmware status: move its row in running rollouts (and paused ones, whose last wave
    still finishes); the rollouts to advance."""
    new = FIRMWARE_STATUSES.get(status)
    if new is None:
        return []
    rows = RolloutCharger.objects.filter(
        charge_point_id=charge_point_pk,
        status__in=IN_FLIGHT_STATUSES,
        rollout__status__in=(RolloutStatus.RUNNING, RolloutStatus.PAUSED),
    )
    rollout_pks = list(rows.values_list("rollout_id", flat=True))
    rows.update(status=new, detail=status, updated_at=timezone.now())
    return rollout_pks if new in (RolloutChargerStatus.INSTALLED, RolloutChargerStatus.FAILED) else []


def rollout_command_ended(*, command_pk: int, status: str) -> list[int]:
    """An UpdateFirmware of a rollout ended without being accepted (rejected, failed, timed out, expired): the
    charger failed this attempt. The rollouts to advance."""
    if status == "accepted":
        return []
    rows = RolloutCharger.objects.filter(command_id=command_pk, status=RolloutChargerStatus.SENT)
    rollout_pks = list(rows.values_list("rollout_id", flat=True))
    rows.update(status=RolloutChargerStatus.FAILED, detail=f"UpdateFirmware {status}", updated_at=timezone.now())
    return rollout_pks


def rollout_pause(*, rollout: FirmwareRollout) -> FirmwareRollout:
    """No new wave (the chargers of the current one finish on their own)."""
    FirmwareRollout.objects.filter(pk=rollout.pk, status__in=(RolloutStatus.SCHEDULED, RolloutStatus.RUNNING)).update(
        status=RolloutStatus.PAUSED, reason="paused by an operator"
    )
    rollout.refresh_from_db()
    return rollout


def rollout_resume(*, rollout: FirmwareRollout) -> FirmwareRollout:
    """Go on after a pause; the failures so far no longer count against max_failure_rate (they are given up on)."""
    FirmwareRollout.objects.filter(pk=rollout.pk, status=RolloutStatus.PAUSED).update(
        status=RolloutStatus.RUNNING, reason="", failures_forgiven=_failed_for_good(rollout)
    )
    rollout.refresh_from_db()
    return rollout
