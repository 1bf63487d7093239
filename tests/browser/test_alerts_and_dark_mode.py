"""The alerts page and the pages' polish in a real browser (Debian's Chromium through Playwright) against a real
daphne: a raised alert appears without a reload, times are in the viewer's timezone, the skip link is the first
stop of the keyboard, and with the system in dark mode the pages are dark, at 1280 px and on a 390 px phone.

Screenshots land in tests/e2e/screenshots/ (ignored by git): look at them.
"""

import os
import shutil
import threading
import uuid
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from alerts.models import AlertKind
from alerts.services import alert_raise
from chargers.services import charge_point_register
from core import event_groups

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "correct-horse-battery-staple-9"
SCREENSHOTS = Path(__file__).resolve().parents[1] / "e2e" / "screenshots"
TIMEOUT_MS = 15_000
DARK_BACKGROUND = "rgb(20, 23, 28)"  # --bg of portal.css in dark mode


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; the ORM calls between page actions
    # are plain sync calls, so allow them here only.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
        )
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def raised_elsewhere(**fields) -> int:
    """Raise an alert as a charger's process would: in a thread of its own (this one's event loop belongs to
    Playwright), its events published to the browsers' groups through the real Redis."""
    found: list[int] = []

    def run() -> None:
        event_groups.groups_forget_cache()
        try:
            found.append(alert_raise(**fields).pk)
        finally:
            connection.close()  # this thread's own connection, or it outlives the test database

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(20)
    return found[0]


def log_in(page, portal, username: str) -> None:
    page.goto(f"{portal.http_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{portal.http_url}/")


def test_a_raised_alert_appears_live_and_the_pages_are_dark_at_desktop_and_phone_sizes(browser, portal) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    get_user_model().objects.create_superuser("alerts-op", "ops@example.com", PASSWORD)
    charger = charge_point_register(charge_point_id=f"ALRT-{uuid.uuid4().hex[:6]}")
    raised_elsewhere(
        kind=AlertKind.CHARGER_OFFLINE,
        subject=f"cp:{charger.pk}",
        message=f"{charger.charge_point_id} is offline",
        charge_point_pk=charger.pk,
        charge_point_ident=charger.charge_point_id,
    )
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, color_scheme="dark", timezone_id="Asia/Tokyo"
    )
    page = context.new_page()
    log_in(page, portal, "alerts-op")

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.evaluate("document.activeElement.blur()")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == DARK_BACKGROUND
    assert page.get_attribute('nav[aria-label="Main"] a[href="/"]', "aria-current") == "page"
    assert page.get_attribute(f'[data-live="online"][data-cp="{charger.pk}"]', "aria-live") == "polite"
    page.screenshot(path=SCREENSHOTS / "dashboard-dark-1280.png", full_page=True)

    page.goto(f"{portal.http_url}/alerts/")
    page.wait_for_selector('#live-status[data-state="live"]', timeout=TIMEOUT_MS)
    page.evaluate("window.__notReloaded = true")
    fault = raised_elsewhere(
        kind=AlertKind.CONNECTOR_FAULTED,
        subject=f"cp:{charger.pk}:c:1",
        message=f"{charger.charge_point_id} connector 1 reports Faulted (GroundFailure)",
        charge_point_pk=charger.pk,
        charge_point_ident=charger.charge_point_id,
        connector_id=1,
    )
    row = f'table[data-alerts="open"] tr[data-alert="{fault}"]'
    page.wait_for_selector(row, timeout=TIMEOUT_MS)
    assert page.evaluate("window.__notReloaded === true"), "the page was reloaded"
    assert page.inner_text("[data-alerts-count]") == "2"
    assert "GroundFailure" in page.inner_text(row) and page.locator(f"{row} button").inner_text() == "Acknowledge"
    # Tokyo is UTC+9 all year: the server's UTC times are shown in the viewer's zone, the live row's too.
    assert page.locator("time[data-local]").count() == 0
    assert all("GMT+9" in text for text in page.locator("table[data-alerts] time").all_inner_texts())
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == DARK_BACKGROUND
    page.screenshot(path=SCREENSHOTS / "alerts-dark-1280.png", full_page=True)
    page.emulate_media(color_scheme="light")  # the system switches back: the page follows without a reload
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(245, 246, 248)"
    page.screenshot(path=SCREENSHOTS / "alerts-light-1280.png", full_page=True)
    page.emulate_media(color_scheme="dark")

    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert page.locator(f"{row} button").is_visible()  # the cards of a phone keep every column in view
    page.screenshot(path=SCREENSHOTS / "alerts-dark-phone.png", full_page=True)
    page.goto(f"{portal.http_url}/")
    page.screenshot(path=SCREENSHOTS / "dashboard-dark-phone.png", full_page=True)
    page.goto(f"{portal.http_url}/alerts/subscription/")
    page.screenshot(path=SCREENSHOTS / "alerts-subscription-dark-phone.png", full_page=True)
    context.close()
