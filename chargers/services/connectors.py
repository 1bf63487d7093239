"""What the chargers app keeps on its connector rows between reports: the newest power and energy."""

from collections.abc import Sequence
from datetime import datetime

from django.db.models import Q

from chargers import bulk
from chargers.bulk import ConnectorReading
from chargers.models import Connector

# Statuses in which a connector draws no power: a value left from the last session would be a lie on the page.
IDLE_STATUSES = frozenset({"Available", "Unavailable", "Faulted"})


def connectors_record_readings(*, readings: Sequence[ConnectorReading]) -> None:
    """Keep each connector's newest reading (pages and the API read it there instead of the meter history)."""
    bulk.connectors_update_latest(readings)


def connector_power_clear(*, charge_point_pk: int, connector_id: int, since: datetime | None = None) -> int:
    """The session on this connector is over: its live power is 0 W (energy stays: it is the meter register).
    A reading newer than `since` (a new session started meanwhile) is left alone."""
    connectors = Connector.objects.filter(charge_point_id=charge_point_pk, connector_id=connector_id)
    if since is not None:
        connectors = connectors.filter(Q(meter_timestamp__isnull=True) | Q(meter_timestamp__lte=since))
    return connectors.exclude(power_w=0).exclude(power_w__isnull=True).update(power_w=0)
