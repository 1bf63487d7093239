"""StartTransaction, StopTransaction and StatusNotification in group commits: a batch answers as the same calls
one by one did, publishes its events once, and an item the database refuses costs only itself."""

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from chargers.models import Connector
from chargers.ocpp.transactional import StartCall, StopCall, starts_store, stops_store
from chargers.ocpp.writers import writers
from chargers.services import ConnectorStatusReport, connectors_status_update
from core import events
from rfid.models import IdTagStatus
from rfid.services import CONCURRENT_TX, TagAtConnector, TagDecisions, id_tag_authorize
from tests.factories import ChargePointFactory, ConnectorFactory, IdTagFactory, TransactionFactory
from transactions.models import Transaction
from transactions.services import TransactionStart, TransactionStop

pytestmark = pytest.mark.django_db(transaction=True)

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def start(charger, tag: str, connector_id: int = 1, meter: int = 0, at: datetime | None = None) -> StartCall:
    item = TransactionStart(
        charge_point_pk=charger.pk,
        charge_point_ident=charger.charge_point_id,
        connector_id=connector_id,
        id_tag=tag,
        meter_start_wh=meter,
        started_at=at or timezone.now(),
    )
    return StartCall(item, reversed_bytes=False)


def status(charger, state: str, at: datetime, connector_id: int = 1) -> ConnectorStatusReport:
    return ConnectorStatusReport(
        charge_point_pk=charger.pk,
        charge_point_id=charger.charge_point_id,
        connector_id=connector_id,
        status=state,
        error_code="NoError",
        timestamp=at,
    )


@pytest.fixture
def published():
    batches: list[list] = []
    unsubscribe = events.subscribe(lambda batch: batches.append(list(batch)))
    yield batches
    unsubscribe()


def test_one_tag_started_at_two_chargers_in_one_batch_is_concurrent_at_the_second(published) -> None:
    first, second = ChargePointFactory.create_batch(2)
    IdTagFactory(id_tag="CARD01")
    (first_id, first_auth), (second_id, second_auth) = starts_store([start(first, "CARD01"), start(second, "CARD01")])
    assert (first_auth.status, second_auth.status) == (IdTagStatus.ACCEPTED, CONCURRENT_TX)
    assert Transaction.objects.get(pk=second_id).id_tag_status == CONCURRENT_TX
    started = [e for batch in published for e in batch if e.name == "transaction.started"]
    assert [e.transaction_pk for e in started] == [first_id, second_id]
    assert len([b for b in published if any(e.name == "transaction.started" for e in b)]) == 1


def test_a_start_resent_within_its_batch_gets_the_same_transaction() -> None:
    charger = ChargePointFactory()
    IdTagFactory(id_tag="CARD01")
    again = start(charger, "CARD01", at=T0)
    (one, _), (two, auth) = starts_store([again, again])
    assert one == two and auth.status == IdTagStatus.ACCEPTED
    assert Transaction.objects.count() == 1


def clock_broken(call: StartCall, received: datetime) -> StartCall:
    """The start as the handler reads a 1970 clock: the time received stored, the time as written kept."""
    item = replace(call.start, started_at=received, start_sent_as="1970-01-01T00:00:07Z")
    return StartCall(item, reversed_bytes=False)


def test_a_start_resent_from_a_1970_clock_in_later_batches_gets_the_same_transaction() -> None:
    charger = ChargePointFactory()
    IdTagFactory(id_tag="CARD01")
    call = start(charger, "CARD01")
    ((first, _),) = starts_store([clock_broken(call, T0)])
    ((again, _),) = starts_store([clock_broken(call, T0 + timedelta(seconds=40))])
    assert again == first and Transaction.objects.count() == 1
    assert Transaction.objects.get().started_at == T0


def test_two_starts_from_a_1970_clock_written_differently_are_two_transactions() -> None:
    charger = ChargePointFactory()
    IdTagFactory(id_tag="CARD01")
    first = clock_broken(start(charger, "CARD01", connector_id=1), T0)
    later = replace(first.start, start_sent_as="1970-01-01T00:09:00Z")
    (one, _), (two, _) = starts_store([first, StartCall(later, reversed_bytes=False)])
    assert one != two and Transaction.objects.count() == 2


@override_settings(RFID_CALLOUT_URL="http://127.0.0.1:9/callout")
def test_an_unknown_tag_with_a_callout_leaves_the_batch_unstored_and_the_others_are_stored() -> None:
    charger, other = ChargePointFactory.create_batch(2)
    IdTagFactory(id_tag="CARD01")
    (unknown_id, unknown_auth), (known_id, _) = starts_store([start(charger, "NOBODY"), start(other, "CARD01")])
    assert unknown_id is None and not unknown_auth.known
    assert Transaction.objects.filter(pk=known_id).exists() and Transaction.objects.count() == 1


@pytest.mark.parametrize(
    "case",
    ["unknown", "blocked", "expired", "running elsewhere", "running here", "restricted", "in a group", "reversed"],
)
@pytest.mark.parametrize("check_concurrent", [True, False], ids=["start", "stop"])
def test_the_batch_decision_is_what_id_tag_authorize_decides(case: str, check_concurrent: bool) -> None:
    charger, elsewhere = ChargePointFactory.create_batch(2)
    raw = "77FD2AFA"
    if case != "unknown":
        tag = IdTagFactory(id_tag="FA2AFD77" if case == "reversed" else raw)
        if case == "blocked":
            tag.status = IdTagStatus.BLOCKED
        if case == "expired":
            tag.expires_at = timezone.now() - timedelta(days=1)
        if case == "in a group":
            tag.parent = IdTagFactory(id_tag="FLEET")
            TransactionFactory(charge_point=elsewhere, id_tag="FLEET")
        tag.save()
        if case == "restricted":
            tag.allowed_charge_points.add(elsewhere)
    if case in ("running elsewhere", "reversed"):
        TransactionFactory(charge_point=elsewhere, id_tag=raw.lower())
    if case == "running here":
        TransactionFactory(charge_point=charger, connector_id=1, id_tag=raw)
    connector_id = 1 if check_concurrent else None  # a stop's re-check names no connector
    expected = id_tag_authorize(
        raw=raw,
        match_reversed_bytes=True,
        charge_point_pk=charger.pk,
        connector_id=connector_id,
        check_concurrent=check_concurrent,
    )
    tags = [TagAtConnector(raw, charger.pk, connector_id, True)]
    decided = TagDecisions(tags, check_concurrent=check_concurrent).decide(0)
    assert (decided.status, decided.parent_id_tag, decided.known) == (
        expected.status,
        expected.parent_id_tag,
        expected.known,
    )
    assert abs((decided.expiry_date - expected.expiry_date).total_seconds()) < 5


def test_stops_in_one_batch_close_known_and_keep_unknown_ids_and_recheck_their_tags(published) -> None:
    charger = ChargePointFactory()
    IdTagFactory(id_tag="CARD01")
    running = TransactionFactory(charge_point=charger, id_tag="CARD01")

    def stop(transaction_id: int, id_tag: str = "") -> StopCall:
        item = TransactionStop(
            charge_point_pk=charger.pk,
            charge_point_ident=charger.charge_point_id,
            transaction_id=transaction_id,
            meter_stop_wh=5000,
            stopped_at=timezone.now(),
            id_tag=id_tag,
        )
        return StopCall(item, reversed_bytes=False)

    (known, known_auth), (again, _), (orphan, none) = stops_store(
        [stop(running.pk, "CARD01"), stop(running.pk), stop(-1)]
    )
    assert known.was_known and not known.already_stopped and known_auth.status == IdTagStatus.ACCEPTED
    assert again.already_stopped and none is None
    assert not orphan.was_known and orphan.transaction.charger_transaction_id == -1
    stopped = [b for b in published if any(e.name == "transaction.stopped" for e in b)]
    # One batch of events: the known one's and the orphan's (kept as a stopped transaction); the resent stop none.
    assert len(stopped) == 1
    assert [e.transaction_pk for e in stopped[0] if e.name == "transaction.stopped"] == [
        running.pk,
        orphan.transaction.pk,
    ]


def test_statuses_in_one_batch_keep_the_newest_and_publish_each_change_once(published) -> None:
    charger = ChargePointFactory()
    ConnectorFactory(charge_point=charger, connector_id=1, status="Available")
    connectors_status_update(
        items=[
            status(charger, "Preparing", T0),
            status(charger, "Charging", T0 + timedelta(seconds=5)),
            status(charger, "Preparing", T0 + timedelta(seconds=1)),  # late: older than Charging
            status(charger, "Charging", T0 + timedelta(seconds=6)),  # the same again: no event
            status(charger, "Available", T0, connector_id=2),  # no row yet: created
        ]
    )
    row = Connector.objects.get(charge_point=charger, connector_id=1)
    assert (row.status, row.status_timestamp) == ("Charging", T0 + timedelta(seconds=6))
    assert Connector.objects.get(charge_point=charger, connector_id=2).status == "Available"
    changes = [(e.connector_id, e.status) for b in published for e in b if e.name == "charger.status"]
    assert changes == [(1, "Preparing"), (1, "Charging"), (2, "Available")]


def test_a_start_the_database_refuses_fails_alone_and_the_others_of_its_batch_are_stored() -> None:
    chargers = ChargePointFactory.create_batch(6)
    for i in range(6):
        IdTagFactory(id_tag=f"CARD{i:02d}")
    calls = [start(c, f"CARD{i:02d}") for i, c in enumerate(chargers)]
    gone = ChargePointFactory()
    calls.insert(3, start(gone, "CARD99"))
    gone.delete()  # its row is gone: the database refuses the start (foreign key)

    async def scenario() -> list:
        return await asyncio.gather(*(writers().starts.submit(c) for c in calls), return_exceptions=True)

    results = asyncio.run(scenario())
    assert isinstance(results[3], Exception)
    assert all(not isinstance(r, Exception) and r[0] for i, r in enumerate(results) if i != 3), results
    assert Transaction.objects.count() == 6
