"""Every error the REST API answers is documented on every operation, with the body it really has."""

import jsonschema
import pytest
from drf_spectacular.generators import SchemaGenerator

from portal.openapi import ERRORS
from tests.factories import OperatorFactory, UserFactory, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema: dict):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield f"{method.upper()} {path}", operation


def test_every_operation_documents_its_errors_with_their_bodies(schema):
    operations = dict(_operations(schema))
    assert len(operations) > 40

    for name, operation in operations.items():
        responses = operation["responses"]
        expected = {"401", "403", "404", "429"}
        if "requestBody" in operation or any(p["in"] == "query" for p in operation.get("parameters", [])):
            expected.add("400")
        assert expected <= set(responses), (name, sorted(responses))
        for code in set(responses) & set(ERRORS):
            assert "application/json" in responses[code]["content"], (name, code)
    assert "Retry-After" in operations["GET /api/v1/chargers/"]["responses"]["429"]["headers"]


def _body_schema(schema: dict, path: str, method: str, code: str) -> dict:
    reference = schema["paths"][path][method]["responses"][code]["content"]["application/json"]["schema"]
    return {**reference, "components": schema["components"]}


@pytest.mark.parametrize(
    ("who", "method", "url", "body", "path", "code"),
    [
        ("operator", "post", "/api/v1/chargers/", {"charge_point_id": "a/b"}, "/api/v1/chargers/", "400"),
        ("operator", "get", "/api/v1/chargers/?page=99", None, "/api/v1/chargers/", "404"),
        ("operator", "get", "/api/v1/transactions/?cursor=bz14", None, "/api/v1/transactions/", "404"),
        ("nobody", "get", "/api/v1/sites/", None, "/api/v1/sites/", "401"),
        ("customer", "get", "/api/v1/sites/", None, "/api/v1/sites/", "403"),
        ("operator", "get", "/api/v1/sites/123456/", None, "/api/v1/sites/{id}/", "404"),
    ],
)
def test_real_errors_have_the_documented_body(schema, who, method, url, body, path, code):
    client = {"operator": token_client(OperatorFactory()), "customer": token_client(UserFactory())}.get(who)
    client = client or token_client()

    response = getattr(client, method)(url, body, format="json") if body else getattr(client, method)(url)

    assert str(response.status_code) == code, response.content
    jsonschema.validate(response.json(), _body_schema(schema, path, method, code))


def test_a_throttled_key_gets_the_documented_429(schema, settings):
    settings.API_KEY_THROTTLE_RATE = "1/minute"
    client = token_client(OperatorFactory())
    client.get("/api/v1/sites/")

    response = client.get("/api/v1/sites/")

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    jsonschema.validate(response.json(), _body_schema(schema, "/api/v1/sites/", "get", "429"))
