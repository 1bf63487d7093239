"""What a charger reports of its state: connector status, diagnostics and firmware status, DataTransfer in."""

from copy import copy
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from chargers import bulk
from chargers.events import FirmwareStatusChanged, connector_status_changed
from chargers.models import ChargePoint, Connector, DataTransferMessage
from chargers.profiles.selectors import data_transfer_problems
from core import events

__all__ = [
    "ConnectorStatusReport",
    "charge_point_diagnostics_status",
    "charge_point_firmware_status",
    "connector_status_update",
    "connectors_status_update",
    "data_transfer_receive",
]


# What a StatusNotification reports that an event tells: a notification that changes none of it publishes nothing.
_REPORTED = ("status", "error_code", "info", "vendor_error_code")
# The columns a StatusNotification writes (never the readings, which the MeterValues writer keeps meanwhile), in
# the order of bulk.ConnectorStatus (with status_received_at after them).
_STATUS_FIELDS = ("status", "error_code", "info", "vendor_id", "vendor_error_code", "status_timestamp")


@dataclass(frozen=True)
class ConnectorStatusReport:
    """One StatusNotification, read. `charge_point_id` (the ident, which the session knows) names the charger in
    the events without a query; `timestamp` None means the charger sent none (the time received stands)."""

    charge_point_pk: int
    charge_point_id: str
    connector_id: int
    status: str
    error_code: str
    timestamp: datetime | None
    info: str = ""
    vendor_id: str = ""
    vendor_error_code: str = ""


def connector_status_update(**report: Any) -> Connector:
    """One StatusNotification (the keywords of ConnectorStatusReport): connectors_status_update of one."""
    return connectors_status_update(items=[ConnectorStatusReport(**report)])[0]


def connectors_status_update(*, items: list[ConnectorStatusReport]) -> list[Connector]:
    """Keep the latest status per connector, for many StatusNotifications in one transaction (a group commit),
    applied in order; a late (queued) notification does not overwrite a newer one. A change is published
    (ConnectorStatusChanged; the alerts app raises an alert for a fault from it), all of the batch's at once, so
    a status repeated unchanged publishes nothing. Returns each item's connector as it stood after the item."""
    now = timezone.now()
    with transaction.atomic():
        connectors, created = _connectors_of(items)
        changed: dict[int, Connector] = {}
        published = []
        results = []
        for item in items:
            connector = connectors[(item.charge_point_pk, item.connector_id)]
            taken, tells = _apply(connector, item, now, is_new=connector.pk in created)
            if taken:
                created.discard(connector.pk)  # a second report for it compares with this one
                changed[connector.pk] = connector
            if tells:
                published.append(connector_status_changed(connector=connector, charge_point_id=item.charge_point_id))
            results.append(copy(connector))  # as it stood after this item (a later one may change the row)
        bulk.connectors_set_status(
            [bulk.ConnectorStatus(c.pk, *(getattr(c, name) for name in _STATUS_FIELDS), now) for c in changed.values()]
        )
        events.publish(published)
    return results


def _connectors_of(items: list[ConnectorStatusReport]) -> tuple[dict[tuple[int, int], Connector], set[int]]:
    """The batch's connectors by (charger, connector), the missing ones created; and which were created."""
    keys = {(item.charge_point_pk, item.connector_id) for item in items}
    found = _read_connectors(keys)
    if len(found) == len(keys):
        return found, set()
    Connector.objects.bulk_create(
        [Connector(charge_point_id=pk, connector_id=c) for pk, c in keys - found.keys()],
        ignore_conflicts=True,  # a MeterValues or a boot may create the same connector at the same moment
    )
    known = set(found)
    found = _read_connectors(keys)
    return found, {c.pk for key, c in found.items() if key not in known}


def _read_connectors(keys: set[tuple[int, int]]) -> dict[tuple[int, int], Connector]:
    # Two IN lists rather than an OR per connector (one compile per batch); pairs outside the batch dropped here.
    rows = Connector.objects.filter(charge_point_id__in={k[0] for k in keys}, connector_id__in={k[1] for k in keys})
    return {(c.charge_point_id, c.connector_id): c for c in rows if (c.charge_point_id, c.connector_id) in keys}


def _apply(connector: Connector, item: ConnectorStatusReport, now: datetime, *, is_new: bool) -> tuple[bool, bool]:
    """Take the report onto the row unless it is older than what the row holds: (taken, changed what an event
    tells; always so for a connector created by this batch)."""
    reported_at = item.timestamp or now
    if connector.status_timestamp and reported_at < connector.status_timestamp:
        return False, False
    before = None if is_new else tuple(getattr(connector, name) for name in _REPORTED)
    for name in _STATUS_FIELDS[:-1]:
        setattr(connector, name, getattr(item, name))
    connector.status_timestamp = reported_at
    connector.status_received_at = now
    return True, before != tuple(getattr(connector, name) for name in _REPORTED)


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
