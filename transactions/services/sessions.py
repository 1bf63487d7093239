"""Charging sessions: StartTransaction, StopTransaction, and an operator closing a stale session.

Rule 4 of the house: StartTransaction, MeterValues and StopTransaction are stored before they are answered,
and always answered, even for unknown, duplicate or negative transaction ids: a charger that gets no answer
retries and then drops the data, and that is billing lost.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from chargers.commands.effects import remote_start_link, remote_starts_waiting, reservation_use
from chargers.models import Connector
from core import events
from core.events import Event
from transactions import bulk
from transactions.events import transaction_started, transaction_stopped
from transactions.models import MeterValue, Transaction
from transactions.readings import ENERGY_REGISTER, Sample
from transactions.selectors import last_energy_reading
from transactions.services.meter_values import MAX_TRANSACTION_ID, meter_value_row

logger = logging.getLogger(__name__)

__all__ = [
    "STOP_REASONS",
    "StopResult",
    "TransactionStart",
    "TransactionStop",
    "transaction_close_stale",
    "transaction_start",
    "transaction_stop",
    "transactions_start",
    "transactions_stop",
]


@dataclass(frozen=True)
class TransactionStart:
    """One StartTransaction, read. `id_tag_status` is the tag's decided status (or left to the batch's decide)."""

    charge_point_pk: int
    charge_point_ident: str
    connector_id: int
    id_tag: str
    meter_start_wh: int
    started_at: datetime
    reservation_id: int | None = None
    id_tag_status: str = ""
    # The time as the charger wrote it when its clock cannot be right and started_at is the time received.
    start_sent_as: str = ""


def transaction_start(**start: Any) -> Transaction:
    """One StartTransaction (the keywords of TransactionStart, its tag decided): transactions_start of one."""
    return transactions_start(items=[TransactionStart(**start)])[0]


def transactions_start(
    *, items: list[TransactionStart], decide: Callable[[int], str | None] | None = None
) -> list[Transaction | None]:
    """Create the transactions of many StartTransactions in one database transaction (a group commit), in order,
    each unless a resent StartTransaction already created it; transaction.started published once for the batch.

    `decide(i)`, when given, is item i's tag status, asked just before item i is stored so that it sees the
    batch's earlier starts (a tag started elsewhere in the same batch is ConcurrentTx, as it was one by one);
    None leaves the item out (its result is None: nothing stored for it)."""
    published = []
    results: list[Transaction | None] = []
    with transaction.atomic():
        batch = _StartBatch(items)
        for index, item in enumerate(items):
            status = decide(index) if decide is not None else item.id_tag_status
            if status is None:
                results.append(None)
                continue
            found, created = batch.start(item, status)
            if created:
                published.append(transaction_started(transaction=found, charge_point_ident=item.charge_point_ident))
            results.append(found)
        events.publish(published)
    return results


# What makes two StartTransactions the same one (the fields of the unique_transaction_start constraints): the
# charger's start time, or, when its clock could not be right and the time received was stored instead (which a
# resend changes), the time as the charger wrote it.
_IDENTITY = ("charge_point_id", "connector_id", "id_tag", "meter_start_wh", "started_at", "start_sent_as")
_IDENTITY_SENT = ("charge_point_id", "connector_id", "id_tag", "meter_start_wh", "start_sent_as")


def _identity(item: TransactionStart) -> dict:
    values = (item.charge_point_pk, item.connector_id, item.id_tag, item.meter_start_wh)
    if item.start_sent_as:
        return dict(zip(_IDENTITY_SENT, (*values, item.start_sent_as), strict=True))
    return dict(zip(_IDENTITY, (*values, item.started_at, ""), strict=True))


def _identity_of(found: Transaction) -> tuple:
    return tuple((name, getattr(found, name)) for name in (_IDENTITY_SENT if found.start_sent_as else _IDENTITY))


class _StartBatch:
    """What a batch of starts reads once instead of once per start: the transactions it may resend (by identity),
    its connectors (created when missing), and the chargers with a RemoteStartTransaction waiting."""

    def __init__(self, items: list[TransactionStart]) -> None:
        chargers = {item.charge_point_pk for item in items}
        # Only rows of a StartTransaction: the ones unique_transaction_start keeps unique (not rows made from a stop).
        self.started = Transaction.objects.filter(charger_transaction_id__isnull=True)
        resent = self.started.filter(charge_point_id__in=chargers).filter(
            Q(started_at__in={i.started_at for i in items}, start_sent_as="")
            | Q(start_sent_as__in={i.start_sent_as for i in items if i.start_sent_as})
        )
        self.known = {_identity_of(found): found for found in resent}
        connectors = Connector.objects.filter(charge_point_id__in=chargers)
        have = set(connectors.values_list("charge_point_id", "connector_id"))
        wanted = {(item.charge_point_pk, item.connector_id) for item in items}
        Connector.objects.bulk_create(
            [Connector(charge_point_id=pk, connector_id=c) for pk, c in sorted(wanted - have)],
            ignore_conflicts=True,  # a StatusNotification may create the same connector at the same moment
        )
        self.remote_starts = remote_starts_waiting(charge_point_pks=chargers)

    def start(self, item: TransactionStart, id_tag_status: str) -> tuple[Transaction, bool]:
        """(the transaction, whether it is new)."""
        identity = _identity(item)
        key = tuple(identity.items())
        if key in self.known:
            return self.known[key], False
        try:
            with transaction.atomic():  # a savepoint: a twin stored meanwhile by another process costs this item alone
                created = Transaction.objects.create(
                    charge_point_id=item.charge_point_pk,
                    connector_id=item.connector_id,
                    id_tag=item.id_tag,
                    meter_start_wh=item.meter_start_wh,
                    started_at=item.started_at,
                    start_sent_as=item.start_sent_as,
                    id_tag_status=id_tag_status,
                    reservation_id=item.reservation_id,
                    start_received_at=timezone.now(),
                )
                if created.charge_point_id in self.remote_starts or created.reservation_id is not None:
                    _link_remote_start(created)
        except IntegrityError:
            # The same StartTransaction arrived twice at once (two sessions of one charger).
            self.known[key] = self.started.get(**identity)
            return self.known[key], False
        self.known[key] = created  # resent within the batch: the same transaction
        return created, True


def _link_remote_start(started: Transaction) -> None:
    """Link the transaction to the RemoteStartTransaction or reservation it came from."""
    remote_start_link(
        charge_point_pk=started.charge_point_id,
        connector_id=started.connector_id,
        id_tag=started.id_tag,
        transaction_pk=started.pk,
    )
    if started.reservation_id is not None:
        reservation_use(charge_point_pk=started.charge_point_id, reservation_id=started.reservation_id)


@dataclass
class StopResult:
    transaction: Transaction
    was_known: bool
    already_stopped: bool


@dataclass(frozen=True)
class TransactionStop:
    """One StopTransaction, read: its transactionData as samples."""

    charge_point_pk: int
    charge_point_ident: str
    transaction_id: int
    meter_stop_wh: int
    stopped_at: datetime
    reason: str = ""
    id_tag: str = ""
    samples: list[Sample] | None = None


def transaction_stop(**stop: Any) -> StopResult:
    """One StopTransaction (the keywords of TransactionStop): transactions_stop of one."""
    return transactions_stop(items=[TransactionStop(**stop)])[0]


def transactions_stop(*, items: list[TransactionStop]) -> list[StopResult]:
    """Close many transactions in one database transaction (a group commit), in order, and keep their
    transactionData; transaction.stopped published once for the batch. An id we never issued (-1, a negative
    local id, or one we do not know) still gets a transaction row, so its energy is not lost."""
    published: list[Event] = []
    with transaction.atomic():
        issued = _issued_transactions(items)
        results = [_stop_one(item, issued, published) for item in items]
        events.publish(published)
    return results


def _issued_transactions(items: list[TransactionStop]) -> dict[tuple[int, int], Transaction]:
    """The transactions the batch's stops name by the ids the portal issued, locked, in one query (the others,
    a charger's own ids, are looked up one by one: _transaction_for_charger)."""
    ids = {item.transaction_id for item in items if 0 < item.transaction_id <= MAX_TRANSACTION_ID}
    locked = Transaction.objects.select_for_update().filter(pk__in=ids) if ids else []
    return {(found.charge_point_id, found.pk): found for found in locked}


def _stop_one(item: TransactionStop, issued: dict[tuple[int, int], Transaction], published: list[Event]) -> StopResult:
    samples = item.samples or []
    charge_point_pk, transaction_id = item.charge_point_pk, item.transaction_id
    found = issued.get((charge_point_pk, transaction_id)) or _transaction_for_charger(
        charge_point_pk, transaction_id, lock=True
    )
    was_known = found is not None
    if found is None:
        found = _orphan_transaction(
            charge_point_pk, transaction_id, item.meter_stop_wh, item.stopped_at, item.id_tag, samples
        )
    already_stopped = found.stopped_at is not None
    if not already_stopped:
        closed = _close(
            found,
            charge_point_ident=item.charge_point_ident,
            meter_stop_wh=item.meter_stop_wh,
            stopped_at=item.stopped_at,
            reason=item.reason,
            id_tag=item.id_tag,
        )
        published.append(closed)
    if samples:
        received_at = timezone.now()
        bulk.meter_values_insert(
            [
                meter_value_row(
                    charge_point_pk, found.connector_id, found.pk, transaction_id, s, "StopTransaction", received_at
                )
                for s in samples
            ]
        )
    if found.charger_transaction_id is not None:
        # Values sent earlier under the charger's own id belong to this transaction.
        MeterValue.objects.filter(
            charge_point_id=charge_point_pk,
            transaction__isnull=True,
            reported_transaction_id=found.charger_transaction_id,
        ).update(transaction=found)
    return StopResult(found, was_known, already_stopped)


def _close(
    found: Transaction, *, charge_point_ident: str, meter_stop_wh: int, stopped_at: datetime, reason: str, id_tag: str
) -> Event:
    """Write the stop onto the row; returns its event, for the caller to publish (once for its batch)."""
    found.meter_stop_wh = meter_stop_wh
    found.stopped_at = stopped_at
    found.stop_received_at = timezone.now()
    # A vendor's own reason is kept (the lenient StopTransaction), as far as the column holds it.
    found.stop_reason = (reason or "Local")[: Transaction._meta.get_field("stop_reason").max_length]
    found.stop_id_tag = id_tag
    found.save(update_fields=["meter_stop_wh", "stopped_at", "stop_received_at", "stop_reason", "stop_id_tag"])
    return transaction_stopped(transaction=found, charge_point_ident=charge_point_ident)


# The OCPP 1.6 stop reasons (StopTransaction.req reason): an operator closing a stuck session picks one.
STOP_REASONS = (
    "DeAuthorized",
    "EmergencyStop",
    "EVDisconnected",
    "HardReset",
    "Local",
    "Other",
    "PowerLoss",
    "Reboot",
    "Remote",
    "SoftReset",
    "UnlockCommand",
)


def transaction_close_stale(
    *, transaction_pk: int, reason: str, note: str = "", closed_by: AbstractBaseUser | None = None
) -> Transaction:
    """End a session the charger never stopped (selectors.stale says which look so), as a StopTransaction
    would: meter_stop from the last Energy.Active.Import.Register reading (else meter_start: no energy we cannot
    prove), stopped at that reading's time (else at the start: the last sign of life we have), the reason and
    who closed it recorded, transaction.stopped published. A session already stopped is refused."""
    if reason not in STOP_REASONS:
        raise ValidationError({"reason": f"Not an OCPP stop reason: {reason!r}."})
    with transaction.atomic():
        # Only the session's row is locked, not its charger's (which the charger's own frames keep writing).
        locked = Transaction.objects.select_for_update(of=("self",)).select_related("charge_point")
        found = locked.filter(pk=transaction_pk).first()
        if found is None:
            raise ValidationError({"transaction": f"No transaction #{transaction_pk}."})
        if found.stopped_at is not None:
            raise ValidationError({"transaction": f"Transaction #{transaction_pk} has already stopped."})
        last = last_energy_reading(transaction=found)
        found.closed_by = closed_by
        found.close_note = note[: Transaction._meta.get_field("close_note").max_length]
        found.save(update_fields=["closed_by", "close_note"])
        stopped = _close(
            found,
            charge_point_ident=found.charge_point.charge_point_id,
            meter_stop_wh=int(last.value) if last else found.meter_start_wh,
            stopped_at=last.timestamp if last else found.started_at,
            reason=reason,
            id_tag="",
        )
        events.publish([stopped])
    logger.info("Transaction #%s closed by %s: %s %s", found.pk, closed_by, reason, note)
    return found


def _transaction_for_charger(charge_point_pk: int, transaction_id: int, lock: bool = False) -> Transaction | None:
    queryset = Transaction.objects.select_for_update() if lock else Transaction.objects
    if 0 < transaction_id <= MAX_TRANSACTION_ID:
        found = queryset.filter(pk=transaction_id, charge_point_id=charge_point_pk).first()
        if found is not None:
            return found
    # A stop we already turned into an orphan row (a resent StopTransaction with a foreign id).
    return queryset.filter(charge_point_id=charge_point_pk, charger_transaction_id=transaction_id).first()


def _orphan_transaction(
    charge_point_pk: int,
    transaction_id: int,
    meter_stop_wh: int,
    stopped_at: datetime,
    id_tag: str,
    samples: list[Sample],
) -> Transaction:
    # INFO, not WARNING: ETREL stops every locally authorised session so (rule 4); the message log says it too.
    logger.info("StopTransaction for unknown transaction %s of charger #%s", transaction_id, charge_point_pk)
    energy = sorted(
        (s for s in samples if s.measurand == ENERGY_REGISTER and s.value is not None and s.phase == ""),
        key=lambda s: s.timestamp,
    )
    earlier_values = MeterValue.objects.filter(
        charge_point_id=charge_point_pk, transaction__isnull=True, reported_transaction_id=transaction_id
    )
    first_earlier = earlier_values.order_by("timestamp").first()
    connector_id = first_earlier.connector_id if first_earlier else 0
    started_at = min(
        [stopped_at] + [s.timestamp for s in samples] + ([first_earlier.timestamp] if first_earlier else [])
    )
    meter_start = int(energy[0].value) if energy else meter_stop_wh
    return Transaction.objects.create(
        charge_point_id=charge_point_pk,
        connector_id=connector_id,
        id_tag=id_tag or "",
        id_tag_status="Unknown",
        meter_start_wh=meter_start,
        started_at=started_at,
        charger_transaction_id=transaction_id,
    )
