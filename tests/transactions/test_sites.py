import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from chargers.models import ChargePoint
from transactions.models import Site

pytestmark = pytest.mark.django_db


def test_a_circuit_cannot_be_fed_from_one_of_its_own_circuits():
    depot = Site.objects.create(name="Depot")
    feeder = Site.objects.create(name="Feeder A", parent=depot)
    depot.parent = feeder
    with pytest.raises(ValidationError, match="fed from itself"):
        depot.clean()


def test_a_grid_limit_of_zero_is_refused_by_the_database():
    with pytest.raises(IntegrityError):
        Site.objects.create(name="Nowhere", grid_limit_a=0)


def test_deleting_a_site_leaves_its_chargers_without_one():
    depot = Site.objects.create(name="Depot", grid_limit_a=63)
    charger = ChargePoint.objects.create(charge_point_id="CP-SITE-1", site=depot)
    depot.delete()
    charger.refresh_from_db()
    assert charger.site is None
