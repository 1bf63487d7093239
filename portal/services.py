"""Writes of the portal app: API keys (created, checked, revoked; a key is shown once and stored as a hash) and
customer accounts."""

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from portal.models import ApiKey, ApiScope

__all__ = [
    "api_key_authenticate",
    "api_key_create",
    "api_key_hash",
    "api_keys_revoke",
    "api_scopes_clean",
    "customer_create",
]

# 20 random bytes as 40 hex characters: the length integrators' DRF tokens had.
KEY_BYTES = 20
PREFIX_LENGTH = 8
# last_used_at is written at most this often: a write per request would cost every API call a row lock.
LAST_USED_RESOLUTION = timedelta(seconds=60)


def api_key_hash(*, key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_key_create(
    *, user: AbstractBaseUser, name: str = "default", scopes: Iterable[str] | None = None
) -> tuple[ApiKey, str]:
    """A new key for `user` with `scopes` (all when None), and the key itself (shown once: only its hash is
    kept). The user's previous active key of the same name is revoked, which is what a leaked key needs."""
    scopes = api_scopes_clean(scopes=ApiScope.values if scopes is None else scopes)
    key = secrets.token_hex(KEY_BYTES)
    with transaction.atomic():
        api_keys_revoke(keys=ApiKey.objects.filter(user=user, name=name))
        api_key = ApiKey.objects.create(
            user=user, name=name, prefix=key[:PREFIX_LENGTH], key_hash=api_key_hash(key=key), scopes=scopes
        )
    return api_key, key


def api_scopes_clean(*, scopes: Iterable[str]) -> list[str]:
    """Known scopes, each once, in ApiScope's order; at least one."""
    wanted = {scope.strip() for scope in scopes if scope.strip()}
    unknown = sorted(wanted - set(ApiScope.values))
    if unknown:
        raise ValidationError(f"Unknown scope(s) {', '.join(unknown)}; known: {', '.join(ApiScope.values)}.")
    if not wanted:
        raise ValidationError(f"Name at least one scope of {', '.join(ApiScope.values)}.")
    return [scope for scope in ApiScope.values if scope in wanted]


def api_key_authenticate(*, key: str) -> ApiKey | None:
    """The active key `key` is, with its user; None for an unknown or revoked key."""
    api_key = (
        ApiKey.objects.select_related("user").filter(key_hash=api_key_hash(key=key), revoked_at__isnull=True).first()
    )
    if api_key is None:
        return None
    now = timezone.now()
    if api_key.last_used_at is None or api_key.last_used_at < now - LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key


def api_keys_revoke(*, keys: QuerySet[ApiKey]) -> int:
    """Revoke these keys (those not revoked yet); the rows stay, for the record."""
    return keys.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


def customer_create(*, username: str, email: str, password: str) -> AbstractBaseUser:
    """A customer account (not staff: it sees only its own tags' sessions at /me/). The password must pass
    Django's password validators; a taken username or a weak password is a ValidationError naming the field."""
    user_model = get_user_model()
    if user_model.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": ["A user with that username already exists."]})
    customer = user_model(username=username, email=email, is_staff=False)
    try:
        validate_password(password, user=customer)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from error
    customer.set_password(password)
    customer.full_clean(exclude=["password"])
    customer.save()
    return customer
