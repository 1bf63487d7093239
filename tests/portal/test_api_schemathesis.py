"""schemathesis against the running server's own schema: every operation, with generated valid and invalid
input, answers no 5xx, only status codes its schema documents, and bodies that match the schema.

A real daphne (the session's `portal`), a real database and Redis; an operator's API keys of every scope.
Each operation runs three ways: valid input, valid input at rows that exist (its path names a stored charger,
transaction, site...: else nearly every case stops at a 404 before its body is read), and invalid input.
Bounded to about a minute: a few examples each, no shrinking, no stateful phase (tests/portal/test_api_*.py
test the behaviour; this tests the contract). schemathesis's pytest plugin (`from_fixture`) does not run under
pytest 9, so the operations are walked here, each through hypothesis.
"""

import itertools
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

# Imported here, at collection, though the loader imports it itself: imported first inside the test, its modules
# were parsed by pytest's assertion rewriter while the test's server threads ran, and CPython 3.11.7's parser is
# not safe for that ("SystemError: AST constructor recursion depth mismatch", CPython gh-106905; seen once in CI).
from schemathesis.specs.openapi.schemas import OpenApiSchema  # noqa: F401

from portal.services import api_key_create
from tests.chargers.test_profiles import load_inch
from tests.factories import (
    ChargePointFactory,
    IdTagFactory,
    MeterValueFactory,
    OperatorFactory,
    TransactionFactory,
    UserFactory,
)
from transactions.sites.models import Site
from webhooks.services import webhook_create

pytestmark = pytest.mark.django_db(transaction=True)

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
# (mode, at stored rows, examples per operation)
FLAVOURS = [
    (GenerationMode.POSITIVE, False, 3),
    (GenerationMode.POSITIVE, True, 3),
    (GenerationMode.NEGATIVE, False, 2),
]
# Keys taken in turn: the per-key throttle (600/minute by default) would otherwise answer 429 to most cases,
# documented but testing nothing.
KEYS = 8


def _stored_rows() -> dict[str, dict[str, object]]:
    """Path parameters of rows that exist, by the path's first segment under /api/v1/."""
    charger = ChargePointFactory(charge_point_id="CP-1")
    transaction = TransactionFactory(charge_point=charger)
    MeterValueFactory(transaction=transaction)
    customer = UserFactory(username="customer")
    tag = IdTagFactory(id_tag="TAG1", user=customer)
    webhook, _ = webhook_create(owner=OperatorFactory(), url="http://127.0.0.1:9/", events=["meter_values"])
    return {
        "chargers": {"charge_point_id": charger.charge_point_id},
        "transactions": {"id": transaction.pk},
        "sites": {"id": Site.objects.create(name="Depot").pk},
        "customers": {"id": customer.pk},
        "id-tags": {"id_tag": tag.id_tag},
        "webhooks": {"id": webhook.pk},
        "charger-models": {"id": load_inch().pk},
    }


def _keys() -> Iterator[str]:
    operator = OperatorFactory(is_superuser=True)
    return itertools.cycle([api_key_create(user=operator, name=f"schemathesis-{n}")[1] for n in range(KEYS)])


def _failures_of(operation, flavour: tuple, *, base_url: str, keys: Iterator[str], rows: dict) -> list[str]:
    mode, stored, examples = flavour
    segment = operation.path.removeprefix("/api/v1/").split("/")[0]
    names = {parameter.name for parameter in operation.path_parameters}
    path_parameters = {k: v for k, v in rows.get(segment, {}).items() if k in names} if stored else {}
    if stored and not path_parameters:
        return []  # nothing stored to aim at: the first flavour covers it
    failures: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters or None))
    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        try:
            case.call_and_validate(
                base_url=base_url, headers={"Authorization": f"Token {next(keys)}"}, checks=CHECKS, timeout=10
            )
        except (Exception, FailureGroup) as error:  # collected: all are reported at the end
            failures.append(f"{operation.label} [{mode.value}{', stored' if stored else ''}]: {error}")

    try:
        run()
    except Unsatisfiable:
        # Invalid input for an operation without parameters or body: there is none to make.
        assert mode is GenerationMode.NEGATIVE, operation.label
    return failures


def test_every_operation_keeps_its_documented_contract(portal):
    rows = _stored_rows()
    keys = _keys()
    schema = schemathesis.openapi.from_url(f"{portal.http_url}/api/v1/schema/?format=json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40

    failures = [
        failure
        for operation in operations
        for flavour in FLAVOURS
        for failure in _failures_of(operation, flavour, base_url=portal.http_url, keys=keys, rows=rows)
    ]

    assert not failures, "\n\n".join(failures)
