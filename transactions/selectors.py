"""Reads for charging sessions and meter values."""

from django.db.models import QuerySet

from transactions.models import MeterValue, Transaction


def transaction_list() -> QuerySet[Transaction]:
    return Transaction.objects.select_related("charge_point")


def meter_value_list(*, transaction: Transaction) -> QuerySet[MeterValue]:
    return MeterValue.objects.filter(transaction=transaction).order_by("timestamp", "measurand", "phase")
