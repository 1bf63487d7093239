"""Raw SQL of the transactions app (rule 11): each statement beside its ORM twin, the twins tested on the same
cases (tests/transactions/test_bulk.py). The raw one runs on PostgreSQL, where the benchmark asked for it; the
ORM one everywhere else (SQLite for `make run` and `make test` on a fresh machine)."""

import functools
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from django.db import connection

from transactions.models import MeterValue, Transaction


class MeterValueRow(NamedTuple):
    """One transactions_metervalue row (every column but the id), in the order binary COPY writes it."""

    charge_point_id: int
    connector_id: int
    transaction_id: int | None
    reported_transaction_id: int | None
    timestamp: datetime
    received_at: datetime
    measurand: str
    phase: str
    location: str
    context: str
    format: str
    unit: str
    raw_value: str
    value: Decimal | None
    si_unit: str
    source: str


COLUMNS = MeterValueRow._fields


def _on_postgresql() -> bool:
    return connection.vendor == "postgresql"


# --- Meter value rows: insert, a resent frame's rows ignored -------------------------------------------------


def meter_values_insert(rows: list[MeterValueRow]) -> None:
    if rows:
        (meter_values_insert_copy if _on_postgresql() else meter_values_insert_orm)(rows)


def meter_values_insert_orm(rows: list[MeterValueRow]) -> None:
    MeterValue.objects.bulk_create(
        [MeterValue(**row._asdict()) for row in rows], ignore_conflicts=True, batch_size=1000
    )


_BATCH_TABLE = "meter_value_batch"
_COLUMN_LIST = ", ".join(f'"{c}"' for c in COLUMNS)
# Built from constants only.
_CREATE_BATCH = (
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {_BATCH_TABLE} ON COMMIT DELETE ROWS AS "  # noqa: S608
    f"SELECT {_COLUMN_LIST} FROM transactions_metervalue WITH NO DATA"
)
_COPY_BATCH = f"COPY {_BATCH_TABLE} ({_COLUMN_LIST}) FROM STDIN (FORMAT BINARY)"
_INSERT_BATCH = (
    f"INSERT INTO transactions_metervalue ({_COLUMN_LIST}) SELECT {_COLUMN_LIST} FROM {_BATCH_TABLE} "  # noqa: S608
    "ON CONFLICT DO NOTHING"
)


@functools.cache
def _copy_types() -> list[str]:
    """PostgreSQL type names of COLUMNS, as binary COPY needs them ("varchar(60)" -> "varchar")."""
    names = {"timestamp with time zone": "timestamptz"}
    fields = {f.column: f for f in MeterValue._meta.concrete_fields}
    types = []
    for column in COLUMNS:
        base = fields[column].db_type(connection).split("(", 1)[0].strip()
        types.append(names.get(base, base))
    return types


def meter_values_insert_copy(rows: list[MeterValueRow]) -> None:
    """COPY into a per-connection temporary table, then one INSERT ... ON CONFLICT DO NOTHING into the real one
    (COPY cannot skip the conflicts that resent frames cause). Binary COPY: a third of the text format's CPU per
    row, and plain tuples instead of model instances (~10 us each). The temporary table empties itself at
    commit; inside an outer transaction (a savepoint) it is emptied here."""
    with connection.cursor() as cursor:
        cursor.execute(_CREATE_BATCH)
        with cursor.cursor.copy(_COPY_BATCH) as copy:
            copy.set_types(_copy_types())
            for row in rows:
                copy.write_row(row)
        cursor.execute(_INSERT_BATCH)
        if connection.savepoint_ids:
            cursor.execute(f"DELETE FROM {_BATCH_TABLE}")  # noqa: S608 (a constant)


# --- Which reported transaction ids are ours, and whose ----------------------------------------------------


def transactions_known(ids: Iterable[int]) -> set[tuple[int, int]]:
    """(transaction id, charge point pk) of the ids that exist."""
    ids = sorted(set(ids))
    if not ids:
        return set()
    return (transactions_known_sql if _on_postgresql() else transactions_known_orm)(ids)


def transactions_known_orm(ids: list[int]) -> set[tuple[int, int]]:
    return set(Transaction.objects.filter(pk__in=ids).values_list("pk", "charge_point_id"))


def transactions_known_sql(ids: list[int]) -> set[tuple[int, int]]:
    # One array parameter instead of the ORM's IN list (its compiler costs more than the query here).
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, charge_point_id FROM transactions_transaction WHERE id = ANY(%s)", [ids])
        return set(cursor.fetchall())
