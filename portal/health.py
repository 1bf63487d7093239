"""What /health/ checks: the database, Redis, and that a Celery worker answers."""

from typing import Any

from django.conf import settings


def _check_database(connection: Any) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _check_redis() -> str:
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


def _check_celery() -> str:
    from portal.celery import app

    replies = app.control.ping(timeout=1.0)
    if not replies:
        raise RuntimeError("no Celery worker answered")
    return f"ok ({len(replies)} worker{'s' if len(replies) > 1 else ''})"


def health_report(*, connection: Any) -> dict:
    checks: dict[str, str] = {}
    ok = True
    for name, check in (
        ("database", lambda: _check_database(connection)),
        ("redis", _check_redis),
        ("celery", _check_celery),
    ):
        try:
            checks[name] = check()
        except Exception as exc:
            checks[name] = f"failing: {exc}"
            ok = False
    return {"ok": ok, "checks": checks}
