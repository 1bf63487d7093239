"""Reads for charging sessions and meter values: the lists (here), one session's figures and charts
(`figures`), and the sessions that look stuck (`stale`)."""

from django.db.models import QuerySet

from transactions.models import MeterValue, Transaction
from transactions.readings import ENERGY_REGISTER


def transaction_list() -> QuerySet[Transaction]:
    return Transaction.objects.select_related("charge_point")


def meter_value_list(*, transaction: Transaction) -> QuerySet[MeterValue]:
    return MeterValue.objects.filter(transaction=transaction).order_by("timestamp", "measurand", "phase")


def last_energy_reading(*, transaction: Transaction) -> MeterValue | None:
    """The session's newest Energy.Active.Import.Register reading of the whole meter (not one phase's), in Wh:
    what the charger's meter said last."""
    return (
        MeterValue.objects.filter(
            transaction=transaction, measurand=ENERGY_REGISTER, phase="", si_unit="Wh", value__isnull=False
        )
        .order_by("-timestamp", "-id")
        .first()
    )
