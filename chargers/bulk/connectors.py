"""Raw SQL of the connectors: their newest reading, their status, their power once a session is over."""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple, Protocol

from django.db import connection
from django.db.models import Q

from chargers.bulk.engine import on_postgresql
from chargers.models import Connector

# --- The newest reading on each connector: a replayed old value never overwrites a newer one ------------------


class ConnectorReading(Protocol):
    """A connector's newest reading (transactions' LatestReading has this shape)."""

    charge_point_pk: int
    connector_id: int
    timestamp: datetime
    power_w: Decimal | None
    energy_wh: Decimal | None


def connectors_update_latest(readings: Sequence[ConnectorReading]) -> None:
    if readings:
        (connectors_update_latest_sql if on_postgresql() else connectors_update_latest_orm)(readings)


def connectors_update_latest_orm(readings: Sequence[ConnectorReading]) -> None:
    """One conditional UPDATE per connector; a connector without a row gets one."""
    for reading in readings:
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


_UPDATE_LATEST = """
    UPDATE chargers_connector AS c
    SET meter_timestamp = v.ts,
        power_w = COALESCE(v.power_w, c.power_w),
        energy_wh = COALESCE(v.energy_wh, c.energy_wh)
    FROM unnest(%s::bigint[], %s::bigint[], %s::timestamptz[], %s::numeric[], %s::numeric[])
        AS v(charge_point_id, connector_id, ts, power_w, energy_wh)
    WHERE c.charge_point_id = v.charge_point_id AND c.connector_id = v.connector_id
      AND (c.meter_timestamp IS NULL OR c.meter_timestamp <= v.ts)
    RETURNING c.charge_point_id, c.connector_id
"""


def connectors_update_latest_sql(readings: Sequence[ConnectorReading]) -> None:
    """The ORM twin in one statement (UPDATE ... FROM unnest), the same conditions per row."""
    columns = [
        [r.charge_point_pk for r in readings],
        [r.connector_id for r in readings],
        [r.timestamp for r in readings],
        [r.power_w for r in readings],
        [r.energy_wh for r in readings],
    ]
    with connection.cursor() as cursor:
        cursor.execute(_UPDATE_LATEST, columns)
        updated = set(cursor.fetchall())
    missing = [r for r in readings if (r.charge_point_pk, r.connector_id) not in updated]
    if missing:
        connectors_update_latest_orm(missing)  # the rare case (no connector row yet): the per-row ORM path


# --- Connector statuses (StatusNotification, group commit): the rows' new status columns, by pk -----------------


class ConnectorStatus(NamedTuple):
    pk: int
    status: str
    error_code: str
    info: str
    vendor_id: str
    vendor_error_code: str
    status_timestamp: datetime
    status_received_at: datetime


def connectors_set_status(rows: Sequence[ConnectorStatus]) -> None:
    if rows:
        (connectors_set_status_sql if on_postgresql() else connectors_set_status_orm)(rows)


def connectors_set_status_orm(rows: Sequence[ConnectorStatus]) -> None:
    """One UPDATE per row (Django's bulk_update compiles a CASE per column and row: slower still)."""
    for pk, *columns in rows:
        Connector.objects.filter(pk=pk).update(**dict(zip(ConnectorStatus._fields[1:], columns, strict=True)))


_SET_STATUS = """
    UPDATE chargers_connector AS c
    SET status = v.status, error_code = v.error_code, info = v.info, vendor_id = v.vendor_id,
        vendor_error_code = v.vendor_error_code, status_timestamp = v.status_timestamp,
        status_received_at = v.status_received_at
    FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::timestamptz[],
                %s::timestamptz[])
        AS v(id, status, error_code, info, vendor_id, vendor_error_code, status_timestamp, status_received_at)
    WHERE c.id = v.id
"""


def connectors_set_status_sql(rows: Sequence[ConnectorStatus]) -> None:
    """The ORM twin in one statement (UPDATE ... FROM unnest)."""
    with connection.cursor() as cursor:
        cursor.execute(_SET_STATUS, [list(column) for column in zip(*rows, strict=True)])


# --- A session over: the connectors' live power is 0 W unless a newer reading came (one statement per batch) ----


class PowerClear(NamedTuple):
    charge_point_pk: int
    connector_id: int
    since: datetime | None  # a reading newer than this (a new session meanwhile) is left alone


def connectors_power_clear(items: Sequence[PowerClear]) -> None:
    if items:
        (connectors_power_clear_sql if on_postgresql() else connectors_power_clear_orm)(items)


def connectors_power_clear_orm(items: Sequence[PowerClear]) -> None:
    """One conditional UPDATE per connector."""
    for item in items:
        connectors = Connector.objects.filter(charge_point_id=item.charge_point_pk, connector_id=item.connector_id)
        if item.since is not None:
            connectors = connectors.filter(Q(meter_timestamp__isnull=True) | Q(meter_timestamp__lte=item.since))
        connectors.exclude(power_w=0).exclude(power_w__isnull=True).update(power_w=0)


_POWER_CLEAR = """
    UPDATE chargers_connector AS c SET power_w = 0
    FROM unnest(%s::bigint[], %s::bigint[], %s::timestamptz[]) AS v(charge_point_id, connector_id, since)
    WHERE c.charge_point_id = v.charge_point_id AND c.connector_id = v.connector_id
      AND (v.since IS NULL OR c.meter_timestamp IS NULL OR c.meter_timestamp <= v.since) AND c.power_w <> 0
"""


def connectors_power_clear_sql(items: Sequence[PowerClear]) -> None:
    """The ORM twin in one statement (UPDATE ... FROM unnest; `power_w <> 0` leaves NULL alone as the twin does)."""
    with connection.cursor() as cursor:
        cursor.execute(_POWER_CLEAR, [list(column) for column in zip(*items, strict=True)])
