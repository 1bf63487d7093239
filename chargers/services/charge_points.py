"""Writes and business rules for charge points: registration, authentication, the session, status reports."""

import functools
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from chargers.layer import channel_send
from chargers.models import (
    ChargePoint,
    Command,
    CommandStatus,
    ConnectionAttempt,
    Connector,
    DataTransferMessage,
    RegistrationStatus,
)
from chargers.profiles.selectors import data_transfer_problems
from chargers.profiles.services import charge_point_profile_apply
from chargers.services.message_log import LogEntry, message_log_prune, message_log_write
from chargers.storable import storable_text

logger = logging.getLogger(__name__)

__all__ = [
    "ConnectDecision",
    "Connected",
    "LogEntry",
    "auth_key_generate",
    "auth_key_hash",
    "auth_key_matches",
    "charge_point_authenticate",
    "charge_point_boot",
    "charge_point_connected",
    "charge_point_diagnostics_status",
    "charge_point_firmware_status",
    "charge_point_heartbeat",
    "charge_point_register",
    "charge_point_registration_status",
    "charge_point_set_auth_key",
    "charge_point_set_registration",
    "charge_point_update",
    "charge_points_disconnected",
    "charge_points_mark_seen",
    "connection_attempt_log",
    "connector_status_update",
    "data_transfer_receive",
    "message_log_prune",
    "message_log_write",
]

_KEY_SALT = "chargers.auth_key"


# --- AuthorizationKey -------------------------------------------------------------------------------------


def auth_key_generate() -> str:
    """A new AuthorizationKey: 20 random bytes as 40 hex characters (the form chargers accept)."""
    return secrets.token_hex(20)


def _auth_key_canonical(key: bytes) -> bytes:
    """The 40-hex form and the raw 20 bytes are the same key (1.6 security whitepaper)."""
    try:
        text = key.decode("ascii")
    except UnicodeDecodeError:
        return key
    if len(text) == 40:
        try:
            return bytes.fromhex(text)
        except ValueError:
            return key
    return key


def auth_key_hash(*, key: bytes) -> str:
    """A keyed fast hash (HMAC-SHA256): keys are long random secrets, so a slow password hasher would only
    make a reconnect storm fail."""
    return salted_hmac(_KEY_SALT, _auth_key_canonical(key), algorithm="sha256").hexdigest()


def auth_key_matches(*, charge_point: ChargePoint, key: bytes) -> bool:
    return bool(charge_point.auth_key_hash) and hmac.compare_digest(charge_point.auth_key_hash, auth_key_hash(key=key))


def charge_point_set_auth_key(*, charge_point: ChargePoint, key: str) -> ChargePoint:
    if len(key) < 16:
        raise ValueError("An AuthorizationKey must be at least 16 characters (OCPP 1.6 security whitepaper)")
    charge_point.auth_key_hash = auth_key_hash(key=key.encode())
    charge_point.save(update_fields=["auth_key_hash"])
    return charge_point


# --- Registration -----------------------------------------------------------------------------------------


def charge_point_register(
    *,
    charge_point_id: str,
    auth_key: str | None = None,
    registration_status: str = RegistrationStatus.ACCEPTED,
    name: str = "",
) -> ChargePoint:
    """An operator registers a charger ahead of its first connection."""
    charge_point = ChargePoint(charge_point_id=charge_point_id, registration_status=registration_status, name=name)
    if auth_key:
        if len(auth_key) < 16:
            raise ValueError("An AuthorizationKey must be at least 16 characters")
        charge_point.auth_key_hash = auth_key_hash(key=auth_key.encode())
    charge_point.full_clean()
    with transaction.atomic():
        charge_point.save()
        Connector.objects.get_or_create(charge_point=charge_point, connector_id=0)
    return charge_point


def charge_point_set_registration(*, charge_point: ChargePoint, status: str) -> ChargePoint:
    """Accept or reject a charger (a Pending one learns it at its next BootNotification)."""
    if status not in RegistrationStatus.values:
        raise ValueError(f"registration status must be one of {RegistrationStatus.values}")
    charge_point.registration_status = status
    charge_point.save(update_fields=["registration_status"])
    charge_point.refresh_from_db(fields=["channel_name"])
    if charge_point.channel_name:
        # The live session caches the status: tell it, wherever (whichever daphne process) it runs.
        channel = charge_point.channel_name
        transaction.on_commit(lambda: channel_send(channel, {"type": "ocpp.registration", "status": status}))
    return charge_point


@dataclass(frozen=True)
class ConnectDecision:
    charge_point: ChargePoint | None
    reason: str = ""

    @property
    def allowed(self) -> bool:
        return self.charge_point is not None


def charge_point_authenticate(*, charge_point_id: str, password: bytes | None) -> ConnectDecision:
    """Decide whether a websocket handshake for this id may proceed, under the registration policy.

    A charger with an AuthorizationKey must present it (Basic auth). An unknown id is refused, kept Pending
    or accepted as OCPP_REGISTRATION says; if it presents a key, that key becomes its key (trust on first use,
    safe because a Pending charger can do nothing until an operator accepts it).
    """
    charge_point = _charge_point_for_handshake(charge_point_id)
    if charge_point is None:
        policy = settings.OCPP_REGISTRATION
        if policy == "reject":
            return ConnectDecision(None, "unknown charge point id (OCPP_REGISTRATION=reject)")
        status = RegistrationStatus.ACCEPTED if policy == "accept" else RegistrationStatus.PENDING
        key_hash = auth_key_hash(key=password) if password and len(password) >= 16 else ""
        charge_point = _charge_point_create_on_connect(charge_point_id, status, key_hash)
        return ConnectDecision(charge_point)
    if charge_point.auth_key_hash:
        if password is None:
            return ConnectDecision(None, "no Basic auth credentials (the charger has an AuthorizationKey)")
        if not auth_key_matches(charge_point=charge_point, key=password):
            return ConnectDecision(None, "wrong AuthorizationKey")
    return ConnectDecision(charge_point)


# What a handshake needs of the charger row; other fields load on access, as with .only().
_HANDSHAKE_FIELDS = ("id", "charge_point_id", "registration_status", "auth_key_hash", "channel_name")


@functools.cache
def _handshake_sql() -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(ChargePoint._meta.get_field(name).column) for name in _HANDSHAKE_FIELDS)
    table = quote(ChargePoint._meta.db_table)
    return f"SELECT {columns} FROM {table} WHERE {quote('charge_point_id')} = %s"  # noqa: S608 (names from _meta)


def _charge_point_for_handshake(charge_point_id: str) -> ChargePoint | None:
    """The charger row for a handshake, without the ORM's query compiler: it costs ~0.5 ms of CPU per lookup on
    the one database thread all consumers of a process share, and a reconnect storm does thousands of them."""
    with connection.cursor() as cursor:
        cursor.execute(_handshake_sql(), [charge_point_id])
        row = cursor.fetchone()
    return ChargePoint.from_db(connection.alias, _HANDSHAKE_FIELDS, row) if row else None


def _charge_point_create_on_connect(charge_point_id: str, status: str, key_hash: str) -> ChargePoint:
    with transaction.atomic():
        charge_point, created = ChargePoint.objects.get_or_create(
            charge_point_id=charge_point_id,
            defaults={"registration_status": status, "auth_key_hash": key_hash},
        )
        if created:
            Connector.objects.create(charge_point=charge_point, connector_id=0)
    return charge_point


def connection_attempt_log(
    *,
    charge_point_ident: str,
    reason: str,
    remote_addr: str = "",
    path: str = "",
    charge_point: ChargePoint | None = None,
) -> None:
    # Whatever the peer sent is kept, escaped where the database or a page could not hold it as it is.
    ConnectionAttempt.objects.create(
        charge_point_ident=storable_text(charge_point_ident)[:200],
        reason=storable_text(reason)[:200],
        remote_addr=storable_text(remote_addr)[:64],
        path=storable_text(path)[:500],
        charge_point=charge_point,
    )
    logger.warning("refused charger connection %r from %s: %s", charge_point_ident, remote_addr, reason)


# --- The session ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Connected:
    """What a new session needs to know: the session it replaces (to close it) and whether commands wait."""

    replaced_channel: str
    has_queued_commands: bool


def charge_point_connected(*, charge_point: ChargePoint, channel_name: str, remote_addr: str) -> Connected:
    """Record who holds the charger's socket now. Commands queued from here on find this channel; the ones
    queued before are reported, so the session delivers them without a query on every connect."""
    now = timezone.now()
    if connection.vendor == "postgresql":
        # A connect storm runs this once per charger on the one database thread: one statement (lock, read the
        # old channel, write, look for queued commands) instead of BEGIN, SELECT ... FOR UPDATE, UPDATE, COMMIT.
        with connection.cursor() as cursor:
            cursor.execute(_CONNECTED_SQL, [channel_name, now, now, remote_addr[:64], charge_point.pk])
            found = cursor.fetchone()
        previous, queued = (found[0] or "", found[1]) if found else ("", False)
    else:
        with transaction.atomic():
            previous = (
                ChargePoint.objects.select_for_update()
                .filter(pk=charge_point.pk)
                .values_list("channel_name", flat=True)
                .first()
            ) or ""
            ChargePoint.objects.filter(pk=charge_point.pk).update(
                is_online=True,
                channel_name=channel_name,
                connected_at=now,
                last_seen=now,
                remote_addr=remote_addr[:64],
            )
            queued = Command.objects.filter(charge_point_id=charge_point.pk, status=CommandStatus.QUEUED).exists()
    return Connected(previous if previous != channel_name else "", bool(queued))


# The row lock of FOR UPDATE makes the read of the old channel and the write one step, as select_for_update does.
_CONNECTED_SQL = """
    UPDATE chargers_chargepoint AS cp
    SET is_online = TRUE, channel_name = %s, connected_at = %s, last_seen = %s, remote_addr = %s
    FROM (SELECT id, channel_name FROM chargers_chargepoint WHERE id = %s FOR UPDATE) AS old
    WHERE cp.id = old.id
    RETURNING old.channel_name,
        EXISTS (SELECT 1 FROM chargers_command AS c WHERE c.charge_point_id = cp.id AND c.status = 'queued')
"""


def charge_points_disconnected(*, sessions: list[tuple[int, str]]) -> int:
    """Mark chargers offline, each unless a newer session already holds it: (charger pk, channel) pairs.

    Batched (the consumers hand their disconnects to a group-commit writer): when a network blip drops every
    charger at once, ten thousand single updates on the one database thread would outlast daphne's application
    close timeout, and a killed session leaves its charger marked online."""
    if not sessions:
        return 0
    now = timezone.now()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_DISCONNECTED_SQL, [now, [pk for pk, _ in sessions], [ch for _, ch in sessions]])
            return cursor.rowcount
    with transaction.atomic():
        return sum(
            ChargePoint.objects.filter(pk=pk, channel_name=channel).update(
                is_online=False, channel_name="", disconnected_at=now
            )
            for pk, channel in sessions
        )


_DISCONNECTED_SQL = """
    UPDATE chargers_chargepoint AS cp SET is_online = FALSE, channel_name = '', disconnected_at = %s
    FROM unnest(%s::bigint[], %s::text[]) AS gone(id, channel)
    WHERE cp.id = gone.id AND cp.channel_name = gone.channel
"""


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
    registration_status = charge_point_registration_status(charge_point_pk=charge_point_pk)
    interval = (
        settings.OCPP_HEARTBEAT_INTERVAL
        if registration_status == RegistrationStatus.ACCEPTED
        else settings.OCPP_PENDING_RETRY_INTERVAL
    )
    fields = {
        "vendor": vendor,
        "model": model,
        "serial_number": serial_number,
        "charge_box_serial_number": charge_box_serial_number,
        "firmware_version": firmware_version,
        "iccid": iccid,
        "imsi": imsi,
        "meter_type": meter_type,
        "meter_serial_number": meter_serial_number,
    }
    now = timezone.now()
    ChargePoint.objects.filter(pk=charge_point_pk).update(
        **fields, last_boot_at=now, last_seen=now, heartbeat_interval_s=interval
    )
    # The model profile (from the vendor questionnaire): matched unless an operator chose it; its connectors.
    charge_point_profile_apply(charge_point_pk=charge_point_pk, vendor=vendor, model=model)
    return registration_status, interval


def charge_point_registration_status(*, charge_point_pk: int) -> str:
    return ChargePoint.objects.filter(pk=charge_point_pk).values_list("registration_status", flat=True).get()


def charge_point_heartbeat(*, charge_point_pk: int) -> None:
    now = timezone.now()
    ChargePoint.objects.filter(pk=charge_point_pk).update(last_heartbeat_at=now, last_seen=now)


def connector_status_update(
    *,
    charge_point_pk: int,
    connector_id: int,
    status: str,
    error_code: str,
    timestamp: datetime | None,
    info: str = "",
    vendor_id: str = "",
    vendor_error_code: str = "",
) -> Connector:
    """Keep the latest status per connector; a late (queued) notification does not overwrite a newer one."""
    now = timezone.now()
    connector, _ = Connector.objects.get_or_create(charge_point_id=charge_point_pk, connector_id=connector_id)
    reported_at = timestamp or now
    if connector.status_timestamp and reported_at < connector.status_timestamp:
        return connector
    connector.status = status
    connector.error_code = error_code
    connector.info = info
    connector.vendor_id = vendor_id
    connector.vendor_error_code = vendor_error_code
    connector.status_timestamp = reported_at
    connector.status_received_at = now
    connector.save()
    return connector


def charge_point_diagnostics_status(*, charge_point_pk: int, status: str) -> None:
    ChargePoint.objects.filter(pk=charge_point_pk).update(
        diagnostics_status=status, diagnostics_status_at=timezone.now()
    )


def charge_point_firmware_status(*, charge_point_pk: int, status: str) -> None:
    ChargePoint.objects.filter(pk=charge_point_pk).update(firmware_status=status, firmware_status_at=timezone.now())


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


def charge_point_update(
    *,
    charge_point: ChargePoint,
    name: str | None = None,
    registration_status: str | None = None,
    authorization_key: str | None = None,
) -> ChargePoint:
    """One operator edit, one transaction: rename, set a new key, accept or reject (the live session hears of
    a registration change on commit)."""
    with transaction.atomic():
        if name is not None and name != charge_point.name:
            charge_point.name = name
            charge_point.save(update_fields=["name"])
        if authorization_key is not None:
            charge_point_set_auth_key(charge_point=charge_point, key=authorization_key)
        if registration_status is not None and registration_status != charge_point.registration_status:
            charge_point_set_registration(charge_point=charge_point, status=registration_status)
    return charge_point
