"""Time filters of the REST lists take any ISO 8601 offset, and refuse a time outside the calendar by name."""

from datetime import UTC, datetime
from urllib.parse import quote

import pytest

from tests.factories import OperatorFactory, TransactionFactory, token_client

pytestmark = pytest.mark.django_db


def test_a_time_with_an_offset_beyond_what_postgresql_takes_is_moved_to_utc():
    started = TransactionFactory(started_at=datetime(2026, 3, 1, 8, 0, tzinfo=UTC))
    client = token_client(OperatorFactory())

    # 2026-03-02T05:45+21:45 is 2026-03-01T08:00Z: the session started at or after it.
    response = client.get(f"/api/v1/transactions/?started_after={quote('2026-03-02T05:45:00+21:45')}")

    assert response.status_code == 200
    assert [t["id"] for t in response.json()["results"]] == [started.pk]


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/v1/transactions/?stopped_before=0001-01-01T00:00:00%2B14:00", "stopped_before"),
        ("/api/v1/commands/?created_after=9999-12-31T23:59:59-14:00", "created_after"),
        ("/api/v1/message-log/?since=0001-01-01T05:00:00%2B10:00", "since"),
    ],
)
def test_a_time_that_leaves_the_calendar_in_utc_is_a_400_naming_the_parameter(url, parameter):
    response = token_client(OperatorFactory()).get(url)

    assert response.status_code == 400
    assert list(response.json()) == [parameter]
