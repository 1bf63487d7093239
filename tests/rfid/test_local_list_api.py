"""REST API of the local lists: `chargers/<charge point id>/local-list/` (read) and `…/local-list/sync/` (resync),
who may do which, and the charger page's panel."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.template import Context, Template
from rest_framework.test import APIClient

from chargers.models import ChargePoint, ChargerModel
from portal.services import api_key_create
from rfid.locallist.models import LocalList
from tests.factories import ChargePointFactory, OperatorFactory, StaffUserFactory, UserFactory, token_client

pytestmark = pytest.mark.django_db


def list_charger(charge_point_id: str = "CP:LIST.1") -> ChargePoint:
    profile = ChargerModel.objects.create(
        vendor="Acme", model="Lister", supported_messages={"ocpp16_json": ["SendLocalList", "ClearCache"]}
    )
    return ChargePointFactory(charge_point_id=charge_point_id, charger_model=profile)


def viewer():
    user = StaffUserFactory()
    user.groups.add(Group.objects.get_or_create(name="viewers")[0])
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    return user


def url(charger: ChargePoint, tail: str = "") -> str:
    return f"/api/v1/chargers/{charger.charge_point_id}/local-list/{tail}"


def test_a_charger_never_synced_shows_no_version_and_a_full_update_due() -> None:
    charger = list_charger()
    body = token_client(viewer()).get(url(charger)).json()
    assert body == {
        "charge_point_id": "CP:LIST.1",
        "supported": True,
        "version": None,
        "confirmed_version": None,
        "confirmed_at": None,
        "entries": 0,
        "pending": {"commands": 0, "entries": 0, "full": True},
        "problem": "",
    }


def test_a_viewer_reads_the_list_but_only_an_operator_with_the_commands_scope_resyncs_it() -> None:
    charger = list_charger()
    LocalList.objects.create(charge_point=charger, version=7, needs_full=False, failures=3, problem="Failed 3 times")
    assert token_client(viewer()).post(url(charger, "sync/")).status_code == 403
    operator = OperatorFactory()
    tags_only = APIClient()
    tags_only.credentials(
        HTTP_AUTHORIZATION=f"Token {api_key_create(user=operator, name='t', scopes=['read', 'tags'])[1]}"
    )
    assert tags_only.post(url(charger, "sync/")).status_code == 403

    answer = token_client(operator).post(url(charger, "sync/"))
    assert answer.status_code == 202
    assert answer.json()["pending"]["full"] is True
    local_list = LocalList.objects.get(charge_point=charger)
    assert (local_list.needs_full, local_list.failures, local_list.problem, local_list.version) == (True, 0, "", 7)


def test_customers_strangers_and_unknown_chargers_get_nothing() -> None:
    charger = list_charger()
    assert token_client(UserFactory()).get(url(charger)).status_code == 403
    assert token_client().get(url(charger)).status_code == 401
    assert token_client(OperatorFactory()).get("/api/v1/chargers/NOPE/local-list/").status_code == 404


def test_a_charger_whose_model_takes_no_list_cannot_be_resynced() -> None:
    charger = ChargePointFactory()
    answer = token_client(OperatorFactory()).post(url(charger, "sync/"))
    assert answer.status_code == 409
    assert "does not take SendLocalList" in answer.json()["charge_point_id"][0]
    assert not LocalList.objects.exists()


def test_the_panel_shows_the_figures_to_a_viewer_and_the_buttons_to_an_operator() -> None:
    charger = list_charger()
    LocalList.objects.create(charge_point=charger, version=4, confirmed_version=4, entries_count=1234, needs_full=False)
    page = Template("{% load local_lists %}{% local_list_panel charge_point %}")
    seen = page.render(Context({"charge_point": charger, "user": viewer()}))
    assert "1234" in seen and "v4" in seen and "in sync" in seen
    assert "ClearCache" not in seen
    acting = page.render(Context({"charge_point": charger, "user": OperatorFactory()}))
    assert "Send the whole list again" in acting and '"action": "ClearCache"' in acting
