"""Paging the REST API: cursors for the lists that grow without end, page numbers for the others."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from portal.pagination import PortalCursorPagination
from tests.factories import ChargePointFactory, OperatorFactory, TransactionFactory, token_client

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _api_views(patterns: list, prefix: str = "") -> list[tuple[str, type]]:
    found = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            found += _api_views(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and hasattr(pattern.callback, "cls"):
            found.append((prefix + str(pattern.pattern), pattern.callback.cls))
    return found


def test_every_cursor_list_is_ordered_by_fields_that_are_never_null():
    cursor_views = [
        (route, view)
        for route, view in _api_views(get_resolver().url_patterns)
        if getattr(view, "pagination_class", None) is PortalCursorPagination
    ]
    assert len(cursor_views) >= 4, cursor_views

    for route, view in cursor_views:
        model = view.serializer_class.Meta.model
        names = {name.lstrip("-") for name in [*view.ordering, *view.ordering_fields]}
        nullable = [name for name in names if model._meta.get_field(name).null]
        # The cursor holds the ordering field's value in the last row: a null there would break the next page.
        assert nullable == [], (route, nullable)


def test_a_cursor_walk_through_transactions_sees_each_once_even_when_one_arrives_meanwhile():
    client = token_client(OperatorFactory())
    charger = ChargePointFactory()
    made = [TransactionFactory(charge_point=charger, started_at=T0 + timedelta(minutes=m)).pk for m in range(5)]

    first = client.get("/api/v1/transactions/?page_size=2").json()
    # A newer session arrives while the client reads: it is at the head, not shifted into the next page.
    TransactionFactory(charge_point=charger, started_at=T0 + timedelta(hours=1))
    seen = [t["id"] for t in first["results"]]
    page = first
    while page["next"]:
        page = client.get(page["next"]).json()
        seen += [t["id"] for t in page["results"]]

    assert seen == list(reversed(made))
    assert "count" not in first


def test_a_forged_cursor_is_a_json_404():
    # "bz14" is base64 of "o=x": an offset that is not a number.
    response = token_client(OperatorFactory()).get("/api/v1/transactions/?cursor=bz14")

    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid cursor"}


def test_small_lists_have_page_numbers_a_count_and_a_page_size():
    client = token_client(OperatorFactory())
    for index in range(3):
        ChargePointFactory(charge_point_id=f"CP-{index}")

    body = client.get("/api/v1/chargers/?page_size=2").json()

    assert body["count"] == 3
    assert [c["charge_point_id"] for c in body["results"]] == ["CP-0", "CP-1"]
    assert body["next"].endswith("page=2&page_size=2")
    assert client.get("/api/v1/chargers/?page=9").json() == {"detail": "Invalid page."}
