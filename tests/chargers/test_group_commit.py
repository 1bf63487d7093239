"""The group-commit writers on the real database: an item the database refuses costs only itself."""

import asyncio
import logging
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from chargers.models import MessageLog
from chargers.ocpp.batching import GroupCommit
from chargers.ocpp.writers import writers
from chargers.services import LogEntry
from tests.factories import ChargePointFactory
from transactions.models import MeterValue
from transactions.readings import Sample
from transactions.services import MeterValuesReport

pytestmark = pytest.mark.django_db(transaction=True)

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def report(charge_point_pk: int, value: Decimal) -> MeterValuesReport:
    sample = Sample(
        timestamp=T0,
        measurand="Energy.Active.Import.Register",
        phase="",
        location="Outlet",
        context="Sample.Periodic",
        format="Raw",
        unit="Wh",
        raw_value=str(value),
        value=value,
        si_unit="Wh",
    )
    return MeterValuesReport(charge_point_pk=charge_point_pk, connector_id=1, transaction_id=None, samples=[sample])


def test_a_report_the_database_refuses_fails_alone_and_the_batch_around_it_is_stored() -> None:
    chargers = ChargePointFactory.create_batch(10)
    # A report the database itself refuses, as if no check had caught it: a charger row that is gone (both
    # databases refuse the foreign key; PostgreSQL would refuse a value like 1e30 as well).
    reports = [report(c.pk, Decimal(1000 + i)) for i, c in enumerate(chargers)]
    reports.insert(4, report(987654, Decimal(1)))

    async def scenario() -> tuple[list, GroupCommit]:
        writer = writers().meter_values
        # Submitted together, so they are flushed as one batch first.
        results = await asyncio.gather(*(writer.submit(r) for r in reports), return_exceptions=True)
        return results, writer

    results, writer = asyncio.run(scenario())

    assert isinstance(results[4], Exception)
    assert not [r for i, r in enumerate(results) if i != 4 and isinstance(r, Exception)], results
    assert writer.items == 10
    assert sorted(MeterValue.objects.values_list("value", flat=True)) == [Decimal(1000 + i) for i in range(10)]


def entry(charge_point, payload, **changes) -> LogEntry:
    fields = {
        "charge_point_id": charge_point.pk,
        "charge_point_ident": charge_point.charge_point_id,
        "direction": "in",
        "message_type": 2,
        "unique_id": "u1",
        "action": "MeterValues",
        "payload": payload,
        "raw": "",
        "error_code": "",
        "problems": "",
        "created_at": timezone.now(),
    }
    return LogEntry(**{**fields, **changes})


def test_a_message_log_row_the_database_cannot_hold_is_stored_sanitised_beside_the_others() -> None:
    good, hostile = ChargePointFactory(), ChargePointFactory()
    entries = [
        entry(good, {"connectorId": 1, "note": "plain", "emoji": "\U0001f4a5"}, unique_id="good"),
        entry(hostile, {"value": "1\x00"}, unique_id="nul"),
        entry(hostile, {"value": "\ud800", "\x00key": 1}, unique_id="surrogate"),
        entry(hostile, {"value": float("nan"), "other": float("-inf")}, unique_id="nan"),
        entry(hostile, None, unique_id="raw\x00", raw="[2, \x00", problems="bad \ud800"),
        entry(good, {"path": "C:\\u0000"}, unique_id="lookalike"),  # a backslash-u, not a NUL
    ]

    async def scenario() -> GroupCommit:
        writer = writers().message_log
        for item in entries:
            writer.submit_nowait(item)
        await writer.drain()
        return writer

    writer = asyncio.run(scenario())

    assert writer.failed == 0
    rows = {row.unique_id: row for row in MessageLog.objects.all()}
    assert set(rows) == {"good", "nul", "surrogate", "nan", "raw\\x00", "lookalike"}
    assert rows["good"].payload == {"connectorId": 1, "note": "plain", "emoji": "\U0001f4a5"}
    assert rows["good"].problems == ""
    assert rows["lookalike"].payload == {"path": "C:\\u0000"}
    assert rows["lookalike"].problems == ""
    assert rows["nul"].payload == {"value": "1\\x00"}
    assert rows["surrogate"].payload == {"value": "\\ud800", "\\x00key": 1}
    assert rows["nan"].payload == {"value": "NaN", "other": "-Infinity"}
    assert (rows["raw\\x00"].raw, rows["raw\\x00"].problems.split("; ")[0]) == ("[2, \\x00", "bad \\ud800")
    for name in ("nul", "surrogate", "nan", "raw\\x00"):
        assert "stored sanitised" in rows[name].problems, name


def test_a_message_log_row_that_cannot_be_stored_at_all_is_counted_and_logged_with_its_charger(caplog) -> None:
    good = ChargePointFactory()
    gone = ChargePointFactory.build(pk=987654, charge_point_id="GONE-1")  # no such charger row: a foreign key fails
    entries = [entry(good, {"n": 1}, unique_id="a"), entry(gone, {"n": 2}, unique_id="b")]
    entries.append(entry(good, {"n": 3}, unique_id="c"))

    async def scenario() -> GroupCommit:
        writer = writers().message_log
        for item in entries:
            writer.submit_nowait(item)
        await writer.drain()
        return writer

    with caplog.at_level(logging.INFO, logger="chargers.ocpp.batching"):
        writer = asyncio.run(scenario())

    assert sorted(MessageLog.objects.values_list("unique_id", flat=True)) == ["a", "c"]
    assert writer.failed == 1
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "GONE-1" in warnings[0].getMessage()
    assert "'b'" in warnings[0].getMessage()
    assert not any(r.exc_info for r in caplog.records)  # one line, no traceback
