"""A charger boots, reports, authorizes, charges and stops against a real daphne server; all of it is stored."""

import asyncio
import uuid
from decimal import Decimal

import pytest

from chargers.models import ChargePoint, Connector, MessageLog, RegistrationStatus
from chargers.selectors import charge_point_list
from chargers.services import charge_point_register
from rfid.services import id_tag_create
from tests.db import in_db_thread
from tests.simulator import SimulatedCharger, inch_sampled_values, now_iso
from transactions.models import MeterValue, Transaction

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "0123456789abcdef0123456789abcdef01234567"


def new_id(prefix: str = "CP") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def registered(charge_point_id: str | None = None) -> ChargePoint:
    return charge_point_register(charge_point_id=charge_point_id or new_id(), auth_key=KEY)


def test_a_charger_boots_charges_and_stops_and_everything_is_stored(portal) -> None:
    charger = registered()
    id_tag_create(id_tag="FA2AFD77")

    async def scenario() -> dict:
        async with SimulatedCharger(portal.ocpp_url, charger.charge_point_id, password=KEY) as sim:
            boot = await sim.boot()
            await sim.status(0, "Available")
            await sim.status(1, "Preparing")
            auth = await sim.call("Authorize", {"idTag": "FA2AFD77"})
            start = await sim.start(1, "FA2AFD77", 1000, timestamp="2026-11-24T10:00:00Z")
            tx_id = start["transactionId"]
            meter = await sim.call(
                "MeterValues",
                {
                    "connectorId": 1,
                    "transactionId": tx_id,
                    "meterValue": [
                        {"timestamp": "2026-11-24T10:05:00Z", "sampledValue": inch_sampled_values(2.5, 3.7)}
                    ],
                },
            )
            heartbeat = await sim.call("Heartbeat", {})
            stop = await sim.stop(tx_id, 4200, timestamp="2026-11-24T10:30:00Z", idTag="FA2AFD77", reason="Local")
            return {
                "boot": boot,
                "auth": auth,
                "start": start,
                "meter": meter,
                "heartbeat": heartbeat,
                "stop": stop,
            }

    replies = asyncio.run(scenario())

    assert replies["boot"]["status"] == "Accepted"
    assert replies["boot"]["interval"] > 0
    # Every idTagInfo carries an expiryDate (RFID_AUTH_CACHE_S ahead), so that the charger's cache ages.
    assert replies["auth"]["idTagInfo"]["status"] == "Accepted"
    assert replies["auth"]["idTagInfo"]["expiryDate"].endswith("Z")
    assert replies["start"]["idTagInfo"]["status"] == "Accepted"
    assert replies["meter"] == {}
    assert replies["heartbeat"]["currentTime"].endswith("Z")
    assert replies["stop"]["idTagInfo"]["status"] == "Accepted"

    charger.refresh_from_db()
    assert (charger.vendor, charger.model, charger.firmware_version) == (
        "Etrel",
        "G-HB1V5CY20-A14",
        "5.4:5.0.5",
    )
    tx = Transaction.objects.get(pk=replies["start"]["transactionId"])
    assert (tx.charge_point_id, tx.connector_id, tx.id_tag) == (charger.pk, 1, "FA2AFD77")
    assert (tx.meter_start_wh, tx.meter_stop_wh, tx.stop_reason) == (1000, 4200, "Local")
    assert tx.energy_wh == 3200
    assert tx.meter_values.count() == 10
    energy = tx.meter_values.get(measurand="Energy.Active.Import.Register")
    assert (energy.raw_value, energy.unit, energy.value, energy.si_unit) == (
        "2.500",
        "kWh",
        Decimal("2500"),
        "Wh",
    )
    frequency = tx.meter_values.get(measurand="Frequency")
    assert (frequency.unit, frequency.si_unit) == ("Hz", "Hz")
    connector = Connector.objects.get(charge_point=charger, connector_id=1)
    assert connector.status == "Preparing"
    # The session stopped: its 11.1 kW (three phases of 3.7 kW, summed) is history, not live power.
    assert connector.power_w == 0
    assert connector.energy_wh == Decimal("2500")
    assert Connector.objects.get(charge_point=charger, connector_id=0).status == "Available"


def _live_power(charge_point_pk: int) -> tuple[Decimal | None, Decimal | None]:
    """(connector 1's power, the charger's live_power_w as the API and the pages read it)."""
    charger = charge_point_list().get(pk=charge_point_pk)
    return Connector.objects.get(charge_point_id=charge_point_pk, connector_id=1).power_w, charger.live_power_w


def test_a_connectors_live_power_drops_to_zero_when_its_session_stops_or_it_becomes_available(portal) -> None:
    charger = registered()
    id_tag_create(id_tag="FA2AFD77")

    async def meter(sim: SimulatedCharger, tx_id: int, kw_per_phase: float) -> None:
        await sim.call(
            "MeterValues",
            {
                "connectorId": 1,
                "transactionId": tx_id,
                "meterValue": [{"timestamp": now_iso(), "sampledValue": inch_sampled_values(1.0, kw_per_phase)}],
            },
        )

    async def scenario() -> list:
        seen = []
        async with SimulatedCharger(portal.ocpp_url, charger.charge_point_id, password=KEY) as sim:
            await sim.boot()
            await sim.status(1, "Charging")
            first = (await sim.start(1, "FA2AFD77", 0))["transactionId"]
            await meter(sim, first, 3.7)
            seen.append(await in_db_thread(_live_power, charger.pk))
            await sim.stop(first, 2500, idTag="FA2AFD77")
            seen.append(await in_db_thread(_live_power, charger.pk))
            second = (await sim.start(1, "FA2AFD77", 2500))["transactionId"]
            await meter(sim, second, 2.0)
            seen.append(await in_db_thread(_live_power, charger.pk))
            await sim.status(1, "Available")  # a charger that lost its session without a StopTransaction
            seen.append(await in_db_thread(_live_power, charger.pk))
        return seen

    during, after_stop, during_second, after_available = asyncio.run(scenario())
    assert during == (Decimal("11100"), Decimal("11100"))
    assert after_stop == (0, 0)
    assert during_second == (Decimal("6000"), Decimal("6000"))
    assert after_available == (0, 0)


def test_every_frame_in_and_out_is_in_the_message_log(portal) -> None:
    charger = registered()

    async def scenario() -> None:
        async with SimulatedCharger(portal.ocpp_url, charger.charge_point_id, password=KEY) as sim:
            await sim.boot()
            await sim.call("Heartbeat", {})
            await asyncio.sleep(0.3)  # the log is written just after the reply

    asyncio.run(scenario())
    logged = list(
        MessageLog.objects.filter(charge_point=charger)
        .order_by("created_at", "id")
        .values_list("direction", "message_type", "action", "unique_id")
    )
    assert logged == [
        ("in", 2, "BootNotification", "1"),
        ("out", 3, "BootNotification", "1"),
        ("in", 2, "Heartbeat", "2"),
        ("out", 3, "Heartbeat", "2"),
    ]


def test_the_charger_is_online_while_connected_and_offline_after(portal) -> None:
    charger = registered()

    async def scenario() -> tuple[bool, str]:
        async with SimulatedCharger(portal.ocpp_url, charger.charge_point_id, password=KEY) as sim:
            await sim.boot()
            online = await in_db_thread(lambda: ChargePoint.objects.get(pk=charger.pk))
            return online.is_online, online.channel_name

    is_online, channel = asyncio.run(scenario())
    assert is_online and channel
    asyncio.run(asyncio.sleep(0.5))
    charger.refresh_from_db()
    assert not charger.is_online
    assert charger.channel_name == ""
    assert charger.last_seen is not None


def test_a_new_connection_for_the_same_id_replaces_the_old_one(portal) -> None:
    charger = registered()

    async def scenario() -> tuple[bool, bool]:
        first = await SimulatedCharger(portal.ocpp_url, charger.charge_point_id, password=KEY).connect()
        await first.boot()
        second = await SimulatedCharger(portal.ocpp_url, charger.charge_point_id, password=KEY).connect()
        await asyncio.wait_for(first.closed.wait(), 5)
        reply = await second.call("Heartbeat", {})
        await asyncio.sleep(0.2)
        state = await in_db_thread(lambda: ChargePoint.objects.get(pk=charger.pk).is_online)
        await second.close()
        return "currentTime" in reply, state

    answered, still_online = asyncio.run(scenario())
    assert answered
    assert still_online  # the old session's close did not mark the charger offline


def test_resent_start_meter_values_and_stop_store_nothing_twice(portal) -> None:
    charger = registered()
    id_tag_create(id_tag="AABBCCDD")
    meter = {
        "connectorId": 1,
        "meterValue": [{"timestamp": "2026-11-24T08:01:00Z", "sampledValue": inch_sampled_values(1.0, 2.0)}],
    }

    async def scenario() -> tuple[int, int]:
        async with SimulatedCharger(portal.ocpp_url, charger.charge_point_id, password=KEY) as sim:
            await sim.boot()
            first = await sim.start(1, "AABBCCDD", 500, timestamp="2026-11-24T08:00:00Z")
            again = await sim.start(1, "AABBCCDD", 500, timestamp="2026-11-24T08:00:00Z")
            meter["transactionId"] = first["transactionId"]
            await sim.call("MeterValues", meter)
            await sim.call("MeterValues", meter)
            await sim.stop(first["transactionId"], 1500, timestamp="2026-11-24T08:30:00Z")
            await sim.stop(first["transactionId"], 1500, timestamp="2026-11-24T08:30:00Z")
            return first["transactionId"], again["transactionId"]

    first, again = asyncio.run(scenario())
    assert first == again
    assert Transaction.objects.filter(charge_point=charger).count() == 1
    assert MeterValue.objects.filter(charge_point=charger).count() == 10
    assert Transaction.objects.get(pk=first).meter_stop_wh == 1500


def test_an_offline_queue_replayed_late_is_stored_in_order_and_keeps_newer_state(portal) -> None:
    charger = registered()
    id_tag_create(id_tag="11223344")

    async def scenario() -> int:
        async with SimulatedCharger(portal.ocpp_url, charger.charge_point_id, password=KEY) as sim:
            await sim.boot()
            # Live value first, then the queue from yesterday arrives.
            await sim.call(
                "MeterValues",
                {
                    "connectorId": 2,
                    "meterValue": [
                        {
                            "timestamp": "2026-11-24T12:00:00Z",
                            "sampledValue": [{"measurand": "Power.Active.Import", "unit": "W", "value": "7000"}],
                        }
                    ],
                },
            )
            start = await sim.start(2, "11223344", 100, timestamp="2026-11-23T09:00:00Z")
            tx = start["transactionId"]
            for minute in range(3):
                await sim.call(
                    "MeterValues",
                    {
                        "connectorId": 2,
                        "transactionId": tx,
                        "meterValue": [
                            {
                                "timestamp": f"2026-11-23T09:0{minute + 1}:00Z",
                                "sampledValue": [
                                    {
                                        "measurand": "Power.Active.Import",
                                        "unit": "W",
                                        "value": str(1000 + minute),
                                    }
                                ],
                            }
                        ],
                    },
                )
            await sim.stop(tx, 900, timestamp="2026-11-23T10:00:00+01:00")
            return tx

    tx = asyncio.run(scenario())
    values = list(
        MeterValue.objects.filter(transaction_id=tx).order_by("timestamp").values_list("raw_value", flat=True)
    )
    assert values == ["1000", "1001", "1002"]
    transaction = Transaction.objects.get(pk=tx)
    assert transaction.stopped_at.isoformat() == "2026-11-23T09:00:00+00:00"
    connector = Connector.objects.get(charge_point=charger, connector_id=2)
    assert connector.power_w == Decimal("7000")  # the late replay did not overwrite the newer live value


def test_a_stop_for_an_unknown_or_negative_transaction_is_answered_and_kept(portal) -> None:
    charger = registered()

    async def scenario() -> dict:
        async with SimulatedCharger(portal.ocpp_url, charger.charge_point_id, password=KEY) as sim:
            await sim.boot()
            await sim.call(
                "MeterValues",
                {
                    "connectorId": 1,
                    "transactionId": -7,
                    "meterValue": [
                        {
                            "timestamp": "2026-11-24T07:10:00Z",
                            "sampledValue": [{"value": "1200", "unit": "Wh"}],
                        }
                    ],
                },
            )
            return await sim.stop(
                -7,
                2000,
                timestamp="2026-11-24T07:30:00Z",
                transactionData=[
                    {
                        "timestamp": "2026-11-24T07:00:00Z",
                        "sampledValue": [{"value": "1000", "context": "Transaction.Begin"}],
                    }
                ],
            )

    reply = asyncio.run(scenario())
    assert reply == {}
    orphan = Transaction.objects.get(charge_point=charger, charger_transaction_id=-7)
    assert (orphan.connector_id, orphan.meter_start_wh, orphan.meter_stop_wh) == (1, 1000, 2000)
    assert orphan.meter_values.count() == 2


def test_a_pending_charger_only_gets_its_boot_answered_until_accepted(portal) -> None:
    charger = charge_point_register(
        charge_point_id=new_id(), auth_key=KEY, registration_status=RegistrationStatus.PENDING
    )

    async def scenario() -> tuple[dict, str]:
        async with SimulatedCharger(portal.ocpp_url, charger.charge_point_id, password=KEY) as sim:
            boot = await sim.boot()
            try:
                await sim.call("Heartbeat", {})
            except Exception as exc:
                return boot, exc.code
            return boot, "answered"

    boot, heartbeat = asyncio.run(scenario())
    assert boot["status"] == "Pending"
    assert heartbeat == "SecurityError"


def test_an_operator_accepting_a_pending_charger_takes_effect_on_the_live_session(portal) -> None:
    from chargers.services import charge_point_set_registration

    charger = charge_point_register(
        charge_point_id=new_id(), auth_key=KEY, registration_status=RegistrationStatus.PENDING
    )

    async def scenario() -> tuple[str, dict]:
        async with SimulatedCharger(portal.ocpp_url, charger.charge_point_id, password=KEY) as sim:
            boot = await sim.boot()
            await in_db_thread(charge_point_set_registration, charge_point=charger, status=RegistrationStatus.ACCEPTED)
            await asyncio.sleep(0.3)
            return boot["status"], await sim.call("Heartbeat", {})

    before, heartbeat = asyncio.run(scenario())
    assert before == "Pending"
    assert "currentTime" in heartbeat
