"""The site pages: live totals (its circuits counted in), a site's chargers, and operators creating and editing
sites and assigning chargers; bad input named, nothing lost."""

import inspect
import json
from decimal import Decimal

import pytest

from tests.factories import ChargePointFactory, ConnectorFactory, TransactionFactory
from tests.transactions.records import full_operator, viewer
from transactions.models import Site
from transactions.sites.services import SITE_FIELDS, site_save

pytestmark = pytest.mark.django_db


def charger(site: Site, power_w: str | None, online: bool = True):
    cp = ChargePointFactory(site=site, is_online=online)
    ConnectorFactory(charge_point=cp, connector_id=1, power_w=None if power_w is None else Decimal(power_w))
    return cp


def test_the_list_shows_each_sites_power_sessions_and_chargers_online_with_its_circuits(client) -> None:
    depot = Site.objects.create(name="Depot", grid_limit_a=63)
    feeder = Site.objects.create(name="Feeder A", parent=depot, grid_limit_kw=Decimal("22"))
    Site.objects.create(name="Empty lot")
    charger(depot, "7345")
    busy = charger(feeder, "3000")
    charger(feeder, None, online=False)
    TransactionFactory(charge_point=busy)
    client.force_login(viewer())
    page = client.get("/sites/").content.decode()
    assert f'data-site-live="power" data-site="{depot.pk}">10.3 kW<' in page
    assert f'data-site-live="power" data-site="{feeder.pk}">3.0 kW<' in page
    assert f'data-site-live="sessions" data-site="{depot.pk}">1<' in page
    assert f'data-site-live="online" data-site="{depot.pk}">2</span> / 3' in page
    assert f'data-site-live="online" data-site="{feeder.pk}">1</span> / 2' in page
    assert "63.0 A" in page and "22.00 kW" in page
    sites_of = json.loads(page.split('id="site-of-charger" type="application/json">')[1].split("</script>")[0])
    assert sorted(sites_of[str(busy.pk)]) == sorted([depot.pk, feeder.pk])
    assert 'id="live-feeds" type="application/json">["fleet"]' in page and "js/records-sites.js" in page


def test_a_sites_page_lists_its_chargers_circuits_and_grid_limit_and_follows_them_live(client) -> None:
    depot = Site.objects.create(name="Depot", grid_limit_a=Decimal("32"))
    feeder = Site.objects.create(name="Feeder A", parent=depot)
    here, there = charger(depot, "1000"), charger(feeder, "2000")
    client.force_login(viewer())
    page = client.get(f"/sites/{depot.pk}/").content.decode()
    assert here.charge_point_id in page and there.charge_point_id in page and "Feeder A" in page
    assert "32.0 A per phase" in page and ">3.0 kW<" in page
    feeds = json.loads(page.split('id="live-feeds" type="application/json">')[1].split("</script>")[0])
    assert sorted(feeds) == sorted([f"charger:{here.pk}", f"charger:{there.pk}"])
    assert "/edit/" not in page  # a viewer changes nothing


def test_an_operator_creates_a_site_and_moves_chargers_to_it(client) -> None:
    old = Site.objects.create(name="Old yard")
    moving, staying = ChargePointFactory(site=old), ChargePointFactory(site=old)
    client.force_login(full_operator())
    response = client.post(
        "/sites/new/",
        {
            "name": "New yard",
            "address": "Main St 1",
            "grid_limit_a": "40",
            "nominal_voltage_v": "230",
            "charge_points": [moving.pk],
        },
    )
    site = Site.objects.get(name="New yard")
    assert response["Location"] == f"/sites/{site.pk}/"
    assert list(site.charge_points.all()) == [moving]
    assert list(old.charge_points.all()) == [staying]
    response = client.post(
        f"/sites/{site.pk}/edit/", {"name": "New yard", "nominal_voltage_v": "230", "charge_points": [staying.pk]}
    )
    assert response.status_code == 302
    assert list(site.charge_points.all()) == [staying]
    moving.refresh_from_db()
    assert moving.site is None and Site.objects.get(pk=site.pk).grid_limit_a is None


def test_bad_site_input_is_named_and_nothing_is_saved(client) -> None:
    Site.objects.create(name="Depot")
    cp = ChargePointFactory()
    client.force_login(full_operator())
    taken = client.post("/sites/new/", {"name": "Depot", "nominal_voltage_v": "230", "charge_points": [cp.pk]})
    assert taken.status_code == 400 and "A site named &#x27;Depot&#x27; exists already." in taken.content.decode()
    zero = client.post("/sites/new/", {"name": "Zero", "grid_limit_a": "0", "nominal_voltage_v": "230"})
    assert zero.status_code == 400 and 'role="alert"' in zero.content.decode()
    assert list(Site.objects.values_list("name", flat=True)) == ["Depot"]
    cp.refresh_from_db()
    assert cp.site is None


def test_a_site_cannot_be_made_a_circuit_of_its_own_circuit(client) -> None:
    depot = Site.objects.create(name="Depot")
    feeder = Site.objects.create(name="Feeder", parent=depot)
    client.force_login(full_operator())
    response = client.post(
        f"/sites/{depot.pk}/edit/", {"name": "Depot", "nominal_voltage_v": "230", "parent": feeder.pk}
    )
    assert response.status_code == 400 and "fed from itself" in response.content.decode()
    depot.refresh_from_db()
    assert depot.parent is None


def test_the_form_and_the_service_name_the_same_site_fields() -> None:
    keywords = set(inspect.signature(site_save).parameters) - {"site", "charge_points"}
    assert keywords == set(SITE_FIELDS)
