"""Which twin a bulk rule runs: the raw SQL on PostgreSQL, the ORM elsewhere (SQLite)."""

from django.db import connection


def on_postgresql() -> bool:
    return connection.vendor == "postgresql"
