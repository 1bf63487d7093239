"""Swagger UI and ReDoc load nothing from outside the portal."""

import re

import pytest

from tests.factories import OperatorFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("page", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_the_docs_pages_name_no_address_outside_the_portal(client, page):
    client.force_login(OperatorFactory())

    response = client.get(page)

    assert response.status_code == 200
    html = response.content.decode()
    assert re.findall(r"https?://[^\s\"'<>]+", html) == []
    assert re.findall(r"(?:src|href)=[\"']//", html) == []  # protocol-relative addresses leave the host too
    for asset in re.findall(r'(?:src|href)="([^"]+)"', html):
        served = client.get(asset)
        assert served.status_code == 200, asset
        served.close()  # whitenoise streams the file: release it
