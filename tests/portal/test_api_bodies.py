"""A body the server cannot parse is answered by the API in JSON, through the real server (daphne)."""

import pytest
import requests

from portal.services import api_key_create
from tests.factories import OperatorFactory

pytestmark = pytest.mark.django_db(transaction=True)

BOUNDARY = "c637e12e2b1a998d80d1b087531af51c"


@pytest.mark.parametrize("body", [f"--{BOUNDARY}--\r\n".encode(), b"not multipart at all"])
def test_a_broken_multipart_body_gets_a_json_400_not_a_bare_one(portal, body):
    _, key = api_key_create(user=OperatorFactory(is_superuser=True), name="bodies")

    response = requests.post(
        f"{portal.http_url}/api/v1/chargers/",
        data=body,
        headers={"Authorization": f"Token {key}", "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        timeout=10,
    )

    assert response.status_code in (400, 415)
    assert response.headers["Content-Type"] == "application/json"
    assert "detail" in response.json()
