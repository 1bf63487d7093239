"""What the chargers app keeps on its connector rows between reports: the newest power and energy."""

from collections.abc import Sequence

from chargers import bulk
from chargers.bulk import ConnectorReading, PowerClear

# Statuses in which a connector draws no power: a value left from the last session would be a lie on the page.
IDLE_STATUSES = frozenset({"Available", "Unavailable", "Faulted"})


def connectors_record_readings(*, readings: Sequence[ConnectorReading]) -> None:
    """Keep each connector's newest reading (pages and the API read it there instead of the meter history)."""
    bulk.connectors_update_latest(readings)


def connectors_power_clear(*, items: Sequence[PowerClear]) -> None:
    """The sessions on these connectors are over: their live power is 0 W (energy stays: it is the meter
    register). A reading newer than an item's `since` (a new session started meanwhile) is left alone."""
    bulk.connectors_power_clear(items)
