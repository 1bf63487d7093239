"""REST API: sites (CRUD) with their grid limit, circuits and chargers."""

import pytest

from chargers.models import ChargePoint
from portal.services import api_key_create
from tests.factories import ChargePointFactory, OperatorFactory, token_client
from transactions.sites.models import Site

pytestmark = pytest.mark.django_db

LIST = "/api/v1/sites/"


@pytest.fixture
def operator():
    return token_client(OperatorFactory())


def test_a_site_is_created_with_its_limit_and_chargers_and_read_back(operator):
    ChargePointFactory(charge_point_id="CP-1")
    ChargePointFactory(charge_point_id="CP-2")

    created = operator.post(
        LIST,
        {"name": "Depot", "address": "Main St 1", "grid_limit_a": 63, "charge_point_ids": ["CP-2", "CP-1"]},
        format="json",
    )

    assert created.status_code == 201, created.content
    body = created.json()
    assert body | {"id": 0, "created_at": ""} == {
        "id": 0,
        "name": "Depot",
        "address": "Main St 1",
        "parent": None,
        "grid_limit_a": 63.0,
        "grid_limit_kw": None,
        "nominal_voltage_v": 230,
        "timezone": "",
        "charge_point_ids": ["CP-1", "CP-2"],
        "created_at": "",
    }
    assert operator.get(f"{LIST}{body['id']}/").json() == body
    assert set(ChargePoint.objects.filter(site_id=body["id"]).values_list("charge_point_id", flat=True)) == {
        "CP-1",
        "CP-2",
    }


def test_a_circuit_is_changed_by_patch_and_its_chargers_move(operator):
    depot = Site.objects.create(name="Depot")
    feeder = Site.objects.create(name="Feeder A", parent=depot)
    ChargePointFactory(charge_point_id="CP-1", site=feeder)
    ChargePointFactory(charge_point_id="CP-2")

    response = operator.patch(
        f"{LIST}{feeder.pk}/", {"grid_limit_kw": "22.5", "charge_point_ids": ["CP-2"]}, format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["name"], body["parent"], body["grid_limit_kw"]) == ("Feeder A", depot.pk, 22.5)
    assert body["charge_point_ids"] == ["CP-2"]
    assert ChargePoint.objects.get(charge_point_id="CP-1").site is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Depot"}, "name"),  # exists already
        ({"name": "X", "grid_limit_a": 0}, "grid_limit_a"),
        ({"name": "X", "grid_limit_kw": "1e20"}, "grid_limit_kw"),
        ({"name": "X", "charge_point_ids": ["NOPE"]}, "charge_point_ids"),
        ({"name": "X", "timezone": "Mars/Olympus"}, "timezone"),
        ({"name": "X", "parent": 999999}, "parent"),
        ({"address": "no name"}, "name"),
    ],
)
def test_a_bad_site_is_a_400_naming_the_field_and_changes_nothing(operator, body, field):
    Site.objects.create(name="Depot")

    response = operator.post(LIST, body, format="json")

    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert Site.objects.count() == 1


def test_a_site_cannot_be_fed_from_its_own_circuit(operator):
    depot = Site.objects.create(name="Depot")
    feeder = Site.objects.create(name="Feeder", parent=depot)

    response = operator.patch(f"{LIST}{depot.pk}/", {"parent": feeder.pk}, format="json")

    assert response.status_code == 400
    assert "parent" in response.json()


def test_deleting_a_site_keeps_its_chargers(operator):
    depot = Site.objects.create(name="Depot")
    ChargePointFactory(charge_point_id="CP-1", site=depot)

    assert operator.delete(f"{LIST}{depot.pk}/").status_code == 204
    assert ChargePoint.objects.get(charge_point_id="CP-1").site is None


def test_writing_sites_takes_the_admin_scope():
    _, key = api_key_create(user=OperatorFactory(), name="reader", scopes=["read"])
    reader = token_client()
    reader.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    assert reader.get(LIST).status_code == 200
    assert reader.post(LIST, {"name": "Depot"}, format="json").status_code == 403
