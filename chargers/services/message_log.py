"""The message log: every frame in and out, kept whatever it holds.

A frame with characters or numbers the database cannot hold (a NUL, a lone surrogate, NaN) is stored sanitised
(chargers/storable.py) and says so in `problems`, so one hostile frame never costs the batch it is written with,
nor its own row.
"""

import json
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection
from django.utils import timezone
from psycopg.types.json import Jsonb

from chargers.models import ConnectionAttempt, MessageLog
from chargers.storable import escape_unstorable, is_storable_text, storable_json


class LogEntry(NamedTuple):
    """One frame for the message log, in the table's column order (a tuple costs a tenth of a model instance,
    and every frame in and out makes one)."""

    charge_point_id: int | None
    charge_point_ident: str
    direction: str
    message_type: int | None
    unique_id: str
    action: str
    payload: Any
    raw: str
    error_code: str
    problems: str
    created_at: datetime


def log_entry_describe(entry: LogEntry) -> str:
    """How a log line names an entry the log could not keep."""
    what = entry.action or f"message type {entry.message_type}"
    return f"the {entry.direction} frame {entry.unique_id!r} ({what}) of charger {entry.charge_point_ident!r}"


_LOG_COLUMNS = ", ".join(LogEntry._fields)
_LOG_TYPES = [
    "int8",
    "varchar",
    "varchar",
    "int2",
    "varchar",
    "varchar",
    "jsonb",
    "text",
    "varchar",
    "text",
    "timestamptz",
]
_LOG_COPY = f"COPY chargers_messagelog ({_LOG_COLUMNS}) FROM STDIN (FORMAT BINARY)"
_TEXT_FIELDS = ("charge_point_ident", "unique_id", "action", "raw", "error_code", "problems")
_TEXT_INDEXES = [LogEntry._fields.index(name) for name in _TEXT_FIELDS]
SANITISED = "stored sanitised: NUL characters and lone surrogates as their escapes, NaN and Infinity as strings"


def _storable(entry: LogEntry) -> tuple[LogEntry, str | None]:
    """The entry as the database can store it, and its payload as JSON text (None for no payload)."""
    text, changed = storable_json(entry.payload) if entry.payload is not None else (None, False)
    # One test of all the text fields together: every frame in and out makes an entry.
    if not changed and is_storable_text("".join([entry[i] for i in _TEXT_INDEXES])):
        return entry, text
    cleaned = {name: escape_unstorable(getattr(entry, name)) for name in _TEXT_FIELDS}
    cleaned["problems"] = "; ".join(filter(None, [cleaned["problems"], SANITISED]))
    payload = json.loads(text) if changed else entry.payload
    return entry._replace(**cleaned, payload=payload), text


def message_log_write(*, entries: list[LogEntry]) -> None:
    """Append frames to the log: binary COPY on PostgreSQL (no conflicts to skip here), bulk insert elsewhere."""
    storable = [_storable(entry) for entry in entries]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor, cursor.cursor.copy(_LOG_COPY) as copy:
            copy.set_types(_LOG_TYPES)
            for entry, text in storable:
                # The JSON text is already made (and checked): the jsonb dumper takes it as it is.
                copy.write_row(entry._replace(payload=None if text is None else Jsonb(text, dumps=str)))
        return
    MessageLog.objects.bulk_create([MessageLog(**entry._asdict()) for entry, _ in storable], batch_size=500)


def message_log_prune(*, older_than_days: int | None = None) -> int:
    days = settings.OCPP_MESSAGE_LOG_RETENTION_DAYS if older_than_days is None else older_than_days
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = MessageLog.objects.filter(created_at__lt=cutoff).delete()
    ConnectionAttempt.objects.filter(created_at__lt=cutoff).delete()
    return deleted
