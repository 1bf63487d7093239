"""The chargers app's raw SQL and its ORM twins (chargers/bulk/) hold the same rule: each case runs both.

The raw twin runs only on PostgreSQL (marked `postgres`); the ORM twin runs everywhere, so a suite on SQLite checks
the rule the ORM writes and a suite on PostgreSQL checks that both copies agree.
"""

import json
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.utils import timezone

from chargers import bulk
from chargers.bulk import LogEntry
from chargers.models import ChargePoint, Command, CommandStatus, MessageLog
from tests.factories import ChargePointFactory

pytestmark = [pytest.mark.django_db, pytest.mark.twins]

ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
RAW = [pytest.mark.postgres, pytest.mark.skipif(not ON_POSTGRESQL, reason="raw SQL for PostgreSQL")]
AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def twins(name: str) -> list:
    """The ORM twin and the raw one of `name`, as pytest parameters."""
    return [
        pytest.param(getattr(bulk, f"{name}_orm"), id="orm"),
        pytest.param(getattr(bulk, f"{name}_sql"), id="sql", marks=RAW),
    ]


# --- Handshake lookup -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("lookup", twins("charge_points_for_handshake"))
@pytest.mark.parametrize("ident", ["CP-1", "CP 'quoted' %s", "ümlaut/ü"])
def test_the_handshake_finds_a_charger_by_its_exact_id_with_the_fields_it_needs(lookup, ident) -> None:
    charger = ChargePointFactory(
        charge_point_id=ident,
        auth_key_hash="ab" * 32,
        channel_name="specific.x",
        is_online=True,
        transport="ocpp16_soap",
        soap_address="http://10.0.0.7/ocpp",
        last_seen=timezone.now(),
    )
    ChargePointFactory(charge_point_id=ident.upper() + "-other")

    found = lookup(charge_point_ids=[ident])

    assert list(found) == [ident]
    assert found[ident].pk == charger.pk
    loaded = {name: getattr(found[ident], name) for name in bulk.HANDSHAKE_FIELDS}
    assert loaded == {name: getattr(charger, name) for name in bulk.HANDSHAKE_FIELDS}
    assert lookup(charge_point_ids=[ident + "x"]) == {}


@pytest.mark.parametrize("lookup", twins("charge_points_for_handshake"))
def test_the_handshakes_of_a_batch_find_their_chargers_in_one_query(lookup, django_assert_num_queries) -> None:
    chargers = [ChargePointFactory(charge_point_id=f"CP-{n}") for n in range(4)]

    with django_assert_num_queries(1):
        found = lookup(charge_point_ids=["CP-3", "CP-0", "CP-unknown", "CP-2"])

    assert {ident: cp.pk for ident, cp in found.items()} == {
        "CP-3": chargers[3].pk,
        "CP-0": chargers[0].pk,
        "CP-2": chargers[2].pk,
    }


# --- Connect --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("connect", twins("charge_points_connect"))
def test_connecting_takes_the_charger_over_and_says_whom_it_replaced(connect) -> None:
    charger = ChargePointFactory(is_online=False)
    other = ChargePointFactory(channel_name="specific.other")

    first = connect(sessions=[bulk.Connecting(charger.pk, "specific.a", "10.0.0.1" * 10)], at=AT)
    second = connect(sessions=[bulk.Connecting(charger.pk, "specific.b", "10.0.0.2")], at=AT)

    assert first == {charger.pk: bulk.Takeover("", False)}
    assert second == {charger.pk: bulk.Takeover("specific.a", False)}
    charger.refresh_from_db()
    assert (charger.is_online, charger.channel_name, charger.remote_addr) == (True, "specific.b", "10.0.0.2")
    assert charger.connected_at == charger.last_seen == AT
    first_addr = ChargePoint.objects.get(pk=other.pk).remote_addr
    assert first_addr != "10.0.0.2"  # only the one charger's row


@pytest.mark.parametrize("connect", twins("charge_points_connect"))
@pytest.mark.parametrize(("status", "waiting"), [(CommandStatus.QUEUED, True), (CommandStatus.SENT, False)])
def test_connecting_says_whether_commands_are_queued_for_the_charger(connect, status, waiting) -> None:
    charger = ChargePointFactory()
    Command.objects.create(charge_point=charger, action="Reset", payload={"type": "Soft"}, status=status)
    Command.objects.create(charge_point=ChargePointFactory(), action="Reset", payload={"type": "Soft"})

    found = connect(sessions=[bulk.Connecting(charger.pk, "specific.a", "")], at=AT)

    assert found[charger.pk].has_queued_commands is waiting


@pytest.mark.parametrize("connect", twins("charge_points_connect"))
def test_connecting_a_charger_deleted_meanwhile_replaces_nobody(connect) -> None:
    assert connect(sessions=[bulk.Connecting(987654, "specific.a", "")], at=AT) == {}


@pytest.mark.parametrize("connect", twins("charge_points_connect"))
def test_a_batch_of_connects_takes_each_charger_over_with_its_own_channel_and_address(connect) -> None:
    chargers = [ChargePointFactory(is_online=False, channel_name=f"specific.old{n}" if n else "") for n in range(3)]
    Command.objects.create(charge_point=chargers[1], action="Reset", payload={"type": "Soft"})
    bystander = ChargePointFactory(is_online=False, channel_name="specific.bystander")
    sessions = [bulk.Connecting(cp.pk, f"specific.new{n}", f"10.0.0.{n}") for n, cp in enumerate(chargers)]

    found = connect(sessions=[*reversed(sessions), bulk.Connecting(987654, "specific.gone", "")], at=AT)

    assert found == {
        chargers[0].pk: bulk.Takeover("", False),
        chargers[1].pk: bulk.Takeover("specific.old1", True),
        chargers[2].pk: bulk.Takeover("specific.old2", False),
    }
    rows = {cp.pk: (cp.is_online, cp.channel_name, cp.remote_addr, cp.connected_at) for cp in ChargePoint.objects.all()}
    for n, cp in enumerate(chargers):
        assert rows[cp.pk] == (True, f"specific.new{n}", f"10.0.0.{n}", AT)
    assert rows[bystander.pk] == (False, "specific.bystander", "", None)


def test_a_batch_naming_a_charger_twice_is_refused_before_anything_is_written() -> None:
    charger = ChargePointFactory(is_online=False)

    with pytest.raises(ValueError, match="one session per charger"):
        bulk.charge_points_connect(
            sessions=[bulk.Connecting(charger.pk, "specific.a", ""), bulk.Connecting(charger.pk, "specific.b", "")],
            at=AT,
        )

    assert ChargePoint.objects.get(pk=charger.pk).is_online is False


# --- Disconnect -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("disconnect", twins("charge_points_disconnect"))
def test_a_disconnect_marks_offline_only_chargers_its_session_still_holds(disconnect) -> None:
    held = ChargePointFactory(is_online=True, channel_name="specific.held")
    taken = ChargePointFactory(is_online=True, channel_name="specific.newer")
    bystander = ChargePointFactory(is_online=True, channel_name="specific.bystander")

    marked = disconnect(
        sessions=[(held.pk, "specific.held"), (taken.pk, "specific.older"), (987654, "specific.gone")], at=AT
    )

    assert marked == [held.pk]
    rows = {cp.pk: (cp.is_online, cp.channel_name, cp.disconnected_at) for cp in ChargePoint.objects.all()}
    assert rows[held.pk] == (False, "", AT)
    assert rows[taken.pk] == (True, "specific.newer", None)
    assert rows[bystander.pk] == (True, "specific.bystander", None)


@pytest.mark.parametrize("disconnect", twins("charge_points_disconnect"))
def test_a_batch_of_disconnects_marks_every_held_charger_once(disconnect) -> None:
    chargers = [ChargePointFactory(is_online=True, channel_name=f"specific.{n}") for n in range(5)]

    marked = disconnect(sessions=[(cp.pk, f"specific.{n}") for n, cp in enumerate(chargers)], at=AT)

    assert sorted(marked) == sorted(cp.pk for cp in chargers)
    assert not ChargePoint.objects.filter(is_online=True).exists()


# --- Message log ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("append", twins("message_log_append"))
def test_log_entries_are_stored_column_by_column(append) -> None:
    charger = ChargePointFactory()
    entries = [
        LogEntry(charger.pk, charger.charge_point_id, "in", 2, "1", "Heartbeat", {}, "", "", "", AT),
        LogEntry(charger.pk, charger.charge_point_id, "out", 3, "1", "Heartbeat", {"currentTime": "x"}, "", "", "", AT),
        LogEntry(None, "CP-?", "in", None, "", "", None, "[2, garbage", "FormationViolation", "bad JSON", AT),
        LogEntry(charger.pk, "ü", "in", 2, "7", "DataTransfer", {"data": "ü €", "n": 1.5}, "", "", "", AT),
    ]

    append(entries=entries, payload_texts=[None if e.payload is None else json.dumps(e.payload) for e in entries])

    stored = [tuple(getattr(row, name) for name in bulk.LOG_COLUMNS) for row in MessageLog.objects.order_by("pk").all()]
    assert stored == [tuple(entry) for entry in entries]
