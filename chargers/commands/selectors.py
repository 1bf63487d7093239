"""Reads of the command pipeline: whom to poke, which chargers a bulk command or a schedule names, commands and
batches for the API and the admin, the recurring commands kept in django-celery-beat's table."""

import json
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from chargers.commands.models import Command, CommandBatch, CommandStatus
from chargers.models import ChargePoint, Transport

# The task a recurring command runs, by the name beat's rows in existing databases carry.
SCHEDULE_TASK = "chargers.tasks.command_schedule_run"


def command_targets(*, command_ids: list[int]) -> dict[str, list[int]]:
    """channel name of the consumer holding each online charger -> its queued commands among these."""
    targets: dict[str, list[int]] = {}
    rows = (
        Command.objects.filter(pk__in=command_ids, status=CommandStatus.QUEUED, charge_point__is_online=True)
        .exclude(charge_point__channel_name="")
        .order_by("created_at", "id")
        .values_list("pk", "charge_point__channel_name")
    )
    for pk, channel_name in rows:
        targets.setdefault(channel_name, []).append(pk)
    return targets


def charge_point_has_queued_commands(*, charge_point_pk: int) -> bool:
    now = timezone.now()
    return (
        Command.objects.filter(charge_point_id=charge_point_pk, status=CommandStatus.QUEUED)
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .exists()
    )


def soap_command_targets(*, command_ids: list[int]) -> list[int]:
    """The online SOAP chargers (no consumer holds them: a worker POSTs to them) with queued commands among
    these."""
    return list(
        Command.objects.filter(
            pk__in=command_ids,
            status=CommandStatus.QUEUED,
            charge_point__is_online=True,
            charge_point__transport=Transport.OCPP16_SOAP,
            charge_point__channel_name="",
        )
        .values_list("charge_point_id", flat=True)
        .distinct()
    )


# The filters a bulk command or a schedule may name (the REST bulk form and the admin use the same).
TARGET_FILTERS = {
    "charge_point_ids": "charge_point_id__in",
    "vendor": "vendor__iexact",
    "model": "model__iexact",
    "firmware_version": "firmware_version",
    "charger_model": "charger_model_id",
    "registration_status": "registration_status",
    "is_online": "is_online",
    "site": "site_id",
}


def charge_points_matching(*, target: dict) -> QuerySet[ChargePoint]:
    """The chargers a bulk request names, e.g. {"charger_model": 1, "firmware_version": "1.12"}: all INCH
    chargers on firmware 1.12. Unknown filter names are refused rather than ignored (a typo must not widen a
    'reset these' to 'reset all')."""
    unknown = set(target) - set(TARGET_FILTERS)
    if unknown:
        raise ValueError(f"unknown filter(s): {', '.join(sorted(unknown))}; use {', '.join(TARGET_FILTERS)}")
    if not target:
        raise ValueError("name at least one filter (charge_point_ids, vendor, model, firmware_version, ...)")
    lookups = {TARGET_FILTERS[name]: value for name, value in target.items()}
    # With their profiles: every charger's command is checked against its model before it is queued.
    return ChargePoint.objects.filter(**lookups).select_related("charger_model").order_by("charge_point_id")


def commands_due_for_online_chargers(*, older_than_s: float) -> list[int]:
    """Queued, deliverable commands of chargers that are online: normally sent within milliseconds, so any
    left here lost their poke (a channel-layer message is delivered at most once)."""
    now = timezone.now()
    return list(
        Command.objects.filter(
            status=CommandStatus.QUEUED,
            charge_point__is_online=True,
            created_at__lte=now - timedelta(seconds=older_than_s),
        )
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .values_list("pk", flat=True)[:5000]
    )


def command_list() -> QuerySet:
    return Command.objects.select_related("charge_point", "requested_by").order_by("-created_at", "-id")


def command_batch_progress(*, batch: CommandBatch) -> dict[str, int]:
    return dict(batch.commands.values_list("status").annotate(n=Count("id")).order_by())


def command_schedule_list(*, pk: int | None = None) -> list[dict]:
    """Recurring commands (or the one with `pk`), read back from django-celery-beat's table in the API's shape."""
    tasks = PeriodicTask.objects.filter(task=SCHEDULE_TASK).select_related("crontab")
    if pk is not None:
        tasks = tasks.filter(pk=pk)
    return [_schedule_shape(task) for task in tasks]


def _schedule_shape(task: PeriodicTask) -> dict:
    kwargs = json.loads(task.kwargs or "{}")
    crontab = task.crontab
    fields = (crontab.minute, crontab.hour, crontab.day_of_month, crontab.month_of_year, crontab.day_of_week)
    return {
        "id": task.pk,
        "name": task.name,
        "cron": " ".join(fields) if crontab else "",
        "action": kwargs.get("action"),
        "payload": kwargs.get("payload", {}),
        "target": kwargs.get("target", {}),
        "enabled": task.enabled,
    }


def schedule_requester(*, requested_by_id: int | None) -> Any:
    """The user a schedule runs for (None when it was made by none, or that user is gone)."""
    return get_user_model().objects.filter(pk=requested_by_id).first() if requested_by_id else None
