"""AuthorizationKeys as the database keeps them: a keyed hash, and the change of key a charger confirms.

Below the services (chargers.services.authentication decides who may connect; the command pipeline stages and
confirms a new key it sends), so that both reach it without importing each other.
"""

from django.utils.crypto import salted_hmac

from chargers.models import ChargePoint

__all__ = ["auth_key_hash", "charge_point_confirm_auth_key", "charge_point_stage_auth_key"]

_KEY_SALT = "chargers.auth_key"


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


def charge_point_stage_auth_key(*, charge_point_pks: list[int], key: str) -> None:
    """A ChangeConfiguration of the AuthorizationKey is on its way: the new key opens the session too, from now on."""
    ChargePoint.objects.filter(pk__in=charge_point_pks).update(auth_key_hash_next=auth_key_hash(key=key.encode()))


def charge_point_confirm_auth_key(*, charge_point_pk: int, key_hash: str) -> None:
    """The charger took its new key (it said Accepted, or connected with it): the old one stops working."""
    ChargePoint.objects.filter(pk=charge_point_pk).update(auth_key_hash=key_hash, auth_key_hash_next="")
