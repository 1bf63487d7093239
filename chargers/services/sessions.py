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
    "Arrival",
    "Connected",
    "Departure",
    "charge_point_boot",
    "charge_point_connected",
    "charge_point_heartbeat",
    "charge_points_connected",
    "charge_points_disconnected",
    "charge_points_mark_seen",
]


@dataclass(frozen=True)
class Connected:
    """What a new session needs to know: the session it replaces (to close it) and whether commands wait."""

    replaced_channel: str
    has_queued_commands: bool


class Arrival(NamedTuple):
    """A session that opened: its charger (pk and id), its channel and the peer's address."""

    charge_point_pk: int
    channel_name: str
    charge_point_id: str
    remote_addr: str


def charge_point_connected(*, charge_point: ChargePoint, channel_name: str, remote_addr: str) -> Connected:
    """Record who holds the charger's socket now (one session: see charge_points_connected)."""
    session = Arrival(charge_point.pk, channel_name, charge_point.charge_point_id, remote_addr)
    return charge_points_connected(sessions=[session])[0]


def charge_points_connected(*, sessions: list[Arrival]) -> list[Connected]:
    """Record who holds each charger's socket now; for each session, in order, the session it replaces and
    whether commands wait (the ones queued from here on find the new channel; the ones queued before are
    reported, so the session delivers them without a query on every connect). One ChargerOnline per charger.

    Batched (the consumers hand their connects to a group-commit writer): a reconnect storm otherwise pays one
    statement and every charger.online subscriber per charger on the one database thread. A charger twice in
    the batch (a quick reconnect) ends up held by its later session, as if they had connected in turn: each
    replaces the one before it, the first the one stored before; only the later is told of queued commands (the
    earlier is closed at once, and must not take them)."""
    last = {s.charge_point_pk: index for index, s in enumerate(sessions)}  # each charger's newest session
    newest = [sessions[index] for index in last.values()]
    found = bulk.charge_points_connect(
        sessions=[bulk.Connecting(s.charge_point_pk, s.channel_name, s.remote_addr) for s in newest], at=timezone.now()
    )
    held = {pk: takeover.previous_channel for pk, takeover in found.items()}  # each charger's holder so far
    results = []
    for index, session in enumerate(sessions):
        pk = session.charge_point_pk
        previous, held[pk] = held.get(pk, ""), session.channel_name
        waiting = pk in found and found[pk].has_queued_commands and last[pk] == index
        results.append(Connected(previous if previous != session.channel_name else "", waiting))
    events.publish(
        ChargerOnline(charge_point_pk=s.charge_point_pk, charge_point_id=s.charge_point_id, remote_addr=s.remote_addr)
        for s in newest
        if s.charge_point_pk in found
    )
    return results


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
