"""schemathesis against the running server's own schema: every operation, with generated valid and invalid
input, answers no 5xx, only status codes its schema documents, and bodies that match the schema.

A real daphne (the session's `portal`), a real database and Redis; an operator's API keys of every scope.
Bounded to about a minute: a few examples per operation and mode, no shrinking and no stateful phase
(tests/portal/test_api_*.py test the behaviour; this tests the contract). schemathesis's pytest plugin
(`from_fixture`) does not run under pytest 9, so the operations are walked here, each through hypothesis.
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

from portal.services import api_key_create
from tests.factories import ChargePointFactory, OperatorFactory, TransactionFactory

pytestmark = pytest.mark.django_db(transaction=True)

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
EXAMPLES = {GenerationMode.POSITIVE: 4, GenerationMode.NEGATIVE: 3}
# Keys taken in turn: the per-key throttle (600/minute by default) would otherwise answer 429 to most cases,
# documented but testing nothing.
KEYS = 8


def _keys() -> Iterator[str]:
    operator = OperatorFactory(is_superuser=True)
    return itertools.cycle([api_key_create(user=operator, name=f"schemathesis-{n}")[1] for n in range(KEYS)])


def _failures_of(operation, mode: GenerationMode, *, base_url: str, keys: Iterator[str]) -> list[str]:
    failures: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES[mode],
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
        except (Exception, FailureGroup) as error:  # noqa: BLE001 (collected: all are reported at the end)
            failures.append(f"{operation.label} [{mode.value}]: {error}")

    try:
        run()
    except Unsatisfiable:
        # Negative mode of an operation without parameters or body: there is no invalid input to make.
        assert mode is GenerationMode.NEGATIVE, operation.label
    return failures


def test_every_operation_keeps_its_documented_contract(portal):
    # Something to find: a charger with a session, so that lookups by id and charge point id hit real rows too.
    ChargePointFactory(charge_point_id="CP-1")
    TransactionFactory(pk=1)
    keys = _keys()
    schema = schemathesis.openapi.from_url(f"{portal.http_url}/api/v1/schema/?format=json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40

    failures = [
        failure
        for operation in operations
        for mode in EXAMPLES
        for failure in _failures_of(operation, mode, base_url=portal.http_url, keys=keys)
    ]

    assert failures == [], "\n\n".join(failures)
