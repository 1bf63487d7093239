"""A charger's session: it connects, is seen, boots, beats and goes away."""

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from django.db.models import Q
from django.utils import timezone

from chargers import bulk
from chargers.events import ChargerOffline, ChargerOnline
from chargers.models import ChargePoint
from chargers.services.boots import BootReport, charge_points_boot
from core import events

__all__ = [
    "Connected",
    "Departure",
    "charge_point_boot",
    "charge_point_connected",
    "charge_point_heartbeat",
    "charge_points_disconnected",
    "charge_points_mark_seen",
]


@dataclass(frozen=True)
class Connected:
    """What a new session needs to know: the session it replaces (to close it) and whether commands wait."""

    replaced_channel: str
    has_queued_commands: bool


def charge_point_connected(*, charge_point: ChargePoint, channel_name: str, remote_addr: str) -> Connected:
    """Record who holds the charger's socket now. Commands queued from here on find this channel; the ones
    queued before are reported, so the session delivers them without a query on every connect."""
    found = bulk.charge_point_connect(
        charge_point_pk=charge_point.pk, channel_name=channel_name, remote_addr=remote_addr, at=timezone.now()
    )
    previous = found.previous_channel
    events.publish(
        [
            ChargerOnline(
                charge_point_pk=charge_point.pk, charge_point_id=charge_point.charge_point_id, remote_addr=remote_addr
            )
        ]
    )
    return Connected(previous if previous != channel_name else "", found.has_queued_commands)


class Departure(NamedTuple):
    """A session that ended: its charger (pk and id, which the session knows) and the channel that held it."""

    charge_point_pk: int
    channel_name: str
    charge_point_id: str


def charge_points_disconnected(*, sessions: list[Departure]) -> int:
    """Mark chargers offline, each unless a newer session already holds it; one ChargerOffline per charger
    really marked, published together.

    Batched (the consumers hand their disconnects to a group-commit writer): when a network blip drops every
    charger at once, ten thousand single updates on the one database thread would outlast daphne's application
    close timeout, and a killed session leaves its charger marked online."""
    marked = set(
        bulk.charge_points_disconnect(
            sessions=[(s.charge_point_pk, s.channel_name) for s in sessions], at=timezone.now()
        )
    )
    # A charger twice in one batch (a quick reconnect) is marked by one of its sessions: one event for it.
    gone = {s.charge_point_pk: s.charge_point_id for s in sessions if s.charge_point_pk in marked}
    events.publish([ChargerOffline(charge_point_pk=pk, charge_point_id=ident) for pk, ident in gone.items()])
    return len(marked)


def charge_points_mark_seen(*, charge_point_pks: list[int], seen_at: datetime) -> None:
    ChargePoint.objects.filter(pk__in=charge_point_pks).filter(
        Q(last_seen__isnull=True) | Q(last_seen__lt=seen_at)
    ).update(last_seen=seen_at)


def charge_point_boot(
    *,
    charge_point_pk: int,
    vendor: str,
    model: str,
    serial_number: str = "",
    charge_box_serial_number: str = "",
    firmware_version: str = "",
    iccid: str = "",
    imsi: str = "",
    meter_type: str = "",
    meter_serial_number: str = "",
) -> tuple[str, int]:
    """Store what the charger says of itself; return (registration status, interval in seconds)."""
    report = BootReport(
        charge_point_pk=charge_point_pk,
        vendor=vendor,
        model=model,
        serial_number=serial_number,
        charge_box_serial_number=charge_box_serial_number,
        firmware_version=firmware_version,
        iccid=iccid,
        imsi=imsi,
        meter_type=meter_type,
        meter_serial_number=meter_serial_number,
    )
    return charge_points_boot(items=[report])[0]


def charge_point_heartbeat(*, charge_point_pk: int) -> None:
    now = timezone.now()
    ChargePoint.objects.filter(pk=charge_point_pk).update(last_heartbeat_at=now, last_seen=now)
