"""An operator in a real browser (Debian's Chromium through Playwright) against a real daphne server.

Run in their own pytest process (`make test` does): Playwright's sync API upsets the event loop of async tests.
"""

import uuid

import pytest
from django.contrib.auth import get_user_model

from chargers.models import Command
from chargers.services import charge_point_register

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple-9"


@pytest.fixture
def page(browser):
    context = browser.new_context()
    yield context.new_page()
    context.close()


def log_in(page, portal, username: str) -> None:
    page.goto(f"{portal.http_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{portal.http_url}/")


def test_the_first_visit_creates_the_first_operator(page, portal) -> None:
    get_user_model().objects.all().delete()
    page.goto(f"{portal.http_url}/")
    page.wait_for_url("**/setup/")
    page.fill("input[name=username]", "first-operator")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{portal.http_url}/")
    assert page.locator("h1").inner_text() == "Dashboard"
    assert get_user_model().objects.get(username="first-operator").is_superuser


def test_an_operator_sends_a_reset_from_the_admin_form(page, portal) -> None:
    get_user_model().objects.create_superuser("op", "op@example.com", PASSWORD)
    charger = charge_point_register(charge_point_id=f"WEB-{uuid.uuid4().hex[:6]}")
    log_in(page, portal, "op")
    page.goto(f"{portal.http_url}/admin/chargers/chargepoint/send-command/?ids={charger.pk}")
    page.select_option("select[name=action]", "Reset")
    page.wait_for_selector("select[name=type]")
    page.select_option("select[name=type]", "Hard")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/chargers/command/**")
    command = Command.objects.get(charge_point=charger)
    assert (command.action, command.payload, command.requested_via) == ("Reset", {"type": "Hard"}, "admin")


def test_a_visitor_without_an_account_is_sent_to_the_login_page(page, portal) -> None:
    get_user_model().objects.create_superuser("op2", "op2@example.com", PASSWORD)
    page.goto(f"{portal.http_url}/")
    page.wait_for_url("**/accounts/login/**")
    assert page.locator("input[name=password]").count() == 1
