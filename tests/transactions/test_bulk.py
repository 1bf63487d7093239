"""The raw SQL of transactions/bulk.py and its ORM twins give the same results on the same cases."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.factories import ChargePointFactory, TransactionFactory
from tests.twins import twins
from transactions import bulk
from transactions.bulk import MeterValueRow
from transactions.models import MeterValue

pytestmark = [pytest.mark.django_db, pytest.mark.twins]

AT = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def row(charge_point_pk: int, transaction_pk: int | None, measurand: str, number: str, **changes) -> MeterValueRow:
    base = MeterValueRow(
        charge_point_pk, 1, transaction_pk, None, AT, AT, measurand, "", "Outlet", "Sample.Periodic", "Raw", "",
        number, Decimal(number), "Wh", "MeterValues",
    )  # fmt: skip
    return base._replace(**changes)


@pytest.mark.parametrize("insert", twins(bulk.meter_values_insert_orm, bulk.meter_values_insert_copy))
def test_meter_value_rows_are_stored_once_even_when_resent(insert) -> None:
    charger = ChargePointFactory()
    tx = TransactionFactory(charge_point=charger)
    rows = [
        row(charger.pk, tx.pk, "Energy.Active.Import.Register", "1234.5"),
        row(charger.pk, tx.pk, "Power.Active.Import", "7000", si_unit="W", phase="L1"),
        row(charger.pk, None, "Voltage", "230", reported_transaction_id=-1, si_unit="V"),
    ]
    insert(rows)
    insert(rows[:2])  # the charger resent its frame
    stored = MeterValue.objects.order_by("measurand")
    assert [(v.measurand, v.phase, v.value, v.transaction_id, v.reported_transaction_id) for v in stored] == [
        ("Energy.Active.Import.Register", "", Decimal("1234.5"), tx.pk, None),
        ("Power.Active.Import", "L1", Decimal("7000"), tx.pk, None),
        ("Voltage", "", Decimal("230"), None, -1),
    ]
    assert stored[0].timestamp == AT and stored[0].source == "MeterValues"


@pytest.mark.parametrize("insert", twins(bulk.meter_values_insert_orm, bulk.meter_values_insert_copy))
def test_a_value_without_a_number_is_kept_as_text(insert) -> None:
    charger = ChargePointFactory()
    insert([row(charger.pk, None, "Energy.Active.Import.Register", "0", raw_value="n/a", value=None)])
    stored = MeterValue.objects.get()
    assert (stored.raw_value, stored.value) == ("n/a", None)


@pytest.mark.parametrize("known", twins(bulk.transactions_known_orm, bulk.transactions_known_sql))
def test_known_transactions_are_the_ones_that_exist_with_their_charger(known) -> None:
    first, second = ChargePointFactory(), ChargePointFactory()
    a = TransactionFactory(charge_point=first)
    b = TransactionFactory(charge_point=second)
    assert known(sorted([a.pk, b.pk, 2**31 - 1])) == {(a.pk, first.pk), (b.pk, second.pk)}
    assert known([2**31 - 1]) == set()
