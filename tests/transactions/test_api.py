"""REST API: /api/v1/transactions/ and their meter values."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tests.factories import (
    ChargePointFactory,
    MeterValueFactory,
    OperatorFactory,
    TransactionFactory,
    UserFactory,
    token_client,
)

pytestmark = pytest.mark.django_db

LIST = "/api/v1/transactions/"
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def operator():
    return token_client(OperatorFactory())


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [t["id"] for t in response.json()["results"]]


# --- Who may call -----------------------------------------------------------------------------------------


def urls_of(transaction) -> list[str]:
    return [LIST, f"{LIST}{transaction.pk}/", f"{LIST}{transaction.pk}/meter-values/"]


def test_anonymous_callers_get_401_everywhere():
    transaction = TransactionFactory()
    for url in urls_of(transaction):
        assert token_client().get(url).status_code == 401, url


def test_authenticated_non_staff_users_get_403_everywhere():
    transaction = TransactionFactory()
    client = token_client(UserFactory())
    for url in urls_of(transaction):
        assert client.get(url).status_code == 403, url


# --- Transactions -----------------------------------------------------------------------------------------


def test_a_stopped_transaction_shows_its_energy_and_stop(operator):
    transaction = TransactionFactory(
        charge_point=ChargePointFactory(charge_point_id="site.1:CP-7"),
        connector_id=2,
        meter_start_wh=1000,
        started_at=T0,
        meter_stop_wh=8400,
        stopped_at=T0 + timedelta(hours=2),
        stop_reason="EVDisconnected",
        stop_id_tag="77FD2AFA",
        charger_transaction_id=-1,
    )

    body = operator.get(f"{LIST}{transaction.pk}/").json()

    assert body["id"] == transaction.pk
    assert body["charge_point_id"] == "site.1:CP-7"
    assert body["connector_id"] == 2
    assert body["active"] is False
    assert body["energy_wh"] == 7400
    assert body["meter_start_wh"] == 1000
    assert body["meter_stop_wh"] == 8400
    assert body["started_at"] == "2026-03-01T08:00:00Z"
    assert body["stopped_at"] == "2026-03-01T10:00:00Z"
    assert body["stop_reason"] == "EVDisconnected"
    assert body["stop_id_tag"] == "77FD2AFA"
    assert body["charger_transaction_id"] == -1
    assert body["id_tag_status"] == "Accepted"


def test_a_running_transaction_has_no_energy_yet(operator):
    transaction = TransactionFactory()
    body = operator.get(f"{LIST}{transaction.pk}/").json()
    assert body["active"] is True
    assert body["energy_wh"] is None
    assert body["stopped_at"] is None


def test_an_unknown_transaction_is_a_json_404(operator):
    for url in (f"{LIST}999999/", f"{LIST}999999/meter-values/", f"{LIST}abc/"):
        response = operator.get(url)
        assert response.status_code == 404, url
        assert "detail" in response.json()


@pytest.fixture
def sessions():
    """Three sessions on two chargers: a stopped one, a running one, one on another charger."""
    garage = ChargePointFactory(charge_point_id="GARAGE")
    street = ChargePointFactory(charge_point_id="STREET")
    return {
        "old": TransactionFactory(
            charge_point=garage,
            connector_id=1,
            id_tag="aabbccdd",
            started_at=T0,
            stopped_at=T0 + timedelta(hours=1),
            meter_stop_wh=2000,
        ),
        "running": TransactionFactory(
            charge_point=garage, connector_id=2, id_tag="77FD2AFA", started_at=T0 + timedelta(days=1)
        ),
        "street": TransactionFactory(
            charge_point=street,
            connector_id=1,
            id_tag="77FD2AFA",
            started_at=T0 + timedelta(days=2),
            stopped_at=T0 + timedelta(days=2, hours=1),
            meter_stop_wh=3000,
        ),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["street", "running", "old"]),
        ("charge_point_id=GARAGE", ["running", "old"]),
        ("connector_id=2", ["running"]),
        ("id_tag=77FD2AFA", ["street", "running"]),
        ("id_tag=AABBCCDD", ["old"]),
        ("active=true", ["running"]),
        ("active=false", ["street", "old"]),
        ("started_after=2026-03-02T00:00:00Z", ["street", "running"]),
        ("started_before=2026-03-02T08:00:00Z", ["old"]),
        ("started_after=2026-03-01T12:00:00Z&started_before=2026-03-03T00:00:00Z", ["running"]),
        ("charge_point_id=GARAGE&active=false", ["old"]),
        ("ordering=started_at", ["old", "running", "street"]),
        ("charge_point_id=NOWHERE", []),
    ],
)
def test_the_list_filters_and_orders(operator, sessions, query, expected):
    assert ids(operator.get(f"{LIST}?{query}")) == [sessions[name].pk for name in expected]


def test_a_bad_filter_value_names_the_parameter(operator, sessions):
    response = operator.get(f"{LIST}?started_after=yesterday")
    assert response.status_code == 400
    assert "started_after" in response.json()


def test_transactions_cannot_be_written_through_the_api(operator, sessions):
    assert operator.post(LIST, {"connector_id": 1}, format="json").status_code == 405
    assert operator.delete(f"{LIST}{sessions['old'].pk}/").status_code == 405


# --- Meter values -----------------------------------------------------------------------------------------


def test_meter_values_are_listed_as_stored(operator):
    transaction = TransactionFactory()
    MeterValueFactory(
        transaction=transaction,
        timestamp=T0,
        measurand="Power.Active.Import",
        phase="L1",
        context="Sample.Periodic",
        location="Outlet",
        format="Raw",
        unit="kW",
        raw_value="3.7",
        value=Decimal("3700"),
        si_unit="W",
    )
    MeterValueFactory(transaction=TransactionFactory())  # another session's

    response = operator.get(f"{LIST}{transaction.pk}/meter-values/")

    assert response.status_code == 200
    body = response.json()
    assert len(body["results"]) == 1
    value = body["results"][0]
    assert value["measurand"] == "Power.Active.Import"
    assert value["raw_value"] == "3.7"
    assert value["unit"] == "kW"
    assert Decimal(value["value"]) == Decimal("3700")
    assert value["si_unit"] == "W"
    assert value["phase"] == "L1"
    assert value["context"] == "Sample.Periodic"
    assert value["location"] == "Outlet"
    assert value["timestamp"] == "2026-03-01T08:00:00Z"
    assert value["connector_id"] == transaction.connector_id


def test_meter_values_are_filtered_by_measurand_and_paginated(operator):
    transaction = TransactionFactory()
    for minute in range(60):
        for measurand in ("Energy.Active.Import.Register", "Power.Active.Import"):
            MeterValueFactory(transaction=transaction, timestamp=T0 + timedelta(minutes=minute), measurand=measurand)
    url = f"{LIST}{transaction.pk}/meter-values/"

    first = operator.get(f"{url}?measurand=Power.Active.Import").json()

    # Cursor pages (a long session holds thousands of samples): no count, a `next` link.
    assert "count" not in first
    assert len(first["results"]) == 50
    assert {v["measurand"] for v in first["results"]} == {"Power.Active.Import"}
    # Oldest first: a curve reads left to right.
    stamps = [v["timestamp"] for v in first["results"]]
    assert stamps == sorted(stamps)
    second = operator.get(first["next"]).json()
    assert len(second["results"]) == 10
    assert second["next"] is None
    assert stamps[-1] < second["results"][0]["timestamp"]
    assert len(operator.get(f"{url}?page_size=500").json()["results"]) == 120
