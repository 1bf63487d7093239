"""Reads for charge points."""

from django.db.models import Count, Q, QuerySet

from chargers.models import ChargePoint, ConnectionAttempt, RegistrationStatus


def charge_point_list() -> QuerySet[ChargePoint]:
    return ChargePoint.objects.prefetch_related("connectors")


def charge_point_get(*, charge_point_id: str) -> ChargePoint:
    return charge_point_list().get(charge_point_id=charge_point_id)


def dashboard_summary() -> dict:
    counts = ChargePoint.objects.aggregate(
        total=Count("id"),
        online=Count("id", filter=Q(is_online=True)),
        pending=Count("id", filter=Q(registration_status=RegistrationStatus.PENDING)),
    )
    from transactions.models import Transaction

    counts["active_transactions"] = Transaction.objects.filter(stopped_at__isnull=True).count()
    counts["refused_connections"] = ConnectionAttempt.objects.order_by("-created_at")[:10]
    counts["pending_chargers"] = ChargePoint.objects.filter(registration_status=RegistrationStatus.PENDING)[:20]
    return counts
