"""The building's load on a site (POST /api/v1/sites/<id>/load/building/) as the load loop takes it, stale readings,
and the history of the rounds (GET /api/v1/sites/<id>/load/history/). The commands are queued, not sent: the e2e
test (tests/e2e/test_site_load.py) runs a reading through the real worker to the simulated chargers."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import OperatorFactory, UserFactory, token_client
from tests.portal.test_api_scopes import key_client
from tests.transactions.records import viewer
from tests.transactions.test_load import session
from transactions.load.models import BuildingReading, LoadAllocation, LoadRound
from transactions.load.services import load_history_prune, site_load_balance
from transactions.models import Site

pytestmark = pytest.mark.django_db


def shares(site: Site) -> dict[int, Decimal]:
    return dict(LoadAllocation.objects.filter(site=site).values_list("transaction_id", "limit_a"))


def post_building(site: Site, body: dict, client=None):
    client = client or token_client(OperatorFactory())
    return client.post(f"/api/v1/sites/{site.pk}/load/building/", body, format="json")


def test_a_building_reading_lowers_the_shares_and_never_lets_them_pass_the_limit(
    django_capture_on_commit_callbacks,
) -> None:
    site = Site.objects.create(name="Depot", grid_limit_a=Decimal(40))
    one, two = session(site), session(site)
    site_load_balance(site=site)
    assert shares(site) == {one.pk: Decimal(20), two.pk: Decimal(20)}
    with django_capture_on_commit_callbacks() as queued:
        response = post_building(site, {"current_a": [16, 9.5, 12]})
    assert response.status_code == 202, response.content
    assert response.json()["current_a"] == [16.0, 9.5, 12.0] and response.json()["stale"] is False
    assert len(queued) == 1  # the round the reading brings (run by the worker: the e2e test)
    site_load_balance(site=site)
    # The worst phase binds: 40 A - 16 A on L1 leaves 24 A for two three-phase sessions.
    assert shares(site) == {one.pk: Decimal(12), two.pk: Decimal(12)}
    assert sum(shares(site).values()) + 16 <= 40


def test_a_building_power_in_kw_is_spread_evenly_over_the_three_phases() -> None:
    site = Site.objects.create(name="Depot", grid_limit_a=Decimal(32))
    one = session(site)
    assert post_building(site, {"power_kw": "13.8"}).json()["current_a"] == [20.0, 20.0, 20.0]  # 13.8 kW / 3 / 230 V
    site_load_balance(site=site)
    assert shares(site) == {one.pk: Decimal(12)}


def test_a_stale_reading_pauses_the_sessions_until_a_fresh_one_comes(settings) -> None:
    settings.LOAD_BUILDING_MAX_AGE_S = 60
    site = Site.objects.create(name="Depot", grid_limit_a=Decimal(40))
    one = session(site)
    old = timezone.now() - timedelta(seconds=61)
    assert post_building(site, {"current_a": [5, 5, 5], "measured_at": old.isoformat()}).status_code == 202
    site_load_balance(site=site)
    # Fail safe: a feed that died may hide a building that now takes everything; the car pauses, not the fuse.
    assert shares(site) == {one.pk: Decimal(0)}
    load = token_client(viewer()).get(f"/api/v1/sites/{site.pk}/load/").json()
    assert load["building"]["stale"] is True
    post_building(site, {"current_a": [5, 5, 5]})
    site_load_balance(site=site)
    assert shares(site) == {one.pk: Decimal(32)}  # 35 A of room, the charger's 32 A maximum


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"current_a": [10, 10]},
        {"current_a": [10, -1, 10]},
        {"current_a": [10, 10, 10], "power_kw": 3},
        {"power_kw": -2},
        {"current_a": ["a", 1, 1]},
        {"current_a": [1, 1, 1], "measured_at": "yesterday"},
        {"current_a": [1, 1, 1], "measured_at": "2999-01-01T00:00:00Z"},
    ],
)
def test_a_bad_building_reading_gets_a_clear_400_and_stores_nothing(body: dict) -> None:
    site = Site.objects.create(name="Depot", grid_limit_a=Decimal(40))
    response = post_building(site, body)
    assert response.status_code == 400 and response.json()
    assert not BuildingReading.objects.exists()


def test_building_readings_take_the_add_right_and_a_key_with_the_commands_scope() -> None:
    site = Site.objects.create(name="Depot", grid_limit_a=Decimal(40))
    body = {"current_a": [1, 1, 1]}
    assert post_building(site, body, token_client(viewer())).status_code == 403
    assert post_building(site, body, token_client(UserFactory())).status_code == 403  # a customer
    assert post_building(site, body, token_client()).status_code == 401
    assert post_building(site, body, key_client("read")).status_code == 403
    assert post_building(site, body, key_client("commands")).status_code == 202
    assert BuildingReading.objects.count() == 1
    assert token_client(OperatorFactory()).post("/api/v1/sites/999999/load/building/", body).status_code == 404


def test_the_history_keeps_a_row_when_a_figure_moves_and_filters_by_since() -> None:
    site = Site.objects.create(name="Depot", grid_limit_a=Decimal(40))
    session(site)
    site_load_balance(site=site)
    site_load_balance(site=site)  # nothing moved: no second row
    assert LoadRound.objects.filter(site=site).count() == 1
    post_building(site, {"current_a": [16, 4, 4]})
    site_load_balance(site=site)
    url = f"/api/v1/sites/{site.pk}/load/history/"
    rows = token_client(viewer()).get(url).json()
    assert [(r["limit_a"], r["allocated_a"], r["building_a"]) for r in rows] == [(40.0, 32.0, None), (40.0, 24.0, 16.0)]
    LoadRound.objects.filter(pk=LoadRound.objects.earliest("at").pk).update(at=timezone.now() - timedelta(hours=7))
    assert len(token_client(viewer()).get(url).json()) == 1  # the default: the last six hours
    since = (timezone.now() - timedelta(hours=8)).isoformat()
    assert len(token_client(viewer()).get(url, {"since": since}).json()) == 2
    bad = token_client(viewer()).get(url, {"since": "last week"})
    assert bad.status_code == 400 and "since" in bad.json()


def test_the_history_is_for_operators_and_viewers_only() -> None:
    site = Site.objects.create(name="Depot", grid_limit_a=Decimal(40))
    url = f"/api/v1/sites/{site.pk}/load/history/"
    assert token_client(viewer()).get(url).status_code == 200
    assert key_client("read").get(url).status_code == 200
    assert token_client(UserFactory()).get(url).status_code == 403
    assert token_client().get(url).status_code == 401
    assert token_client(OperatorFactory()).get("/api/v1/sites/999999/load/history/").status_code == 404


def test_rounds_and_readings_older_than_the_kept_days_are_pruned(settings) -> None:
    settings.LOAD_HISTORY_DAYS = 2
    site = Site.objects.create(name="Depot", grid_limit_a=Decimal(40))
    now = timezone.now()
    for age in (timedelta(days=3), timedelta(hours=1)):
        LoadRound.objects.create(site=site, at=now - age, limit_a=40, allocated_a=0)
        BuildingReading.objects.create(site=site, measured_at=now - age, l1_a=1, l2_a=1, l3_a=1)
    assert load_history_prune(now=now) == 2
    assert LoadRound.objects.count() == 1 and BuildingReading.objects.count() == 1
