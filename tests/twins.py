"""Raw SQL twins (rule 11): a test runs the ORM twin everywhere and the raw one where it runs in production
(PostgreSQL); `make test` runs the `twins` tests once more on SQLite when the suite ran on PostgreSQL."""

import pytest
from django.db import connection


def twins(orm, raw) -> list:
    """Parameters for a test of both twins: the raw one only on PostgreSQL."""
    return [
        pytest.param(orm, id="orm"),
        pytest.param(
            raw,
            id="sql",
            marks=pytest.mark.skipif(connection.vendor != "postgresql", reason="raw SQL twin: PostgreSQL only"),
        ),
    ]
