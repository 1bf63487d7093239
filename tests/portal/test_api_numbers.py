"""Numbers in the REST API are JSON numbers (power, energy, meter values), in the answers and in the schema."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.factories import (
    ChargePointFactory,
    ConnectorFactory,
    MeterValueFactory,
    OperatorFactory,
    TransactionFactory,
    token_client,
)

pytestmark = pytest.mark.django_db


def test_power_and_energy_of_a_charger_are_json_numbers():
    charge_point = ChargePointFactory(charge_point_id="CP-N")
    ConnectorFactory(charge_point=charge_point, connector_id=1, power_w=Decimal("7345.5"), energy_wh=Decimal("12.25"))

    body = token_client(OperatorFactory()).get("/api/v1/chargers/CP-N/").json()

    assert body["live_power_w"] == 7345.5
    assert body["connectors"][0]["power_w"] == 7345.5
    assert body["connectors"][0]["energy_wh"] == 12.25


def test_a_meter_value_is_a_number_and_keeps_its_exact_digits_in_raw_value():
    transaction = TransactionFactory()
    MeterValueFactory(
        transaction=transaction,
        charge_point=transaction.charge_point,
        timestamp=datetime(2026, 3, 1, 8, tzinfo=UTC),
        raw_value="3.7001",
        unit="kW",
        value=Decimal("3700.1"),
    )

    body = token_client(OperatorFactory()).get(f"/api/v1/transactions/{transaction.pk}/meter-values/").json()

    (value,) = body["results"]
    assert value["value"] == 3700.1
    assert value["raw_value"] == "3.7001"


def _decimal_strings(node: object, where: str = "") -> list[str]:
    """Every place in a schema where a number would be sent as a string (DRF's default for Decimals)."""
    if isinstance(node, dict):
        found = [where] if node.get("type") == "string" and node.get("format") == "decimal" else []
        return found + [hit for key, child in node.items() for hit in _decimal_strings(child, f"{where}/{key}")]
    if isinstance(node, list):
        return [hit for index, child in enumerate(node) for hit in _decimal_strings(child, f"{where}/{index}")]
    return []


def test_no_endpoint_documents_a_number_as_a_string():
    schema = SchemaGenerator().get_schema(request=None, public=True)

    assert _decimal_strings(schema) == []
    power = schema["components"]["schemas"]["ChargePoint"]["properties"]["live_power_w"]
    assert power["type"] == "number"
