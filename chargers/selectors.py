"""Reads for charge points."""

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from chargers.models import ChargePoint, ConnectionAttempt, RegistrationStatus
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
