"""What a charger reports of its state: connector status, diagnostics and firmware status, DataTransfer in."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from chargers.events import FirmwareStatusChanged, connector_status_changed
from chargers.models import ChargePoint, Connector, DataTransferMessage
from chargers.profiles.selectors import data_transfer_problems
from core import events

__all__ = [
    "charge_point_diagnostics_status",
    "charge_point_firmware_status",
    "connector_status_update",
    "data_transfer_receive",
]


# What a StatusNotification reports that an event tells: a notification that changes none of it publishes nothing.
_REPORTED = ("status", "error_code", "info", "vendor_error_code")


def connector_status_update(
    *,
    charge_point_pk: int,
    charge_point_id: str,
    connector_id: int,
    status: str,
    error_code: str,
    timestamp: datetime | None,
    info: str = "",
    vendor_id: str = "",
    vendor_error_code: str = "",
) -> Connector:
    """Keep the latest status per connector; a late (queued) notification does not overwrite a newer one.
    A change is published (ConnectorStatusChanged; the alerts app raises an alert for a fault from it), so a
    status repeated unchanged publishes nothing. `charge_point_id` (the ident, which the session knows) names
    the charger in the events without a query."""
    now = timezone.now()
    connector, created = Connector.objects.get_or_create(charge_point_id=charge_point_pk, connector_id=connector_id)
    reported_at = timestamp or now
    if connector.status_timestamp and reported_at < connector.status_timestamp:
        return connector
    before = None if created else tuple(getattr(connector, name) for name in _REPORTED)
    connector.status = status
    connector.error_code = error_code
    connector.info = info
    connector.vendor_id = vendor_id
    connector.vendor_error_code = vendor_error_code
    connector.status_timestamp = reported_at
    connector.status_received_at = now
    connector.save()
    if before != tuple(getattr(connector, name) for name in _REPORTED):
        events.publish([connector_status_changed(connector=connector, charge_point_id=charge_point_id)])
    return connector


def charge_point_diagnostics_status(*, charge_point_pk: int, status: str) -> None:
    ChargePoint.objects.filter(pk=charge_point_pk).update(
        diagnostics_status=status, diagnostics_status_at=timezone.now()
    )


def charge_point_firmware_status(*, charge_point_pk: int, status: str) -> None:
    with transaction.atomic():
        ChargePoint.objects.filter(pk=charge_point_pk).update(firmware_status=status, firmware_status_at=timezone.now())
        charge_point_id = (
            ChargePoint.objects.filter(pk=charge_point_pk).values_list("charge_point_id", flat=True).first()
        )
        if charge_point_id is not None:
            events.publish(
                [FirmwareStatusChanged(charge_point_pk=charge_point_pk, charge_point_id=charge_point_id, status=status)]
            )


def data_transfer_receive(*, charge_point_pk: int, vendor_id: str, message_id: str, data: str) -> tuple[str, list[str]]:
    """Keep an incoming DataTransfer; return the answer's status and what in it does not fit the message's spec
    in the charger's model profile. No vendor extension is implemented yet, so the answer is UnknownVendorId
    (the 1.6 answer for a vendorId the central system has no handler for)."""
    status = "UnknownVendorId"
    DataTransferMessage.objects.create(
        charge_point_id=charge_point_pk,
        vendor_id=vendor_id,
        message_id=message_id,
        data=data,
        response_status=status,
    )
    problems = data_transfer_problems(
        charge_point_pk=charge_point_pk, vendor_id=vendor_id, message_id=message_id, data=data
    )
    return status, problems
