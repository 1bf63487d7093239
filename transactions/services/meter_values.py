"""MeterValues: many frames stored in one transaction (the group commit of chargers/ocpp/writers.py)."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from core import events
from core.event_groups import charger_group, watched_groups
from transactions import bulk
from transactions.bulk import MeterValueRow
from transactions.events import PhasesLatest, ReadingLatest
from transactions.readings import CURRENT_IMPORT, VOLTAGE, Sample, latest_reading, phase_values

__all__ = ["MAX_TRANSACTION_ID", "LatestReading", "MeterValuesReport", "meter_value_row", "meter_values_store"]

# OCPP 1.6: a transactionId is a positive int < 2^31; anything else is the charger's own (-1, a local id).
MAX_TRANSACTION_ID = 2**31 - 1


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
            meter_value_row(report.charge_point_pk, report.connector_id, tx_pk, reported, s, "MeterValues", received_at)
            for s in report.samples
        )
    return rows


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


def meter_value_row(
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
