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


@dataclass(frozen=True, slots=True, kw_only=True)
class PhasesLatest(TransactionEvent):
    """A connector's newest current and voltage per phase, for the charts of its charger's page: only that
    charger's group sees it, and it is built only while somebody watches (transactions/services.py); no webhook
    event (not in EVENT_TYPES)."""

    name = "meter_values.phases"
    timestamp: datetime
    current_a: dict[str, Decimal]
    voltage_v: dict[str, Decimal]

    def groups(self) -> tuple[str, ...]:
        return (charger_group(self.charge_point_pk),)

    def data(self) -> dict:
        data = Event.data(self)  # not super(): slots=True dataclasses are new classes, zero-argument super fails
        # Decimals inside the dicts are not reached by Event.data(): strings, as the other events send them.
        data["current_a"] = {phase: str(value) for phase, value in self.current_a.items()}
        data["voltage_v"] = {phase: str(value) for phase, value in self.voltage_v.items()}
        return data


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
