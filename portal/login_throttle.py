"""Failed logins counted per account and per address, in Django's cache: Redis, so that every daphne process
sees the same counts. Used by the login page (which the admin's login redirects to) and by API key checks.

A window opens at an account's (or address's) first failure and closes LOGIN_FAILURE_WINDOW_S later; while
it is open and the count has reached its limit, logins are refused before any password is checked, so that
a correct guess cannot be told from a wrong one.
"""

import hashlib
import logging

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

__all__ = ["address_wait", "client_address", "failure_record", "failures_clear", "login_wait", "success_record"]

TOO_MANY_MESSAGE = (
    "Too many failed logins for this account or from this address. "
    f"Try again in {settings.LOGIN_FAILURE_WINDOW_S // 60} minutes at the latest."
)


def client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR") or "unknown"


def _key(kind: str, value: str) -> str:
    # Hashed: usernames may hold characters some cache backends refuse in keys, and the key then has a fixed length.
    return f"login-failures:{kind}:{hashlib.sha256(value.encode()).hexdigest()[:32]}"


def _username_key(username: str) -> str:
    return _key("username", username.strip().casefold())


def _count(key: str) -> int:
    try:
        return int(cache.get(key) or 0)
    except (RedisError, OSError) as error:
        # Fail open: with Redis down nobody could log in at all, which is worse than a window without counts.
        logger.warning("login throttle: cannot read failure counts (%s)", error)
        return 0


def login_wait(*, username: str | None, address: str) -> int:
    """Seconds to wait before this login may be tried (at most; 0: go ahead)."""
    blocked = _count(_key("address", address)) >= settings.LOGIN_FAILURES_PER_ADDRESS or (
        bool(username) and _count(_username_key(username)) >= settings.LOGIN_FAILURES_PER_USERNAME
    )
    return settings.LOGIN_FAILURE_WINDOW_S if blocked else 0


def address_wait(*, address: str) -> int:
    return login_wait(username=None, address=address)


def _increment(key: str) -> None:
    window = settings.LOGIN_FAILURE_WINDOW_S
    try:
        cache.add(key, 0, timeout=window)  # opens the window at the first failure only
        try:
            cache.incr(key)  # atomic on Redis: concurrent failures in several processes all count
        except ValueError:
            cache.set(key, 1, timeout=window)  # the window closed between the two calls
    except (RedisError, OSError) as error:
        logger.warning("login throttle: cannot count a failure (%s)", error)


def failure_record(*, username: str | None, address: str) -> None:
    _increment(_key("address", address))
    if username:
        _increment(_username_key(username))


def success_record(*, username: str) -> None:
    """The account's count starts again; the address's does not (one own account must not unlock an address)."""
    failures_clear(username=username)


def failures_clear(*, username: str | None = None, address: str | None = None) -> None:
    keys = ([_username_key(username)] if username else []) + ([_key("address", address)] if address else [])
    try:
        cache.delete_many(keys)
    except (RedisError, OSError) as error:
        logger.warning("login throttle: cannot clear failure counts (%s)", error)
