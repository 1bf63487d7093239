"""Writes and business rules for charging sessions and meter values.

Rule 4 of the house: StartTransaction, MeterValues and StopTransaction are stored before they are answered,
and always answered, even for unknown, duplicate or negative transaction ids: a charger that gets no answer
retries and then drops the data, and that is billing lost.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from chargers.commands.effects import remote_start_link, reservation_use
from chargers.models import Connector
from core import events
from core.event_groups import charger_group, watched_groups
from transactions import bulk
from transactions.bulk import MeterValueRow
from transactions.events import PhasesLatest, ReadingLatest, transaction_started, transaction_stopped
from transactions.models import MeterValue, Transaction
from transactions.readings import CURRENT_IMPORT, ENERGY_REGISTER, VOLTAGE, Sample, latest_reading, phase_values
from transactions.selectors import last_energy_reading

logger = logging.getLogger(__name__)

MAX_TRANSACTION_ID = 2**31 - 1


def transaction_start(
    *,
    charge_point_pk: int,
    charge_point_ident: str,
    connector_id: int,
    id_tag: str,
    id_tag_status: str,
    meter_start_wh: int,
    started_at: datetime,
    reservation_id: int | None = None,
) -> Transaction:
    """Create the transaction (or find the one a resent StartTransaction already created)."""
    identity = {
        "charge_point_id": charge_point_pk,
        "connector_id": connector_id,
        "id_tag": id_tag,
        "started_at": started_at,
        "meter_start_wh": meter_start_wh,
    }
    # Only rows of a StartTransaction: the ones unique_transaction_start keeps unique (not rows made from a stop).
    started = Transaction.objects.filter(charger_transaction_id__isnull=True)
    existing = started.filter(**identity).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            Connector.objects.get_or_create(charge_point_id=charge_point_pk, connector_id=connector_id)
            created = Transaction.objects.create(
                **identity,
                id_tag_status=id_tag_status,
                reservation_id=reservation_id,
                start_received_at=timezone.now(),
            )
            _link_remote_start(created)
            events.publish([transaction_started(transaction=created, charge_point_ident=charge_point_ident)])
            return created
    except IntegrityError:
        # The same StartTransaction arrived twice at once (two sessions of one charger).
        return started.get(**identity)


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


def transaction_stop(
    *,
    charge_point_pk: int,
    charge_point_ident: str,
    transaction_id: int,
    meter_stop_wh: int,
    stopped_at: datetime,
    reason: str = "",
    id_tag: str = "",
    samples: list[Sample] | None = None,
) -> StopResult:
    """Close a transaction and keep its transactionData. An id we never issued (-1, a negative local id, or
    one we do not know) still gets a transaction row, so its energy is not lost."""
    samples = samples or []
    with transaction.atomic():
        found = _transaction_for_charger(charge_point_pk, transaction_id, lock=True)
        was_known = found is not None
        if found is None:
            found = _orphan_transaction(charge_point_pk, transaction_id, meter_stop_wh, stopped_at, id_tag, samples)
        already_stopped = found.stopped_at is not None
        if not already_stopped:
            _close(
                found,
                charge_point_ident=charge_point_ident,
                meter_stop_wh=meter_stop_wh,
                stopped_at=stopped_at,
                reason=reason,
                id_tag=id_tag,
            )
        if samples:
            received_at = timezone.now()
            bulk.meter_values_insert(
                [
                    _row(
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
) -> None:
    found.meter_stop_wh = meter_stop_wh
    found.stopped_at = stopped_at
    found.stop_received_at = timezone.now()
    # A vendor's own reason is kept (the lenient StopTransaction), as far as the column holds it.
    found.stop_reason = (reason or "Local")[: Transaction._meta.get_field("stop_reason").max_length]
    found.stop_id_tag = id_tag
    found.save(update_fields=["meter_stop_wh", "stopped_at", "stop_received_at", "stop_reason", "stop_id_tag"])
    events.publish([transaction_stopped(transaction=found, charge_point_ident=charge_point_ident)])


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
        _close(
            found,
            charge_point_ident=found.charge_point.charge_point_id,
            meter_stop_wh=int(last.value) if last else found.meter_start_wh,
            stopped_at=last.timestamp if last else found.started_at,
            reason=reason,
            id_tag="",
        )
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


# --- Meter values -----------------------------------------------------------------------------------------


@dataclass
class MeterValuesReport:
    """One MeterValues frame, read: the samples to keep for one connector."""

    charge_point_pk: int
    connector_id: int
    transaction_id: int | None
    samples: list[Sample] = field(default_factory=list)
    charge_point_ident: str = ""  # for the events: the session knows it, so no query per frame


@dataclass(frozen=True)
class LatestReading:
    charge_point_pk: int
    connector_id: int
    transaction_id: int | None
    timestamp: datetime
    power_w: Decimal | None
    energy_wh: Decimal | None


def meter_values_store(*, reports: list[MeterValuesReport]) -> list[LatestReading]:
    """Store many MeterValues frames in one transaction (a batch from all chargers of this process).

    Resent frames store nothing twice (unique constraint, conflicts ignored). Returns the newest power and
    energy per connector (the caller keeps them on the connectors) and publishes them, once for the batch.
    """
    if not reports:
        return []
    received_at = timezone.now()
    with transaction.atomic():
        known = bulk.transactions_known(
            r.transaction_id for r in reports if r.transaction_id and 0 < r.transaction_id <= MAX_TRANSACTION_ID
        )
        latest = _latest_per_connector(reports, known)
        bulk.meter_values_insert(_value_rows(reports, known, received_at))
        events.publish(_reading_events(reports, latest))
        events.publish(_phase_events(reports, known))
    return latest


def _value_rows(
    reports: list[MeterValuesReport], known: set[tuple[int, int]], received_at: datetime
) -> list[MeterValueRow]:
    rows: list[MeterValueRow] = []
    for report in reports:
        tx_pk = report.transaction_id if (report.transaction_id, report.charge_point_pk) in known else None
        reported = report.transaction_id if tx_pk is None else None
        rows.extend(
            _row(report.charge_point_pk, report.connector_id, tx_pk, reported, s, "MeterValues", received_at)
            for s in report.samples
        )
    return rows


def _row(
    charge_point_pk: int,
    connector_id: int,
    transaction_pk: int | None,
    reported_transaction_id: int | None,
    sample: Sample,
    source: str,
    received_at: datetime,
) -> MeterValueRow:
    return MeterValueRow(
        charge_point_pk,
        connector_id,
        transaction_pk,
        reported_transaction_id,
        sample.timestamp,
        received_at,
        sample.measurand,
        sample.phase,
        sample.location,
        sample.context,
        sample.format,
        sample.unit,
        sample.raw_value,
        sample.value,
        sample.si_unit,
        source,
    )


def _latest_per_connector(reports: list[MeterValuesReport], known: set[tuple[int, int]]) -> list[LatestReading]:
    newest: dict[tuple[int, int], LatestReading] = {}
    for report in reports:
        reading = latest_reading(report.samples)
        if reading is None:
            continue
        key = (report.charge_point_pk, report.connector_id)
        current = newest.get(key)
        if current is None or reading.timestamp >= current.timestamp:
            tx = report.transaction_id if (report.transaction_id, report.charge_point_pk) in known else None
            newest[key] = LatestReading(
                report.charge_point_pk,
                report.connector_id,
                tx,
                reading.timestamp,
                reading.power_w,
                reading.energy_wh,
            )
    return list(newest.values())


def _phase_events(reports: list[MeterValuesReport], known: set[tuple[int, int]]) -> list[PhasesLatest]:
    """Current and voltage per phase for the charger pages somebody watches (the charts); nothing is built for
    the others, so the hot path pays one set lookup per frame (watched_groups() is read at most once a second)."""
    watched = watched_groups()
    if not watched:
        return []
    phases = []
    for report in reports:
        if charger_group(report.charge_point_pk) not in watched:
            continue
        current, voltage = phase_values(report.samples, CURRENT_IMPORT, "A"), phase_values(report.samples, VOLTAGE, "V")
        if current or voltage:
            tx = report.transaction_id if (report.transaction_id, report.charge_point_pk) in known else None
            phases.append(
                PhasesLatest(
                    charge_point_pk=report.charge_point_pk,
                    charge_point_id=report.charge_point_ident,
                    connector_id=report.connector_id,
                    transaction_pk=tx,
                    timestamp=max(s.timestamp for s in report.samples),
                    current_a=current,
                    voltage_v=voltage,
                )
            )
    return phases


def _reading_events(reports: list[MeterValuesReport], latest: list[LatestReading]) -> list[ReadingLatest]:
    idents = {report.charge_point_pk: report.charge_point_ident for report in reports}
    return [
        ReadingLatest(
            charge_point_pk=reading.charge_point_pk,
            charge_point_id=idents.get(reading.charge_point_pk, ""),
            connector_id=reading.connector_id,
            transaction_pk=reading.transaction_id,
            timestamp=reading.timestamp,
            power_w=reading.power_w,
            energy_wh=reading.energy_wh,
        )
        for reading in latest
    ]
