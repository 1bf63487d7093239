"""REST API: a transaction's meter values as CSV, and averaged per time bucket for charts."""

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tests.factories import MeterValueFactory, OperatorFactory, TransactionFactory, token_client

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)  # on the minute: 60 s buckets start here
POWER = "Power.Active.Import"


@pytest.fixture
def session():
    """Power at 0 s, 30 s and 90 s; energy at 0 s. The 30 s value could not be read on the 'L1' phase."""
    transaction = TransactionFactory()
    for seconds, watts in ((0, "1000"), (30, "3000"), (90, "5000")):
        MeterValueFactory(
            transaction=transaction,
            timestamp=T0 + timedelta(seconds=seconds),
            measurand=POWER,
            unit="W",
            si_unit="W",
            raw_value=watts,
            value=Decimal(watts),
        )
    MeterValueFactory(transaction=transaction, timestamp=T0, raw_value="1.5", unit="kWh", value=Decimal("1500"))
    MeterValueFactory(transaction=transaction, timestamp=T0, measurand=POWER, phase="L1", raw_value="x", value=None)
    return f"/api/v1/transactions/{transaction.pk}/meter-values/"


@pytest.fixture
def operator():
    return token_client(OperatorFactory())


def test_values_are_averaged_per_minute_for_a_chart(operator, session):
    body = operator.get(f"{session}?every=60s&measurand={POWER}").json()

    assert body["every_s"] == 60
    # The unreadable L1 value forms no series: a chart has nothing to draw from it.
    (series,) = body["series"]
    assert (series["measurand"], series["phase"], series["location"], series["unit"]) == (POWER, "", "Outlet", "W")
    assert series["points"] == [
        {"timestamp": "2026-03-01T08:00:00Z", "value": 2000.0, "min": 1000.0, "max": 3000.0, "samples": 2},
        {"timestamp": "2026-03-01T08:01:00Z", "value": 5000.0, "min": 5000.0, "max": 5000.0, "samples": 1},
    ]


def test_points_chooses_the_bucket_width_that_fits_the_session(operator, session):
    body = operator.get(f"{session}?points=2").json()

    # 91 s of samples in at most 2 buckets: 46 s wide, aligned on the epoch.
    assert body["every_s"] == 46
    by_measurand = {s["measurand"]: s for s in body["series"]}
    assert set(by_measurand) == {POWER, "Energy.Active.Import.Register"}
    assert sum(p["samples"] for p in by_measurand[POWER]["points"]) == 3
    assert len(by_measurand[POWER]["points"]) <= 3


def test_every_stored_value_downloads_as_csv_with_the_exact_digits_sent(operator, session):
    response = operator.get(f"{session}?format=csv")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 5
    energy = next(row for row in rows if row["measurand"] == "Energy.Active.Import.Register")
    assert (energy["raw_value"], energy["unit"], energy["value"], energy["si_unit"]) == (
        "1.5",
        "kWh",
        "1500.000000",
        "Wh",
    )
    assert energy["timestamp"] == "2026-03-01T08:00:00+00:00"


def test_averaged_values_download_as_csv_too(operator, session):
    response = operator.get(f"{session}?every=1m&measurand={POWER}", HTTP_ACCEPT="text/csv")

    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0] == "timestamp,measurand,phase,location,unit,value,min,max,samples"
    assert lines[1].startswith(f"2026-03-01T08:00:00+00:00,{POWER},,Outlet,W,2000")
    assert len(lines) == 3


@pytest.mark.parametrize(
    ("query", "field"),
    [("every=0s", "every"), ("every=fast", "every"), ("every=99999999h", "every"), ("points=0", "points")],
)
def test_a_bad_bucket_is_a_400_naming_the_field_in_json_even_when_csv_was_asked(operator, session, query, field):
    response = operator.get(f"{session}?{query}&format=csv")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert list(response.json()) == [field]


def test_every_and_points_together_are_refused(operator, session):
    response = operator.get(f"{session}?every=60&points=10")

    assert response.status_code == 400
    assert "points" in response.json()


def test_an_unknown_transaction_is_a_404_in_every_form(operator):
    for query in ("", "?format=csv", "?every=60s"):
        response = operator.get(f"/api/v1/transactions/999999/meter-values/{query}")
        assert (response.status_code, response.json()) == (404, {"detail": "No Transaction matches the given query."})
