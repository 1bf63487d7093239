"""A command payload that is not a JSON object is a 400 naming `payload`, and nothing is queued (schemathesis
found these as server errors)."""

import pytest

from chargers.models import Command, CommandBatch
from tests.factories import ChargePointFactory, OperatorFactory, token_client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("payload", [[None, None], "Hard", 7])
def test_a_payload_that_is_not_an_object_is_refused_for_one_charger_and_for_many(payload):
    ChargePointFactory(charge_point_id="CP-1")
    client = token_client(OperatorFactory())

    one = client.post("/api/v1/chargers/CP-1/commands/", {"action": "Reset", "payload": payload}, format="json")
    many = client.post(
        "/api/v1/commands/bulk/",
        {"action": "Reset", "payload": payload, "target": {"charge_point_ids": ["CP-1"]}},
        format="json",
    )

    for response in (one, many):
        assert response.status_code == 400
        assert response.json() == {"payload": ["must be a JSON object"]}
    assert not Command.objects.exists()
    assert not CommandBatch.objects.exists()
