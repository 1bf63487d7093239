"""The message log: every frame in and out, kept whatever it holds.

A frame with characters or numbers the database cannot hold (a NUL, a lone surrogate, NaN) is stored sanitised
(chargers/storable.py) and says so in `problems`, so one hostile frame never costs the batch it is written with,
nor its own row.
"""

import json
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from chargers import bulk
from chargers.bulk import LogEntry
from chargers.events import FrameLogged
from chargers.models import ConnectionAttempt, MessageLog
from chargers.storable import escape_unstorable, is_storable_text, storable_json
from core.event_groups import charger_group, watched_groups
from core.events import publish

__all__ = ["LogEntry", "log_entry_describe", "message_log_prune", "message_log_write"]


def log_entry_describe(entry: LogEntry) -> str:
    """How a log line names an entry the log could not keep."""
    what = entry.action or f"message type {entry.message_type}"
    return f"the {entry.direction} frame {entry.unique_id!r} ({what}) of charger {entry.charge_point_ident!r}"


_TEXT_FIELDS = ("charge_point_ident", "unique_id", "action", "raw", "error_code", "problems")
_TEXT_INDEXES = [LogEntry._fields.index(name) for name in _TEXT_FIELDS]
TAIL_TEXT_CHARS = 400  # of a frame's payload in the live tail: the page shows one line per frame
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
    """Append frames to the log (binary COPY on PostgreSQL, bulk insert elsewhere: chargers/bulk/)."""
    storable = [_storable(entry) for entry in entries]
    bulk.message_log_append(entries=[entry for entry, _ in storable], payload_texts=[text for _, text in storable])
    _publish_tail(storable)


def _publish_tail(storable: list[tuple[LogEntry, str | None]]) -> None:
    """The live tail of a charger page: an event per frame, only for chargers somebody watches. Every frame in
    and out passes here, so the common case (nobody watches) costs one set lookup per frame and builds nothing;
    watched_groups() reads Redis at most once a second per process (core/event_groups.py)."""
    watched = watched_groups()
    if not watched:
        return
    tail = [
        FrameLogged(
            charge_point_pk=entry.charge_point_id,
            charge_point_id=entry.charge_point_ident,
            direction=entry.direction,
            message_type=entry.message_type,
            unique_id=entry.unique_id,
            action=entry.action,
            text=(text if text is not None else entry.raw)[:TAIL_TEXT_CHARS],
            error_code=entry.error_code,
            created_at=entry.created_at,
        )
        for entry, text in storable
        if entry.charge_point_id is not None and charger_group(entry.charge_point_id) in watched
    ]
    if tail:
        publish(tail)


def message_log_prune(*, older_than_days: int | None = None) -> int:
    days = settings.OCPP_MESSAGE_LOG_RETENTION_DAYS if older_than_days is None else older_than_days
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = MessageLog.objects.filter(created_at__lt=cutoff).delete()
    ConnectionAttempt.objects.filter(created_at__lt=cutoff).delete()
    return deleted
