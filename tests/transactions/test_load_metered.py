"""Building and circuit loads a charger meters (transactions/load/services.py building_readings_from_meters), and
which of its values its model profile takes for them (chargers/profiles/selectors.py ProfileTraits)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from chargers.profiles.selectors import profile_traits
from tests.chargers.test_profiles import booted, load_inch
from tests.factories import ChargePointFactory
from transactions.load.models import BuildingReading
from transactions.load.services import MeteredLoad, building_readings_from_meters
from transactions.models import Site
from transactions.readings import Sample

pytestmark = pytest.mark.django_db

AT = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


def sample(value: str, si_unit: str, phase: str = "", at: datetime = AT) -> Sample:
    """A "Building consumption" value as chargers/ocpp/metering.py reads it (in SI: W or A)."""
    return Sample(
        at, "Building consumption", phase, "Outlet", "Sample.Periodic", "Raw", "", value, Decimal(value), si_unit
    )


def phases(site: Site) -> tuple[Decimal, Decimal, Decimal]:
    reading = BuildingReading.objects.filter(site=site).latest("measured_at")
    return reading.l1_a, reading.l2_a, reading.l3_a


def test_the_inch_profile_takes_its_building_and_cluster_values_for_site_loads() -> None:
    load_inch()
    traits = profile_traits(charge_point_pk=booted("INCH-LOAD-1").pk)
    assert traits.load_role(measurand="Building consumption", location="Outlet") == "building"
    assert traits.load_role(measurand="building.consumption", location="Inlet") == "building"
    assert traits.load_role(measurand="Cluster consumption", location="Outlet") == "cluster"
    assert traits.load_role(measurand="Current.Import", location="Outlet") == ""
    assert traits.default_units["Building consumption"] == "kW"


def test_a_metered_total_in_watts_becomes_the_site_s_building_load_at_its_newest_moment() -> None:
    site = Site.objects.create(name="Depot", grid_limit_a=Decimal(63))
    circuit = Site.objects.create(name="Feeder", parent=site, grid_limit_a=Decimal(32))
    charger = ChargePointFactory(site=circuit)
    older = sample("1000", "W", at=AT - timedelta(seconds=10))
    load = MeteredLoad(charger.pk, "building", (older, sample("5520", "W")))  # 5520 W / (3 x 230 V) = 8 A
    assert len(building_readings_from_meters(loads=[load])) == 1
    assert phases(site) == (Decimal(8), Decimal(8), Decimal(8))
    assert BuildingReading.objects.get(site=site).measured_at == AT
    assert not BuildingReading.objects.filter(site=circuit).exists()


def test_metered_currents_per_phase_become_the_circuit_s_load_and_a_missing_phase_counts_as_the_largest() -> None:
    site = Site.objects.create(name="Depot", grid_limit_a=Decimal(63))
    circuit = Site.objects.create(name="Feeder", parent=site, grid_limit_a=Decimal(32))
    charger = ChargePointFactory(site=circuit)
    load = MeteredLoad(charger.pk, "cluster", (sample("7.5", "A", "L1"), sample("3.2", "A", "L2-N")))
    building_readings_from_meters(loads=[load])
    assert phases(circuit) == (Decimal("7.5"), Decimal("3.2"), Decimal("7.5"))


def test_a_cluster_value_of_a_charger_in_the_site_itself_and_a_value_in_no_current_unit_store_nothing() -> None:
    site = Site.objects.create(name="Depot", grid_limit_a=Decimal(63))
    charger = ChargePointFactory(site=site)
    nowhere = ChargePointFactory()
    loads = [
        MeteredLoad(charger.pk, "cluster", (sample("7.5", "A"),)),
        MeteredLoad(charger.pk, "building", (sample("50", "Percent"),)),
        MeteredLoad(nowhere.pk, "building", (sample("7.5", "A"),)),
    ]
    assert building_readings_from_meters(loads=loads) == []
    assert not BuildingReading.objects.exists()
