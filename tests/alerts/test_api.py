"""The alerts API: read, filter, acknowledge; who may."""

import pytest

from portal.services import api_key_create
from tests.alerts.test_pages import alerts, customer, operator, viewer  # noqa: F401 (alerts is a fixture)
from tests.factories import token_client

pytestmark = pytest.mark.django_db

LIST = "/api/v1/alerts/"


def test_an_operator_lists_alerts_newest_first_and_filters_the_open_ones_of_a_charger(alerts) -> None:  # noqa: F811
    fault, older = alerts
    api = token_client(operator())
    listed = api.get(LIST).json()["results"]
    assert [a["id"] for a in listed] == [fault.pk, older.pk]
    assert listed[0] | {"raised_at": None} == {
        "id": fault.pk,
        "kind": "connector_faulted",
        "message": "CP-PAGE connector 1 reports Faulted (GroundFailure)",
        "open": True,
        "charge_point_id": "CP-PAGE",
        "site": None,
        "connector_id": 1,
        "transaction": None,
        "raised_at": None,
        "cleared_at": None,
        "acknowledged_by": None,
        "acknowledged_at": None,
    }
    assert [a["id"] for a in api.get(LIST, {"open": "true", "charge_point": "CP-PAGE"}).json()["results"]] == [fault.pk]
    assert [a["id"] for a in api.get(LIST, {"open": "false"}).json()["results"]] == [older.pk]
    assert api.get(LIST, {"kind": "no-such-kind"}).status_code == 400


def test_acknowledging_names_the_operator_once_and_a_viewer_or_a_read_only_key_may_not(alerts) -> None:  # noqa: F811
    fault, _ = alerts
    url = f"{LIST}{fault.pk}/acknowledge/"
    assert token_client(viewer()).post(url).status_code == 403
    reader = operator(username="reader")
    _, read_key = api_key_create(user=reader, name="read", scopes=["read"])
    read_only = token_client()
    read_only.credentials(HTTP_AUTHORIZATION=f"Token {read_key}")
    assert read_only.post(url).status_code == 403
    first = token_client(operator(username="first")).post(url).json()
    assert (first["acknowledged_by"], first["open"]) == ("first", True)
    again = token_client(operator(username="second")).post(url).json()
    assert again["acknowledged_by"] == "first"


def test_customers_and_anonymous_callers_read_no_alert(alerts) -> None:  # noqa: F811
    assert token_client(customer()).get(LIST).status_code == 403
    assert token_client().get(LIST).status_code == 401
