"""The edges of /api/v1/: an unknown path answers a JSON 404 whatever the method (never a CSRF or HTML page),
and the API's documentation pages load nothing from the internet."""

import re

import pytest
from django.test import Client

from tests.factories import OperatorFactory

pytestmark = pytest.mark.django_db

METHODS = ["get", "post", "put", "patch", "delete"]


def request(client: Client, method: str, path: str):
    if method == "get":
        return client.get(path)
    return getattr(client, method)(path, data="{}", content_type="application/json")


@pytest.fixture
def browser() -> Client:
    """Checks CSRF as a real browser's requests are checked (the test client skips it by default)."""
    return Client(enforce_csrf_checks=True)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("path", ["/api/v1/nothing/", "/api/v1/nothing", "/api/v1/no/such/thing", "/api/v1/"])
def test_an_unknown_api_path_answers_a_json_404_whatever_the_method(browser, method, path):
    response = request(browser, method, path)

    assert response.status_code == 404, (method, path, response.status_code)
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize("method", METHODS)
def test_an_unknown_api_path_is_a_json_404_for_a_logged_in_browser_too(browser, method):
    browser.force_login(OperatorFactory())

    response = request(browser, method, "/api/v1/nothing/")

    assert (response.status_code, response["Content-Type"]) == (404, "application/json")


def test_a_read_of_a_known_list_without_its_slash_is_still_redirected(browser):
    response = browser.get("/api/v1/chargers?page=2")

    assert response.status_code == 301
    assert response["Location"] == "/api/v1/chargers/?page=2"


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_write_to_a_known_path_without_its_slash_is_a_json_404_that_names_the_path(browser, method):
    # A redirect would lose the body (and the method, with 301): the client is told where to send it instead.
    response = getattr(browser, method)("/api/v1/id-tags", data="{}", content_type="application/json")

    assert (response.status_code, response["Content-Type"]) == (404, "application/json")
    assert "/api/v1/id-tags/" in response.json()["detail"]


@pytest.mark.parametrize("page", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_the_docs_pages_load_nothing_from_outside_the_portal(client, page):
    client.force_login(OperatorFactory())

    html = client.get(page).content.decode()

    assert re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html, flags=re.IGNORECASE) == []
    for asset in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert asset.startswith("/"), asset
        served = client.get(asset)
        assert served.status_code == 200, asset
        served.close()


def test_swagger_ui_sends_the_schema_to_no_online_validator(client):
    html = client.get("/api/v1/docs/").content.decode()

    # Swagger UI's default validator badge is an image from validator.swagger.io that carries the schema's URL.
    assert '"validatorUrl": null' in html
