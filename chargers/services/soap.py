"""A charger over OCPP 1.6 SOAP has no connection to hold: each request it POSTs says it is there (and where to
call it back), and its silence says it is gone. These are the writes of both."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from chargers.commands.dispatch import soap_delivery_start
from chargers.commands.models import Command, CommandStatus
from chargers.events import ChargerOffline, ChargerOnline
from chargers.models import ChargePoint, RegistrationStatus, Transport
from chargers.services.authentication import charge_point_authenticate, connection_attempt_log
from core import events

__all__ = ["SoapArrival", "charge_point_soap_arrive", "charge_points_soap_silent"]

# A SOAP charger is offline once it missed this many heartbeats (a lost one or two is normal on a mobile link).
MISSED_HEARTBEATS_OFFLINE = 3


@dataclass(frozen=True)
class SoapArrival:
    """Who sent a SOAP request (None and why when it is refused) and its registration status."""

    charge_point_pk: int | None
    registration_status: str = ""
    reason: str = ""


def charge_point_soap_arrive(
    *, charge_point_id: str, password: bytes | None, address: str, remote_addr: str, path: str
) -> SoapArrival:
    """Authenticate a SOAP request's charger as a websocket handshake would be, and record that it is there:
    online over 1.6S, seen now, at `address` (its wsa:From or ReplyTo, when it gave one); only what changed is
    written. Commands queued for it while it was silent are handed to the sender."""
    decision = charge_point_authenticate(charge_point_id=charge_point_id, password=password)
    if not decision.allowed:
        connection_attempt_log(
            charge_point_ident=charge_point_id, reason=f"SOAP: {decision.reason}", remote_addr=remote_addr, path=path
        )
        return SoapArrival(None, reason=decision.reason)
    charge_point = decision.charge_point
    now = timezone.now()
    came_back = not (
        charge_point.is_online and charge_point.transport == Transport.OCPP16_SOAP and not charge_point.channel_name
    )
    moved = bool(address) and address != charge_point.soap_address
    # Like the websocket transport's last_seen, written at most every OCPP_LAST_SEEN_RESOLUTION seconds: a write
    # per request would double the database work of a Heartbeat.
    stale = charge_point.last_seen is None or (now - charge_point.last_seen).total_seconds() >= (
        settings.OCPP_LAST_SEEN_RESOLUTION
    )
    if came_back or moved or stale:
        _charge_point_soap_seen(charge_point, now=now, address=address, remote_addr=remote_addr, came_back=came_back)
    return SoapArrival(charge_point.pk, registration_status=charge_point.registration_status)


def _charge_point_soap_seen(
    charge_point: ChargePoint, *, now: datetime, address: str, remote_addr: str, came_back: bool
) -> None:
    changes = {"transport": Transport.OCPP16_SOAP, "is_online": True, "last_seen": now, "remote_addr": remote_addr[:64]}
    if address:
        changes.update(soap_address=address[:500], soap_address_seen_at=now)
    if came_back:
        # A SOAP charger holds no consumer: commands are POSTed to it by a worker, not sent to a channel.
        changes.update(connected_at=now, channel_name="")
    with transaction.atomic():
        ChargePoint.objects.filter(pk=charge_point.pk).update(**changes)
        if not came_back:
            return
        events.publish(
            [
                ChargerOnline(
                    charge_point_pk=charge_point.pk,
                    charge_point_id=charge_point.charge_point_id,
                    remote_addr=remote_addr,
                )
            ]
        )
        # Commands queued while it was silent go out now (one queued while it was online was sent at once).
        waiting = Command.objects.filter(charge_point_id=charge_point.pk, status=CommandStatus.QUEUED).exists()
        if waiting and charge_point.registration_status == RegistrationStatus.ACCEPTED:
            soap_delivery_start(charge_point_pks=[charge_point.pk])


def charge_points_soap_silent(*, now: datetime | None = None) -> int:
    """Mark offline the SOAP chargers that missed MISSED_HEARTBEATS_OFFLINE heartbeats; one ChargerOffline each."""
    now = now or timezone.now()
    default_interval = settings.OCPP_HEARTBEAT_INTERVAL
    online = ChargePoint.objects.filter(transport=Transport.OCPP16_SOAP, is_online=True).values_list(
        "pk", "charge_point_id", "last_seen", "heartbeat_interval_s"
    )
    silent = {
        pk: ident
        for pk, ident, last_seen, interval in online
        if last_seen is None
        or now - last_seen > timedelta(seconds=MISSED_HEARTBEATS_OFFLINE * (interval or default_interval))
    }
    if not silent:
        return 0
    with transaction.atomic():
        marked = ChargePoint.objects.filter(pk__in=silent, is_online=True, transport=Transport.OCPP16_SOAP).update(
            is_online=False, disconnected_at=now
        )
        events.publish([ChargerOffline(charge_point_pk=pk, charge_point_id=ident) for pk, ident in silent.items()])
    return marked
