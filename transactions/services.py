"""Writes and business rules for charging sessions and meter values.

Rule 4 of the house: StartTransaction, MeterValues and StopTransaction are stored before they are answered,
and always answered, even for unknown, duplicate or negative transaction ids: a charger that gets no answer
retries and then drops the data, and that is billing lost.
"""

import functools
import logging
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from chargers.models import Connector
from transactions.models import MeterValue, Transaction
from transactions.readings import ENERGY_REGISTER, Sample, latest_reading

logger = logging.getLogger(__name__)

MAX_TRANSACTION_ID = 2**31 - 1


def transaction_start(
    *,
    charge_point_pk: int,
    connector_id: int,
    id_tag: str,
    id_tag_status: str,
    meter_start_wh: int,
    started_at: datetime,
    reservation_id: int | None = None,
) -> Transaction:
    """Create the transaction (or find the one a resent StartTransaction already created)."""
    identity = {
        "charge_point_id": charge_point_pk,
        "connector_id": connector_id,
        "id_tag": id_tag,
        "started_at": started_at,
        "meter_start_wh": meter_start_wh,
    }
    # Only rows of a StartTransaction: the ones unique_transaction_start keeps unique (not rows made from a stop).
    started = Transaction.objects.filter(charger_transaction_id__isnull=True)
    existing = started.filter(**identity).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            Connector.objects.get_or_create(charge_point_id=charge_point_pk, connector_id=connector_id)
            created = Transaction.objects.create(
                **identity,
                id_tag_status=id_tag_status,
                reservation_id=reservation_id,
                start_received_at=timezone.now(),
            )
            _link_remote_start(created)
            return created
    except IntegrityError:
        # The same StartTransaction arrived twice at once (two sessions of one charger).
        return started.get(**identity)


def _link_remote_start(started: Transaction) -> None:
    """Link the transaction to the RemoteStartTransaction or reservation it came from."""
    from chargers.services.operations import remote_start_link, reservation_use

    remote_start_link(
        charge_point_pk=started.charge_point_id,
        connector_id=started.connector_id,
        id_tag=started.id_tag,
        transaction_pk=started.pk,
    )
    if started.reservation_id is not None:
        reservation_use(charge_point_pk=started.charge_point_id, reservation_id=started.reservation_id)


@dataclass
class StopResult:
    transaction: Transaction
    was_known: bool
    already_stopped: bool


def transaction_stop(
    *,
    charge_point_pk: int,
    transaction_id: int,
    meter_stop_wh: int,
    stopped_at: datetime,
    reason: str = "",
    id_tag: str = "",
    samples: list[Sample] | None = None,
) -> StopResult:
    """Close a transaction and keep its transactionData. An id we never issued (-1, a negative local id, or
    one we do not know) still gets a transaction row, so its energy is not lost."""
    samples = samples or []
    with transaction.atomic():
        found = _transaction_for_charger(charge_point_pk, transaction_id, lock=True)
        was_known = found is not None
        if found is None:
            found = _orphan_transaction(charge_point_pk, transaction_id, meter_stop_wh, stopped_at, id_tag, samples)
        already_stopped = found.stopped_at is not None
        if not already_stopped:
            found.meter_stop_wh = meter_stop_wh
            found.stopped_at = stopped_at
            found.stop_received_at = timezone.now()
            # A vendor's own reason is kept (the lenient StopTransaction), as far as the column holds it.
            found.stop_reason = (reason or "Local")[: Transaction._meta.get_field("stop_reason").max_length]
            found.stop_id_tag = id_tag
            found.save(
                update_fields=[
                    "meter_stop_wh",
                    "stopped_at",
                    "stop_received_at",
                    "stop_reason",
                    "stop_id_tag",
                ]
            )
        if samples:
            _meter_values_insert(
                [
                    _row(charge_point_pk, found.connector_id, found.pk, transaction_id, s, "StopTransaction")
                    for s in samples
                ]
            )
        if found.charger_transaction_id is not None:
            # Values sent earlier under the charger's own id belong to this transaction.
            MeterValue.objects.filter(
                charge_point_id=charge_point_pk,
                transaction__isnull=True,
                reported_transaction_id=found.charger_transaction_id,
            ).update(transaction=found)
    return StopResult(found, was_known, already_stopped)


def _transaction_for_charger(charge_point_pk: int, transaction_id: int, lock: bool = False) -> Transaction | None:
    queryset = Transaction.objects.select_for_update() if lock else Transaction.objects
    if 0 < transaction_id <= MAX_TRANSACTION_ID:
        found = queryset.filter(pk=transaction_id, charge_point_id=charge_point_pk).first()
        if found is not None:
            return found
    # A stop we already turned into an orphan row (a resent StopTransaction with a foreign id).
    return queryset.filter(charge_point_id=charge_point_pk, charger_transaction_id=transaction_id).first()


def _orphan_transaction(
    charge_point_pk: int,
    transaction_id: int,
    meter_stop_wh: int,
    stopped_at: datetime,
    id_tag: str,
    samples: list[Sample],
) -> Transaction:
    # INFO, not WARNING: ETREL stops every locally authorised session so (rule 4); the message log says it too.
    logger.info("StopTransaction for unknown transaction %s of charger #%s", transaction_id, charge_point_pk)
    energy = sorted(
        (s for s in samples if s.measurand == ENERGY_REGISTER and s.value is not None and s.phase == ""),
        key=lambda s: s.timestamp,
    )
    earlier_values = MeterValue.objects.filter(
        charge_point_id=charge_point_pk, transaction__isnull=True, reported_transaction_id=transaction_id
    )
    first_earlier = earlier_values.order_by("timestamp").first()
    connector_id = first_earlier.connector_id if first_earlier else 0
    started_at = min(
        [stopped_at] + [s.timestamp for s in samples] + ([first_earlier.timestamp] if first_earlier else [])
    )
    meter_start = int(energy[0].value) if energy else meter_stop_wh
    return Transaction.objects.create(
        charge_point_id=charge_point_pk,
        connector_id=connector_id,
        id_tag=id_tag or "",
        id_tag_status="Unknown",
        meter_start_wh=meter_start,
        started_at=started_at,
        charger_transaction_id=transaction_id,
    )


# --- Meter values -----------------------------------------------------------------------------------------


@dataclass
class MeterValuesReport:
    """One MeterValues frame, read: the samples to keep for one connector."""

    charge_point_pk: int
    connector_id: int
    transaction_id: int | None
    samples: list[Sample] = field(default_factory=list)


@dataclass(frozen=True)
class LatestReading:
    charge_point_pk: int
    connector_id: int
    transaction_id: int | None
    timestamp: datetime
    power_w: Decimal | None
    energy_wh: Decimal | None


def meter_values_store(*, reports: list[MeterValuesReport]) -> list[LatestReading]:
    """Store many MeterValues frames in one transaction (a batch from all chargers of this process).

    Resent frames store nothing twice (unique constraint, conflicts ignored). Returns the newest power and
    energy per connector, for the live feed.
    """
    if not reports:
        return []
    received_at = timezone.now()
    with transaction.atomic():
        known = _known_transactions(reports)
        latest = _latest_per_connector(reports, known)
        if connection.vendor == "postgresql":
            # The hot path of a busy node: plain tuples and COPY instead of model instances (see _meter_values_copy).
            _meter_values_copy(_value_tuples(reports, known, received_at))
            _connectors_update_latest_pg(latest)
        else:
            _meter_values_insert(_value_rows(reports, known, received_at))
            _connectors_update_latest(latest)
    return latest


def _value_rows(
    reports: list[MeterValuesReport], known: set[tuple[int, int]], received_at: datetime
) -> list[MeterValue]:
    """The rows of _value_tuples as model instances (the ORM path, for SQLite)."""
    return [
        MeterValue(**dict(zip(_COPY_COLUMNS, row, strict=True))) for row in _value_tuples(reports, known, received_at)
    ]


# The columns _value_tuples fills, in order (every MeterValue column but the id).
_COPY_COLUMNS = (
    "charge_point_id",
    "connector_id",
    "transaction_id",
    "reported_transaction_id",
    "timestamp",
    "received_at",
    "measurand",
    "phase",
    "location",
    "context",
    "format",
    "unit",
    "raw_value",
    "value",
    "si_unit",
    "source",
)


def _value_tuples(reports: list[MeterValuesReport], known: set[tuple[int, int]], received_at: datetime) -> list[tuple]:
    """The same rows as _value_rows, as tuples in _COPY_COLUMNS order (a Model instance costs ~10 us each)."""
    rows: list[tuple] = []
    for report in reports:
        tx_pk = report.transaction_id if (report.transaction_id, report.charge_point_pk) in known else None
        reported = report.transaction_id if tx_pk is None else None
        head = (report.charge_point_pk, report.connector_id, tx_pk, reported)
        rows.extend(
            (
                *head,
                s.timestamp,
                received_at,
                s.measurand,
                s.phase,
                s.location,
                s.context,
                s.format,
                s.unit,
                s.raw_value,
                s.value,
                s.si_unit,
                "MeterValues",
            )
            for s in report.samples
        )
    return rows


_BATCH_TABLE = "meter_value_batch"
_COLUMN_LIST = ", ".join(f'"{c}"' for c in _COPY_COLUMNS)
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
    """PostgreSQL type names of _COPY_COLUMNS, as binary COPY needs them ("varchar(60)" -> "varchar")."""
    names = {"timestamp with time zone": "timestamptz"}
    fields = {f.column: f for f in MeterValue._meta.concrete_fields}
    types = []
    for column in _COPY_COLUMNS:
        base = fields[column].db_type(connection).split("(", 1)[0].strip()
        types.append(names.get(base, base))
    return types


def _meter_values_copy(rows: list[tuple]) -> None:
    """COPY into a per-connection temporary table, then one INSERT ... ON CONFLICT DO NOTHING into the real one
    (COPY cannot skip the conflicts that resent frames cause). Binary COPY: a third of the text format's CPU per
    row. The temporary table empties itself at commit; inside an outer transaction it is emptied here."""
    with connection.cursor() as cursor:
        cursor.execute(_CREATE_BATCH)
        with cursor.cursor.copy(_COPY_BATCH) as copy:
            copy.set_types(_copy_types())
            for row in rows:
                copy.write_row(row)
        cursor.execute(_INSERT_BATCH)
        if connection.savepoint_ids:
            cursor.execute(f"DELETE FROM {_BATCH_TABLE}")  # noqa: S608 (a constant)


def _known_transactions(reports: list[MeterValuesReport]) -> set[tuple[int, int]]:
    ids = {r.transaction_id for r in reports if r.transaction_id and 0 < r.transaction_id <= MAX_TRANSACTION_ID}
    if not ids:
        return set()
    if connection.vendor == "postgresql":
        # One array parameter instead of the ORM's IN list (its compiler costs more than the query here).
        with connection.cursor() as cursor:
            cursor.execute("SELECT id, charge_point_id FROM transactions_transaction WHERE id = ANY(%s)", [sorted(ids)])
            return set(cursor.fetchall())
    return set(Transaction.objects.filter(pk__in=ids).values_list("pk", "charge_point_id"))


def _row(
    charge_point_pk: int,
    connector_id: int,
    transaction_pk: int | None,
    reported_transaction_id: int | None,
    sample: Sample,
    source: str,
    received_at: datetime | None = None,
) -> MeterValue:
    return MeterValue(
        charge_point_id=charge_point_pk,
        connector_id=connector_id,
        transaction_id=transaction_pk,
        reported_transaction_id=reported_transaction_id,
        timestamp=sample.timestamp,
        received_at=received_at or timezone.now(),
        measurand=sample.measurand,
        phase=sample.phase,
        location=sample.location,
        context=sample.context,
        format=sample.format,
        unit=sample.unit,
        raw_value=sample.raw_value,
        value=sample.value,
        si_unit=sample.si_unit,
        source=source,
    )


def _meter_values_insert(rows: list[MeterValue]) -> None:
    MeterValue.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)


def _latest_per_connector(reports: list[MeterValuesReport], known: set[tuple[int, int]]) -> list[LatestReading]:
    newest: dict[tuple[int, int], LatestReading] = {}
    for report in reports:
        reading = latest_reading(report.samples)
        if reading is None:
            continue
        key = (report.charge_point_pk, report.connector_id)
        current = newest.get(key)
        if current is None or reading.timestamp >= current.timestamp:
            tx = report.transaction_id if (report.transaction_id, report.charge_point_pk) in known else None
            newest[key] = LatestReading(
                report.charge_point_pk,
                report.connector_id,
                tx,
                reading.timestamp,
                reading.power_w,
                reading.energy_wh,
            )
    return list(newest.values())


def _connectors_update_latest_pg(latest: list[LatestReading]) -> None:
    """_connectors_update_latest in one statement: UPDATE ... FROM unnest(...), the same conditions per row."""
    if not latest:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE chargers_connector AS c
            SET meter_timestamp = v.ts,
                power_w = COALESCE(v.power_w, c.power_w),
                energy_wh = COALESCE(v.energy_wh, c.energy_wh)
            FROM unnest(%s::bigint[], %s::bigint[], %s::timestamptz[], %s::numeric[], %s::numeric[])
                AS v(charge_point_id, connector_id, ts, power_w, energy_wh)
            WHERE c.charge_point_id = v.charge_point_id AND c.connector_id = v.connector_id
              AND (c.meter_timestamp IS NULL OR c.meter_timestamp <= v.ts)
            RETURNING c.charge_point_id, c.connector_id
            """,
            [
                [r.charge_point_pk for r in latest],
                [r.connector_id for r in latest],
                [r.timestamp for r in latest],
                [r.power_w for r in latest],
                [r.energy_wh for r in latest],
            ],
        )
        updated = set(cursor.fetchall())
    missing = [r for r in latest if (r.charge_point_pk, r.connector_id) not in updated]
    if missing:
        _connectors_update_latest(missing)  # the rare case (no connector row yet): the per-row ORM path


def _connectors_update_latest(latest: list[LatestReading]) -> None:
    """One conditional UPDATE per connector: a replayed old value never overwrites a newer one."""
    for reading in latest:
        changes = {"meter_timestamp": reading.timestamp}
        if reading.power_w is not None:
            changes["power_w"] = reading.power_w
        if reading.energy_wh is not None:
            changes["energy_wh"] = reading.energy_wh
        updated = Connector.objects.filter(
            Q(meter_timestamp__isnull=True) | Q(meter_timestamp__lte=reading.timestamp),
            charge_point_id=reading.charge_point_pk,
            connector_id=reading.connector_id,
        ).update(**changes)
        if not updated:
            # No connector row yet (or a newer reading already stored: then the insert is a no-op).
            Connector.objects.bulk_create(
                [Connector(charge_point_id=reading.charge_point_pk, connector_id=reading.connector_id, **changes)],
                ignore_conflicts=True,
            )
