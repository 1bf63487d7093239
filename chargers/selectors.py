"""Reads for charge points."""

from datetime import datetime

from django.db.models import Count, Min, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, Greatest

from chargers.models import ChargePoint, Command, CommandStatus, ConnectionAttempt, MessageLog, RegistrationStatus
from transactions.models import Transaction


def charge_point_list() -> QuerySet[ChargePoint]:
    """Charge points with their connectors and `live_power_w`.

    Live power is the sum over the outlets (connector 1..n). Connector 0 is the charger as a whole: its meter
    already counts the outlets, so it is used only when no outlet reports power (else it would count twice).
    """
    return ChargePoint.objects.prefetch_related("connectors").annotate(
        live_power_w=Coalesce(
            Sum("connectors__power_w", filter=Q(connectors__connector_id__gt=0)),
            Sum("connectors__power_w", filter=Q(connectors__connector_id=0)),
        )
    )


def charge_point_get(*, charge_point_id: str) -> ChargePoint:
    return charge_point_list().get(charge_point_id=charge_point_id)


def charge_point_registration_status(*, pk: int) -> str | None:
    """The registration status on record (None for a charger deleted meanwhile)."""
    return ChargePoint.objects.filter(pk=pk).values_list("registration_status", flat=True).first()


def charge_point_id_exists(*, charge_point_id: str) -> bool:
    return ChargePoint.objects.filter(charge_point_id=charge_point_id).exists()


def dashboard_summary() -> dict:
    counts = ChargePoint.objects.aggregate(
        total=Count("id"),
        online=Count("id", filter=Q(is_online=True)),
        pending=Count("id", filter=Q(registration_status=RegistrationStatus.PENDING)),
    )
    counts["active_transactions"] = Transaction.objects.filter(stopped_at__isnull=True).count()
    counts["refused_connections"] = ConnectionAttempt.objects.order_by("-created_at")[:10]
    counts["pending_chargers"] = ChargePoint.objects.filter(registration_status=RegistrationStatus.PENDING)[:20]
    return counts


# --- Readings for /metrics (aggregates, read at each scrape) ----------------------------------------------------


def charge_point_counts() -> tuple[int, dict[str, int]]:
    """(chargers connected now, chargers by registration status)."""
    rows = ChargePoint.objects.values("registration_status").annotate(
        total=Count("id"), online=Count("id", filter=Q(is_online=True))
    )
    by_status = {row["registration_status"]: row["total"] for row in rows}
    return sum(row["online"] for row in rows), by_status


def message_log_counts(*, since: datetime) -> list[tuple[str, int | None, str, int]]:
    """Frames in the message log since `since`: (direction, message type, action, count); by the created_at
    index, so keep the window short."""
    rows = (
        MessageLog.objects.filter(created_at__gte=since)
        .values_list("direction", "message_type", "action")
        .annotate(count=Count("id"))
        .order_by()
    )
    return list(rows)


def command_counts(*, since: datetime) -> list[tuple[str, str, int]]:
    """Commands created since `since` by (action, status)."""
    rows = Command.objects.filter(created_at__gte=since).values_list("action", "status").annotate(count=Count("id"))
    return list(rows.order_by())


def command_queue(*, now: datetime) -> dict[bool, tuple[int, datetime | None]]:
    """Queued commands that are due (not scheduled for later), by whether their charger is online: how many, and
    since when the longest-waiting one has been due."""
    due_since = Greatest("created_at", Coalesce("not_before", "created_at"))
    rows = (
        Command.objects.filter(status=CommandStatus.QUEUED)
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .values_list("charge_point__is_online")
        .annotate(count=Count("id"), oldest=Min(due_since))
        .order_by()
    )
    return {online: (count, oldest) for online, count, oldest in rows}


def message_log_list(*, charge_point: ChargePoint | None = None) -> QuerySet[MessageLog]:
    """OCPP frames in and out, newest first; one charger's when given."""
    messages = MessageLog.objects.select_related("charge_point")
    return messages if charge_point is None else messages.filter(charge_point=charge_point)


def connection_attempt_list(*, charge_point: ChargePoint | None = None) -> QuerySet[ConnectionAttempt]:
    """Refused websocket handshakes, newest first; those naming one charger when given (by row or by the id it
    gave, since an unknown charger has no row)."""
    attempts = ConnectionAttempt.objects.select_related("charge_point")
    if charge_point is None:
        return attempts
    return attempts.filter(Q(charge_point=charge_point) | Q(charge_point_ident=charge_point.charge_point_id))
