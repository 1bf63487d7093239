"""A simulated ETREL INCH against a real daphne server: matched to its profile at boot, its connectors created,
its little-endian RFID matched to a card entered as printed, its kWh/kW values normalised, an operator's choice of
profile kept over boots."""

import asyncio
import uuid
from decimal import Decimal

import pytest

from chargers.models import ChargePoint, ChargerModel, Connector, ProfileStatus
from chargers.profiles.services import charge_point_set_charger_model
from chargers.services import charge_point_register
from rfid.services import id_tag_create
from tests.chargers.test_profiles import load_inch
from tests.simulator import SimulatedCharger, inch_sampled_values
from transactions.models import Transaction

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def inch() -> ChargerModel:
    return load_inch()


def registered() -> ChargePoint:
    return charge_point_register(charge_point_id=f"INCH-{uuid.uuid4().hex[:10]}", auth_key=KEY)


def test_a_simulated_inch_is_matched_to_its_profile_and_gets_its_connectors(portal, inch) -> None:
    charger = registered()

    async def scenario() -> dict:
        async with SimulatedCharger(portal.ocpp_url, charger.charge_point_id, password=KEY) as sim:
            return await sim.boot()

    assert asyncio.run(scenario())["status"] == "Accepted"
    charger.refresh_from_db()
    assert (charger.charger_model, charger.charger_model_overridden) == (inch, False)
    assert sorted(Connector.objects.filter(charge_point=charger).values_list("connector_id", flat=True)) == [0, 1]


def test_an_inch_little_endian_tag_matches_the_card_entered_as_printed(portal, inch) -> None:
    id_tag_create(id_tag="77:FD:2A:FA")  # as printed on the card: stored as 77FD2AFA
    charger = registered()
    other = registered()

    async def scenario() -> tuple[dict, dict, dict, dict]:
        async with SimulatedCharger(portal.ocpp_url, charger.charge_point_id, password=KEY) as sim:
            await sim.boot()
            authorized = await sim.call("Authorize", {"idTag": "FA2AFD77"})
            started = await sim.start(1, "FA2AFD77", 0)
            stopped = await sim.stop(started["transactionId"], 1000, idTag="FA2AFD77")
        # A charger of another make sends its tags big-endian: the reversed form is another card.
        async with SimulatedCharger(portal.ocpp_url, other.charge_point_id, password=KEY) as sim:
            await sim.boot(vendor="Acme", model="Wallbox")
            foreign = await sim.call("Authorize", {"idTag": "FA2AFD77"})
        return authorized, started, stopped, foreign

    authorized, started, stopped, foreign = asyncio.run(scenario())
    # (Each idTagInfo also carries an expiryDate for the charger's cache: tests/rfid/test_authorization.py.)
    assert authorized["idTagInfo"]["status"] == "Accepted"
    assert started["idTagInfo"]["status"] == "Accepted"
    assert stopped["idTagInfo"]["status"] == "Accepted"
    assert foreign["idTagInfo"]["status"] == "Invalid"


def test_inch_kwh_and_kw_values_are_normalised_with_or_without_unit(portal, inch) -> None:
    charger = registered()

    async def scenario() -> int:
        async with SimulatedCharger(portal.ocpp_url, charger.charge_point_id, password=KEY) as sim:
            await sim.boot()
            tx_id = (await sim.start(1, "ANY", 1000, timestamp="2026-11-24T10:00:00Z"))["transactionId"]
            sampled = inch_sampled_values(2.5, 3.7)
            await sim.call(
                "MeterValues",
                {
                    "connectorId": 1,
                    "transactionId": tx_id,
                    "meterValue": [{"timestamp": "2026-11-24T10:05:00Z", "sampledValue": sampled}],
                },
            )
            # The same charger leaving the unit out: the profile says kWh and kW.
            without_unit = [{k: v for k, v in s.items() if k != "unit"} for s in inch_sampled_values(2.75, 3.0)]
            await sim.call(
                "MeterValues",
                {
                    "connectorId": 1,
                    "transactionId": tx_id,
                    "meterValue": [{"timestamp": "2026-11-24T10:06:00Z", "sampledValue": without_unit}],
                },
            )
            await asyncio.sleep(0.3)  # meter values are group-committed just before the reply
            return tx_id

    tx = Transaction.objects.get(pk=asyncio.run(scenario()))
    energies = list(
        tx.meter_values.filter(measurand="Energy.Active.Import.Register").values_list("unit", "value", "si_unit")
    )
    assert energies == [("kWh", Decimal("2500"), "Wh"), ("", Decimal("2750"), "Wh")]
    powers = tx.meter_values.filter(measurand="Power.Active.Import", timestamp__minute=6)
    assert {p.value for p in powers} == {Decimal("3000")}
    connector = Connector.objects.get(charge_point=charger, connector_id=1)
    assert (connector.energy_wh, connector.power_w) == (Decimal("2750"), Decimal("9000"))  # 3 phases summed


def test_an_operator_choice_of_profile_survives_the_next_boot(portal, inch) -> None:
    other = ChargerModel.objects.create(vendor="Acme", model="Special", status=ProfileStatus.ACTIVE)
    charger = registered()
    charge_point_set_charger_model(charge_point=charger, charger_model=other, override=True)

    async def scenario() -> None:
        async with SimulatedCharger(portal.ocpp_url, charger.charge_point_id, password=KEY) as sim:
            await sim.boot()

    asyncio.run(scenario())
    charger.refresh_from_db()
    assert (charger.charger_model, charger.charger_model_overridden) == (other, True)


def test_a_simulated_inch_is_refused_get_local_list_version_before_anything_is_queued(
    command_portal, celery_worker, inch
) -> None:
    from django.core.exceptions import ValidationError

    from chargers.commands.services import command_create
    from chargers.models import Command
    from chargers.ocpp.results import request_problem

    charger = registered()

    async def scenario() -> list:
        async with SimulatedCharger(command_portal.ocpp_url, charger.charge_point_id, password=KEY) as sim:
            await sim.boot()  # vendor "Etrel", model "G-HB1V5CY20-A14": matched to the INCH
            await asyncio.sleep(0.2)
            return sim.received_calls

    calls = asyncio.run(scenario())
    charger.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        command_create(check_payload=request_problem, charge_point=charger, action="GetLocalListVersion", payload={})
    assert "does not support GetLocalListVersion" in refused.value.message_dict["action"][0]
    assert not Command.objects.filter(charge_point=charger).exists()
    assert calls == []
