"""A charger's profile capacity (ChargingProfileMaxStackLevel, MaxChargingProfilesInstalled) as load management
reads it: its configuration keys, else its model profile's answers; a TxProfile at a level it takes, or a charger
it cannot steer counted at its maximum and shown to the operator."""

from decimal import Decimal

import pytest

from chargers.models import ChargerModel, ConfigurationKey
from tests.factories import ChargePointFactory, TransactionFactory
from transactions.load.selectors import site_load
from transactions.load.services import site_load_balance
from transactions.models import Site

pytestmark = pytest.mark.django_db


def tx_profiles(commands) -> dict[int, dict]:
    """transaction id -> the TxProfile queued for it."""
    profiles = [c.payload["csChargingProfiles"] for c in commands]
    return {p["transactionId"]: p for p in profiles if p["chargingProfilePurpose"] == "TxProfile"}


def test_a_charger_whose_highest_stack_level_is_0_gets_its_tx_profile_at_level_0() -> None:
    site = Site.objects.create(name="Depot", grid_limit_a=Decimal(20))
    plain, low = ChargePointFactory(site=site, is_online=True), ChargePointFactory(site=site, is_online=True)
    ConfigurationKey.objects.create(charge_point=low, key="ChargingProfileMaxStackLevel", value="0")
    ChargePointFactory(site=site, is_online=True)
    ChargePointFactory(site=site, is_online=True)  # four on 20 A: 0 A defaults, nothing reserved
    sessions = [TransactionFactory(charge_point=plain), TransactionFactory(charge_point=low)]
    sent = tx_profiles(site_load_balance(site=site))
    assert [sent[s.pk]["stackLevel"] for s in sessions] == [1, 0]


def test_a_charger_without_room_for_its_profiles_is_counted_at_its_maximum_and_shown_as_not_managed() -> None:
    site = Site.objects.create(name="Depot", grid_limit_a=Decimal(40))
    model = ChargerModel.objects.create(
        vendor="Acme",
        model="Tiny",
        max_charging_profiles_installed=1,
        supported_messages={"ocpp16_json": ["SetChargingProfile"]},
    )
    tiny = ChargePointFactory(site=site, is_online=True, charger_model=model)
    steered = ChargePointFactory(site=site, is_online=True)
    unsteered, running = TransactionFactory(charge_point=tiny), TransactionFactory(charge_point=steered)
    commands = site_load_balance(site=site)
    assert {c.charge_point_id for c in commands} == {steered.pk}  # nothing to the charger it cannot steer
    assert tx_profiles(commands)[running.pk]["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"] == 8.0
    assert unsteered.pk not in tx_profiles(commands)  # 40 A less its 32 A maximum leaves 8 A
    load = site_load(site=site)
    assert [u["charge_point_id"] for u in load.unmanaged] == [tiny.charge_point_id]
    assert "MaxChargingProfilesInstalled is 1" in load.unmanaged[0]["reason"]
    # Its own configuration key, once read, beats the model's answer.
    ConfigurationKey.objects.create(charge_point=tiny, key="MaxChargingProfilesInstalled", value="10")
    assert site_load(site=site).unmanaged == []
    assert unsteered.pk in tx_profiles(site_load_balance(site=site))


def test_a_charger_whose_model_takes_no_charging_profiles_is_counted_at_its_maximum() -> None:
    site = Site.objects.create(name="Depot", grid_limit_a=Decimal(40))
    model = ChargerModel.objects.create(vendor="Acme", model="Dumb", supported_messages={"ocpp16_json": ["Reset"]})
    dumb = ChargePointFactory(site=site, is_online=True, charger_model=model)
    TransactionFactory(charge_point=dumb)
    running = TransactionFactory(charge_point=ChargePointFactory(site=site, is_online=True))
    sent = tx_profiles(site_load_balance(site=site))
    assert sent[running.pk]["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"] == 8.0
    assert "does not support SetChargingProfile" in site_load(site=site).unmanaged[0]["reason"]
