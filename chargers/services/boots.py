"""BootNotification: what chargers say of themselves, many at once (a group commit after a power cut)."""

from dataclasses import astuple, dataclass, fields

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from chargers import bulk
from chargers.models import ChargePoint, RegistrationStatus
from chargers.profiles.services import charge_points_profile_apply

__all__ = ["BootReport", "charge_points_boot"]


@dataclass(frozen=True)
class BootReport:
    """One BootNotification, read: the charger's pk, then the columns it writes, named as on ChargePoint."""

    charge_point_pk: int
    vendor: str
    model: str
    serial_number: str = ""
    charge_box_serial_number: str = ""
    firmware_version: str = ""
    iccid: str = ""
    imsi: str = ""
    meter_type: str = ""
    meter_serial_number: str = ""


_COLUMNS = tuple(f.name for f in fields(BootReport))[1:]


def _interval(registration_status: str) -> int:
    """A Pending or Rejected charger is told when to try again; an Accepted one how often to beat."""
    if registration_status == RegistrationStatus.ACCEPTED:
        return settings.OCPP_HEARTBEAT_INTERVAL
    return settings.OCPP_PENDING_RETRY_INTERVAL


def charge_points_boot(*, items: list[BootReport]) -> list[tuple[str, int]]:
    """Store what many chargers say of themselves, in one transaction; per item (registration status, interval in
    seconds). Each charger's model profile is matched (unless an operator chose it) and its connectors made."""
    now = timezone.now()
    with transaction.atomic():
        statuses = dict(
            ChargePoint.objects.filter(pk__in={i.charge_point_pk for i in items}).values_list(
                "pk", "registration_status"
            )
        )
        results = [(status, _interval(status)) for status in (statuses[i.charge_point_pk] for i in items)]
        rows = [(*astuple(item), interval) for item, (_, interval) in zip(items, results, strict=True)]
        bulk.charge_points_record_boot(columns=_COLUMNS, rows=rows, at=now)
        # The model profile (from the vendor questionnaire): matched unless an operator chose it; its connectors.
        charge_points_profile_apply(items=[(i.charge_point_pk, i.vendor, i.model) for i in items])
    return results
