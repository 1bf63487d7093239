"""What the transactions app tells the rest of the house (published by its services after commit)."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from core.events import FLEET, Event, charger_group, transaction_group
from transactions.models import Transaction


@dataclass(frozen=True, slots=True, kw_only=True)
class TransactionEvent(Event):
    charge_point_pk: int
    charge_point_id: str
    connector_id: int
    transaction_pk: int | None

    def groups(self) -> tuple[str, ...]:
        groups = (FLEET, charger_group(self.charge_point_pk))
        return groups if self.transaction_pk is None else (*groups, transaction_group(self.transaction_pk))


@dataclass(frozen=True, slots=True, kw_only=True)
class TransactionStarted(TransactionEvent):
    name = "transaction.started"
    id_tag: str
    started_at: datetime
    meter_start_wh: int


@dataclass(frozen=True, slots=True, kw_only=True)
class TransactionStopped(TransactionEvent):
    name = "transaction.stopped"
    id_tag: str
    stopped_at: datetime
    meter_stop_wh: int
    energy_wh: int | None
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadingLatest(TransactionEvent):
    """The newest power and energy of a connector, once per group commit (not once per sampled value)."""

    name = "meter_values"
    timestamp: datetime
    power_w: Decimal | None
    energy_wh: Decimal | None


def transaction_started(*, transaction: Transaction, charge_point_ident: str) -> TransactionStarted:
    """The start event of a transaction row (the service when it is created, a page's first snapshot)."""
    return TransactionStarted(
        charge_point_pk=transaction.charge_point_id,
        charge_point_id=charge_point_ident,
        connector_id=transaction.connector_id,
        transaction_pk=transaction.pk,
        id_tag=transaction.id_tag,
        started_at=transaction.started_at,
        meter_start_wh=transaction.meter_start_wh,
    )


def transaction_stopped(*, transaction: Transaction, charge_point_ident: str) -> TransactionStopped:
    return TransactionStopped(
        charge_point_pk=transaction.charge_point_id,
        charge_point_id=charge_point_ident,
        connector_id=transaction.connector_id,
        transaction_pk=transaction.pk,
        id_tag=transaction.stop_id_tag or transaction.id_tag,
        stopped_at=transaction.stopped_at,
        meter_stop_wh=transaction.meter_stop_wh,
        energy_wh=transaction.energy_wh,
        reason=transaction.stop_reason,
    )


EVENT_TYPES: tuple[type[TransactionEvent], ...] = (TransactionStarted, TransactionStopped, ReadingLatest)
