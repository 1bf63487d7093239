"""Who may open a charger's session: AuthorizationKeys, the handshake decision and the log of refused attempts."""

import hmac
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from django.conf import settings
from django.db import transaction

from chargers import bulk
from chargers.auth_keys import auth_key_hash, charge_point_confirm_auth_key
from chargers.models import ChargePoint, ConnectionAttempt, Connector, RegistrationStatus
from chargers.storable import storable_text
from core.transport_security import TransportSecurity

PLAIN_WS = TransportSecurity()  # no TLS, no client certificate

logger = logging.getLogger(__name__)

__all__ = [
    "ConnectDecision",
    "HandshakeAttempt",
    "RefusedAttempt",
    "auth_key_generate",
    "auth_key_hash",
    "auth_key_matches",
    "charge_point_authenticate",
    "charge_point_set_auth_key",
    "charge_points_authenticate",
    "connection_attempt_log",
    "connection_attempts_log",
]


def auth_key_generate() -> str:
    """A new AuthorizationKey: 20 random bytes as 40 hex characters (the form chargers accept)."""
    return secrets.token_hex(20)


def auth_key_matches(*, charge_point: ChargePoint, key: bytes) -> bool:
    """Whether `key` is the charger's AuthorizationKey, or the new one it was sent and has not confirmed yet (which
    it confirms hereby: the new key becomes its only key)."""
    hashed = auth_key_hash(key=key)
    if charge_point.auth_key_hash and hmac.compare_digest(charge_point.auth_key_hash, hashed):
        return True
    if charge_point.auth_key_hash_next and hmac.compare_digest(charge_point.auth_key_hash_next, hashed):
        charge_point_confirm_auth_key(charge_point_pk=charge_point.pk, key_hash=hashed)
        return True
    return False


def charge_point_set_auth_key(*, charge_point: ChargePoint, key: str) -> ChargePoint:
    if len(key) < 16:
        raise ValueError("An AuthorizationKey must be at least 16 characters (OCPP 1.6 security whitepaper)")
    charge_point.auth_key_hash = auth_key_hash(key=key.encode())
    charge_point.save(update_fields=["auth_key_hash"])
    return charge_point


@dataclass(frozen=True)
class ConnectDecision:
    charge_point: ChargePoint | None
    reason: str = ""

    @property
    def allowed(self) -> bool:
        return self.charge_point is not None


class HandshakeAttempt(NamedTuple):
    """A websocket handshake to decide: the charger id in its URL, the Basic-auth password and the transport."""

    charge_point_id: str
    password: bytes | None
    security: TransportSecurity = PLAIN_WS


def charge_point_authenticate(
    *, charge_point_id: str, password: bytes | None, security: TransportSecurity = PLAIN_WS
) -> ConnectDecision:
    """Decide whether a websocket handshake for this id may proceed (one attempt: see charge_points_authenticate)."""
    return charge_points_authenticate(attempts=[HandshakeAttempt(charge_point_id, password, security)])[0]


def charge_points_authenticate(*, attempts: Sequence[HandshakeAttempt]) -> list[ConnectDecision]:
    """Decide, for each attempt in order, whether its handshake may proceed, under the registration policy; one
    query for the batch (the consumers hand their handshakes to a group commit: a reconnect storm would
    otherwise pay a lookup per charger on the one database thread).

    A charger with an AuthorizationKey must present it (Basic auth). An unknown id is refused, kept Pending
    or accepted as OCPP_REGISTRATION says; if it presents a key, that key becomes its key (trust on first use,
    safe because a Pending charger can do nothing until an operator accepts it). A known charger's security
    profile decides what its transport must be: TLS for 2 and 3, and for 3 a verified client certificate whose CN
    is its id, which then stands in for the Basic auth (the whitepaper's profile 3 has none).
    """
    found = bulk.charge_points_for_handshake(charge_point_ids=list({a.charge_point_id for a in attempts}))
    return [_decide(attempt, found) for attempt in attempts]


def _decide(attempt: HandshakeAttempt, found: dict[str, ChargePoint]) -> ConnectDecision:
    password = attempt.password
    charge_point = found.get(attempt.charge_point_id)
    if charge_point is None:
        policy = settings.OCPP_REGISTRATION
        if policy == "reject":
            return ConnectDecision(None, "unknown charge point id (OCPP_REGISTRATION=reject)")
        status = RegistrationStatus.ACCEPTED if policy == "accept" else RegistrationStatus.PENDING
        key_hash = auth_key_hash(key=password) if password and len(password) >= 16 else ""
        charge_point, created = _charge_point_create_on_connect(attempt.charge_point_id, status, key_hash)
        # The same id later in the batch is a known charger now, whose key the next attempt must present (as
        # if they had come one after the other); so is one that another process created meanwhile.
        found[attempt.charge_point_id] = charge_point
        if created:
            return ConnectDecision(charge_point)
    if weaker := _weaker_than_profile(charge_point, attempt.security):
        return ConnectDecision(None, weaker)
    if charge_point.security_profile == PROFILE_CLIENT_CERTIFICATE:
        return ConnectDecision(charge_point)
    if charge_point.auth_key_hash:
        if password is None:
            return ConnectDecision(None, "no Basic auth credentials (the charger has an AuthorizationKey)")
        if not auth_key_matches(charge_point=charge_point, key=password):
            return ConnectDecision(None, "wrong AuthorizationKey")
    return ConnectDecision(charge_point)


PROFILE_TLS = 2
PROFILE_CLIENT_CERTIFICATE = 3


def _weaker_than_profile(charge_point: ChargePoint, security: TransportSecurity) -> str:
    """Why this transport is weaker than the charger's security profile requires, or ""."""
    profile = charge_point.security_profile
    if profile >= PROFILE_TLS and not security.tls:
        return f"security profile {profile} needs TLS (wss://): refused on plain ws"
    if profile == PROFILE_CLIENT_CERTIFICATE and security.client_cert_cn != charge_point.charge_point_id:
        presented = f"CN {security.client_cert_cn[:100]!r}" if security.client_cert_cn else "none"
        wanted = charge_point.charge_point_id
        return f"security profile 3 needs a client certificate with CN {wanted} (presented: {presented})"
    return ""


def _charge_point_create_on_connect(charge_point_id: str, status: str, key_hash: str) -> tuple[ChargePoint, bool]:
    with transaction.atomic():
        charge_point, created = ChargePoint.objects.get_or_create(
            charge_point_id=charge_point_id,
            defaults={"registration_status": status, "auth_key_hash": key_hash},
        )
        if created:
            Connector.objects.create(charge_point=charge_point, connector_id=0)
    return charge_point, created


class RefusedAttempt(NamedTuple):
    """A connection refused, for the log: the id it claimed, why, from where, on which path (and the charger,
    when it is known)."""

    charge_point_ident: str
    reason: str
    remote_addr: str = ""
    path: str = ""
    charge_point: ChargePoint | None = None


def connection_attempt_log(
    *,
    charge_point_ident: str,
    reason: str,
    remote_addr: str = "",
    path: str = "",
    charge_point: ChargePoint | None = None,
) -> None:
    connection_attempts_log(attempts=[RefusedAttempt(charge_point_ident, reason, remote_addr, path, charge_point)])


def connection_attempts_log(*, attempts: Sequence[RefusedAttempt]) -> None:
    """One INSERT for the batch: a storm of refused handshakes (a fleet with a stale key) costs no query each."""
    # Whatever the peer sent is kept, escaped where the database or a page could not hold it as it is.
    ConnectionAttempt.objects.bulk_create(
        ConnectionAttempt(
            charge_point_ident=storable_text(attempt.charge_point_ident)[:200],
            reason=storable_text(attempt.reason)[:200],
            remote_addr=storable_text(attempt.remote_addr)[:64],
            path=storable_text(attempt.path)[:500],
            charge_point=attempt.charge_point,
        )
        for attempt in attempts
    )
    for attempt in attempts:
        logger.warning(
            "refused charger connection %r from %s: %s", attempt.charge_point_ident, attempt.remote_addr, attempt.reason
        )
