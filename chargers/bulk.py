"""Raw SQL of the chargers app (rule 11): each statement beside its ORM twin, the twins tested on the same cases
(tests/chargers/test_bulk.py). The raw one runs on PostgreSQL, where a benchmark asked for it; the ORM one
everywhere else."""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from django.db import connection
from django.db.models import Q

from chargers.models import Connector


def _on_postgresql() -> bool:
    return connection.vendor == "postgresql"


class ConnectorReading(Protocol):
    """A connector's newest reading (transactions' LatestReading has this shape)."""

    charge_point_pk: int
    connector_id: int
    timestamp: datetime
    power_w: Decimal | None
    energy_wh: Decimal | None


# --- The newest reading on each connector: a replayed old value never overwrites a newer one ------------------


def connectors_update_latest(readings: Sequence[ConnectorReading]) -> None:
    if readings:
        (connectors_update_latest_sql if _on_postgresql() else connectors_update_latest_orm)(readings)


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
