"""An operator makes an API key in a real browser, uses it against the real server, and revokes it."""

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from tests.browser.test_operator_pages import PASSWORD, log_in, page  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[1] / "e2e" / "screenshots"


def _api_status(portal, key: str) -> int:
    request = urllib.request.Request(f"{portal.http_url}/api/v1/sites/", headers={"Authorization": f"Token {key}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            json.load(response)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_an_operator_makes_a_key_sees_it_once_and_revokes_it(page, portal) -> None:  # noqa: F811
    get_user_model().objects.create_superuser("keys-op", "op@example.com", PASSWORD)
    log_in(page, portal, "keys-op")

    page.click("text=API keys")
    page.fill("input[name=name]", "billing")
    page.check("input[name=scopes][value=read]")
    page.click("button:has-text('Make the key')")
    key = page.input_value("#new-key")
    page.screenshot(path=SCREENSHOTS / "api-keys-made.png", full_page=True)

    assert len(key) == 40
    assert _api_status(portal, key) == 200
    page.goto(f"{portal.http_url}/account/api-keys/")
    assert key not in page.content()

    page.click(f"tr[data-key='{key[:8]}'] button:has-text('Revoke')")
    page.wait_for_selector("text=revoked")
    page.screenshot(path=SCREENSHOTS / "api-keys-revoked.png", full_page=True)
    assert _api_status(portal, key) == 401
