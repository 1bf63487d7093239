"""The connectors' newest reading: the raw UPDATE ... FROM unnest and its ORM twin agree on the same cases."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

import pytest

from chargers import bulk
from chargers.models import ChargePoint, Connector
from tests.factories import ChargePointFactory, ConnectorFactory
from tests.twins import twins

pytestmark = [pytest.mark.django_db, pytest.mark.twins]

AT = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
TWINS = twins(bulk.connectors_update_latest_orm, bulk.connectors_update_latest_sql)


class Reading(NamedTuple):
    charge_point_pk: int
    connector_id: int
    timestamp: datetime
    power_w: Decimal | None
    energy_wh: Decimal | None


def stored(charge_point_pk: int, connector_id: int = 1) -> tuple:
    c = Connector.objects.get(charge_point_id=charge_point_pk, connector_id=connector_id)
    return c.meter_timestamp, c.power_w, c.energy_wh


@pytest.mark.parametrize("update", TWINS)
def test_a_newer_reading_replaces_the_stored_one_and_an_older_one_does_not(update) -> None:
    connector = ConnectorFactory(connector_id=1)
    pk = connector.charge_point_id
    update([Reading(pk, 1, AT, Decimal("7000"), Decimal("1500"))])
    update([Reading(pk, 1, AT - timedelta(minutes=5), Decimal("1"), Decimal("1"))])  # an offline replay
    assert stored(pk) == (AT, Decimal("7000"), Decimal("1500"))
    update([Reading(pk, 1, AT + timedelta(minutes=1), Decimal("6500"), Decimal("1600"))])
    assert stored(pk) == (AT + timedelta(minutes=1), Decimal("6500"), Decimal("1600"))


@pytest.mark.parametrize("update", TWINS)
def test_a_reading_without_power_keeps_the_stored_power(update) -> None:
    connector = ConnectorFactory(connector_id=1)
    pk = connector.charge_point_id
    update([Reading(pk, 1, AT, Decimal("7000"), Decimal("1500"))])
    update([Reading(pk, 1, AT + timedelta(minutes=1), None, Decimal("1600"))])
    assert stored(pk) == (AT + timedelta(minutes=1), Decimal("7000"), Decimal("1600"))


@pytest.mark.parametrize("update", TWINS)
def test_a_connector_without_a_row_gets_one(update) -> None:
    charger = ChargePointFactory()
    other = ConnectorFactory(connector_id=1)
    update(
        [
            Reading(charger.pk, 2, AT, Decimal("3000"), None),
            Reading(other.charge_point_id, 1, AT, Decimal("100"), Decimal("5")),
        ]
    )
    assert stored(charger.pk, 2) == (AT, Decimal("3000"), None)
    assert stored(other.charge_point_id) == (AT, Decimal("100"), Decimal("5"))


STATUS_TWINS = twins(bulk.connectors_set_status_orm, bulk.connectors_set_status_sql)


@pytest.mark.parametrize("set_status", STATUS_TWINS)
def test_a_status_write_sets_the_named_rows_status_columns_and_leaves_their_readings_alone(set_status) -> None:
    first = ConnectorFactory(connector_id=1, power_w=Decimal("7000"), energy_wh=Decimal("1500"))
    second = ConnectorFactory(connector_id=2)
    untouched = ConnectorFactory(connector_id=1, status="Available")
    set_status(
        [
            bulk.ConnectorStatus(first.pk, "Charging", "NoError", "", "", "", AT, AT + timedelta(seconds=1)),
            bulk.ConnectorStatus(second.pk, "Faulted", "GroundFailure", "RCD", "Etrel", "E12", AT, AT),
        ]
    )
    first.refresh_from_db()
    second.refresh_from_db()
    untouched.refresh_from_db()
    assert (first.status, first.status_timestamp, first.status_received_at) == (
        "Charging",
        AT,
        AT + timedelta(seconds=1),
    )
    assert (first.power_w, first.energy_wh) == (Decimal("7000"), Decimal("1500"))
    assert (second.status, second.error_code, second.info, second.vendor_id, second.vendor_error_code) == (
        "Faulted",
        "GroundFailure",
        "RCD",
        "Etrel",
        "E12",
    )
    assert untouched.status == "Available"


CLEAR_TWINS = twins(bulk.connectors_power_clear_orm, bulk.connectors_power_clear_sql)


@pytest.mark.parametrize("clear", CLEAR_TWINS)
def test_a_power_clear_zeroes_the_named_connectors_unless_a_newer_reading_came(clear) -> None:
    stopped = ConnectorFactory(connector_id=1, power_w=Decimal("7000"), meter_timestamp=AT)
    restarted = ConnectorFactory(connector_id=1, power_w=Decimal("3000"), meter_timestamp=AT + timedelta(minutes=5))
    no_since = ConnectorFactory(connector_id=2, power_w=Decimal("11000"), meter_timestamp=AT + timedelta(hours=1))
    never_read = ConnectorFactory(connector_id=1, power_w=None)
    other = ConnectorFactory(connector_id=1, power_w=Decimal("500"), meter_timestamp=AT)
    clear(
        [
            bulk.PowerClear(stopped.charge_point_id, 1, AT + timedelta(seconds=1)),
            bulk.PowerClear(restarted.charge_point_id, 1, AT),  # a newer reading: a new session meanwhile
            bulk.PowerClear(no_since.charge_point_id, 2, None),
            bulk.PowerClear(never_read.charge_point_id, 1, AT),
        ]
    )
    powers = [Connector.objects.get(pk=c.pk).power_w for c in (stopped, restarted, no_since, never_read, other)]
    assert powers == [Decimal("0"), Decimal("3000"), Decimal("0"), None, Decimal("500")]


BOOT_TWINS = twins(bulk.charge_points_record_boot_orm, bulk.charge_points_record_boot_sql)


@pytest.mark.parametrize("record", BOOT_TWINS)
def test_a_boot_record_writes_each_chargers_own_columns_and_interval(record) -> None:
    first, second, untouched = ChargePointFactory.create_batch(3)
    columns = ("vendor", "model", "firmware_version")
    record(
        columns=columns,
        rows=[(first.pk, "Etrel", "G-HB1V5CY20-A14", "5.4:5.0.5", 300), (second.pk, "Acme", "W1", "", 60)],
        at=AT,
    )
    rows = {c.pk: c for c in ChargePoint.objects.all()}
    assert (rows[first.pk].vendor, rows[first.pk].model, rows[first.pk].firmware_version) == (
        "Etrel",
        "G-HB1V5CY20-A14",
        "5.4:5.0.5",
    )
    assert (rows[first.pk].last_boot_at, rows[first.pk].last_seen, rows[first.pk].heartbeat_interval_s) == (AT, AT, 300)
    assert (rows[second.pk].vendor, rows[second.pk].firmware_version, rows[second.pk].heartbeat_interval_s) == (
        "Acme",
        "",
        60,
    )
    assert rows[untouched.pk].last_boot_at is None and rows[untouched.pk].vendor == untouched.vendor
