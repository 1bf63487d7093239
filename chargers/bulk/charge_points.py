"""Raw SQL of the charge points' sessions (handshake, connect, disconnect, boot) and of the message log."""

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import Case, CharField, Value, When
from psycopg.types.json import Jsonb

from chargers.bulk.engine import on_postgresql
from chargers.models import ChargePoint, Command, CommandStatus, MessageLog

# --- Handshake lookup -----------------------------------------------------------------------------------------

# What a handshake needs of the charger row; other fields load on access, as with .only().
HANDSHAKE_FIELDS = (
    "id",
    "charge_point_id",
    "registration_status",
    "auth_key_hash",
    "auth_key_hash_next",
    "channel_name",
    "security_profile",
    # What a SOAP request needs to know whether it changes anything (chargers/services/soap.py).
    "is_online",
    "transport",
    "soap_address",
    "last_seen",
)


@functools.cache
def _handshake_fields() -> tuple[str, ...]:
    """HANDSHAKE_FIELDS in the model's field order: Model.from_db reads a partial row's values in that order."""
    return tuple(f.name for f in ChargePoint._meta.concrete_fields if f.name in HANDSHAKE_FIELDS)


@functools.cache
def _handshake_sql() -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(ChargePoint._meta.get_field(name).column) for name in _handshake_fields())
    table = quote(ChargePoint._meta.db_table)
    return f"SELECT {columns} FROM {table} WHERE {quote('charge_point_id')} = ANY(%s)"  # noqa: S608 (names from _meta)


def charge_points_for_handshake_sql(*, charge_point_ids: Sequence[str]) -> dict[str, ChargePoint]:
    """Without the ORM's query compiler: it costs ~0.5 ms of CPU per lookup on the one database thread all
    consumers of a process share, and a reconnect storm does thousands of them."""
    with connection.cursor() as cursor:
        cursor.execute(_handshake_sql(), [list(charge_point_ids)])
        rows = cursor.fetchall()
    fields = _handshake_fields()
    chargers = (ChargePoint.from_db(connection.alias, fields, row) for row in rows)
    return {charger.charge_point_id: charger for charger in chargers}


def charge_points_for_handshake_orm(*, charge_point_ids: Sequence[str]) -> dict[str, ChargePoint]:
    chargers = ChargePoint.objects.only(*HANDSHAKE_FIELDS).filter(charge_point_id__in=charge_point_ids)
    return {charger.charge_point_id: charger for charger in chargers}


def charge_points_for_handshake(*, charge_point_ids: Sequence[str]) -> dict[str, ChargePoint]:
    """The charger rows for websocket handshakes (HANDSHAKE_FIELDS loaded) by exact id; unknown ids are absent."""
    if not charge_point_ids:
        return {}
    twin = charge_points_for_handshake_sql if on_postgresql() else charge_points_for_handshake_orm
    return twin(charge_point_ids=charge_point_ids)


# --- Sessions connect -----------------------------------------------------------------------------------------


class Takeover(NamedTuple):
    """What connecting found: the channel of the session it replaces ("" for none), and whether commands wait."""

    previous_channel: str
    has_queued_commands: bool


class Connecting(NamedTuple):
    """A session taking its charger over: the charger's pk, the session's channel and the peer's address."""

    charge_point_pk: int
    channel_name: str
    remote_addr: str


# The row locks of FOR UPDATE make the read of the old channels and the write one step, as select_for_update does;
# taken in pk order, so that two processes connecting overlapping batches cannot deadlock.
_CONNECT_SQL = """
    UPDATE chargers_chargepoint AS cp
    SET is_online = TRUE, channel_name = new.channel, connected_at = %s, last_seen = %s, remote_addr = new.addr
    FROM (SELECT id, channel_name FROM chargers_chargepoint WHERE id = ANY(%s) ORDER BY id FOR UPDATE) AS old,
        unnest(%s::bigint[], %s::text[], %s::text[]) AS new(id, channel, addr)
    WHERE cp.id = old.id AND new.id = old.id
    RETURNING cp.id, old.channel_name,
        EXISTS (SELECT 1 FROM chargers_command AS c WHERE c.charge_point_id = cp.id AND c.status = 'queued')
"""


def charge_points_connect_sql(*, sessions: Sequence[Connecting], at: datetime) -> dict[int, Takeover]:
    """One statement for the batch (lock, read the old channels, write, look for queued commands) instead of
    BEGIN, SELECT ... FOR UPDATE, UPDATE, COMMIT per charger: a connect storm runs on the one database thread."""
    pks = [s.charge_point_pk for s in sessions]
    columns = [pks, [s.channel_name for s in sessions], [s.remote_addr[:64] for s in sessions]]
    with connection.cursor() as cursor:
        cursor.execute(_CONNECT_SQL, [at, at, pks, *columns])
        return {pk: Takeover(previous or "", queued) for pk, previous, queued in cursor.fetchall()}


def charge_points_connect_orm(*, sessions: Sequence[Connecting], at: datetime) -> dict[int, Takeover]:
    pks = [s.charge_point_pk for s in sessions]

    def per_charger(values: dict[int, str]) -> Case:
        return Case(*(When(pk=pk, then=Value(value)) for pk, value in values.items()), output_field=CharField())

    with transaction.atomic():
        locked = ChargePoint.objects.select_for_update().filter(pk__in=pks).order_by("pk")
        previous = dict(locked.values_list("pk", "channel_name"))
        ChargePoint.objects.filter(pk__in=pks).update(
            is_online=True,
            channel_name=per_charger({s.charge_point_pk: s.channel_name for s in sessions}),
            remote_addr=per_charger({s.charge_point_pk: s.remote_addr[:64] for s in sessions}),
            connected_at=at,
            last_seen=at,
        )
        waiting = Command.objects.filter(charge_point_id__in=pks, status=CommandStatus.QUEUED).order_by()
        queued = set(waiting.values_list("charge_point_id", flat=True))
    return {pk: Takeover(channel or "", pk in queued) for pk, channel in previous.items()}


def charge_points_connect(*, sessions: Sequence[Connecting], at: datetime) -> dict[int, Takeover]:
    """Mark each charger online and held by its session's channel, one session per charger (the service picks
    it); returns what each found, by pk (a charger deleted meanwhile is absent)."""
    if len({s.charge_point_pk for s in sessions}) != len(sessions):
        raise ValueError("charge_points_connect: one session per charger")
    if not sessions:
        return {}
    twin = charge_points_connect_sql if on_postgresql() else charge_points_connect_orm
    return twin(sessions=sessions, at=at)


# --- Sessions end ---------------------------------------------------------------------------------------------

# Rows locked in pk order as the connects lock them (_CONNECT_SQL): a batch of disconnects in one daphne and a batch
# of connects in another over the same chargers would otherwise deadlock (PostgreSQL aborts one after a second).
_DISCONNECT_SQL = """
    UPDATE chargers_chargepoint AS cp SET is_online = FALSE, channel_name = '', disconnected_at = %s
    FROM (SELECT id FROM chargers_chargepoint WHERE id = ANY(%s) ORDER BY id FOR UPDATE) AS locked,
        unnest(%s::bigint[], %s::text[]) AS gone(id, channel)
    WHERE cp.id = locked.id AND gone.id = locked.id AND cp.channel_name = gone.channel
    RETURNING cp.id
"""


def charge_points_disconnect_sql(*, sessions: Sequence[tuple[int, str]], at: datetime) -> list[int]:
    with connection.cursor() as cursor:
        pks = [pk for pk, _ in sessions]
        cursor.execute(_DISCONNECT_SQL, [at, pks, pks, [channel for _, channel in sessions]])
        return [pk for (pk,) in cursor.fetchall()]


def charge_points_disconnect_orm(*, sessions: Sequence[tuple[int, str]], at: datetime) -> list[int]:
    with transaction.atomic():
        return [
            pk
            for pk, channel in sessions
            if ChargePoint.objects.filter(pk=pk, channel_name=channel).update(
                is_online=False, channel_name="", disconnected_at=at
            )
        ]


def charge_points_disconnect(*, sessions: Sequence[tuple[int, str]], at: datetime) -> list[int]:
    """Mark offline each (charger pk, channel) whose channel still holds the charger; returns the pks marked."""
    if not sessions:
        return []
    twin = charge_points_disconnect_sql if on_postgresql() else charge_points_disconnect_orm
    return twin(sessions=sessions, at=at)


# --- The message log ------------------------------------------------------------------------------------------


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


LOG_COLUMNS = LogEntry._fields
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
_LOG_COPY = f"COPY chargers_messagelog ({', '.join(LOG_COLUMNS)}) FROM STDIN (FORMAT BINARY)"


def message_log_append_sql(*, entries: Sequence[LogEntry], payload_texts: Sequence[str | None]) -> None:
    """Binary COPY (no conflicts to skip in the log) of entries the database can store as they are. Each payload
    goes in as its JSON text in `payload_texts`, already made and checked: the jsonb dumper takes it as it is."""
    with connection.cursor() as cursor, cursor.cursor.copy(_LOG_COPY) as copy:
        copy.set_types(_LOG_TYPES)
        for entry, text in zip(entries, payload_texts, strict=True):
            copy.write_row(entry._replace(payload=None if text is None else Jsonb(text, dumps=str)))


def message_log_append_orm(*, entries: Sequence[LogEntry], payload_texts: Sequence[str | None]) -> None:
    MessageLog.objects.bulk_create([MessageLog(**entry._asdict()) for entry in entries], batch_size=500)


def message_log_append(*, entries: Sequence[LogEntry], payload_texts: Sequence[str | None]) -> None:
    twin = message_log_append_sql if on_postgresql() else message_log_append_orm
    twin(entries=entries, payload_texts=payload_texts)


# --- BootNotification (group commit): what each charger says of itself, by pk -----------------------------------


def charge_points_record_boot(*, columns: Sequence[str], rows: Sequence[tuple], at: datetime) -> None:
    """`rows`: (pk, one text per name in `columns`, heartbeat interval in s); last_boot_at and last_seen = `at`."""
    if rows:
        twin = charge_points_record_boot_sql if on_postgresql() else charge_points_record_boot_orm
        twin(columns=columns, rows=rows, at=at)


def charge_points_record_boot_orm(*, columns: Sequence[str], rows: Sequence[tuple], at: datetime) -> None:
    """One UPDATE per charger."""
    for pk, *texts, interval in rows:
        ChargePoint.objects.filter(pk=pk).update(
            **dict(zip(columns, texts, strict=True)), last_boot_at=at, last_seen=at, heartbeat_interval_s=interval
        )


def charge_points_record_boot_sql(*, columns: Sequence[str], rows: Sequence[tuple], at: datetime) -> None:
    """The ORM twin in one statement (UPDATE ... FROM unnest)."""
    for name in columns:  # names from the code (BootReport), never from a charger; checked all the same
        ChargePoint._meta.get_field(name)
    assignments = "".join(f"{name} = v.{name}, " for name in columns)
    sql = (
        f"UPDATE chargers_chargepoint AS c SET {assignments}last_boot_at = %s, last_seen = %s, "  # noqa: S608
        f"heartbeat_interval_s = v.interval FROM unnest(%s::bigint[], {'%s::text[], ' * len(columns)}%s::int[]) "
        f"AS v(id, {', '.join(columns)}, interval) WHERE c.id = v.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [at, at, *[list(column) for column in zip(*rows, strict=True)]])
