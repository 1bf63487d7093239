"""The /rfid/ pages in a real browser (Chromium through Playwright) against a real daphne server, at a desktop
and a phone width. Screenshots land in tests/e2e/screenshots/ (ignored by git): look at them."""

import os
import shutil
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from rfid.models import IdTag, IdTagChange
from rfid.services import id_tag_create
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "correct-horse-battery-staple-9"
SCREENSHOTS = Path(__file__).resolve().parents[1] / "e2e" / "screenshots"


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


def logged_in_page(browser, portal, width: int):
    page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    page.goto(f"{portal.http_url}/accounts/login/?next=/rfid/")
    page.fill("input[name=username]", "op")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{portal.http_url}/rfid/")
    return page


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_an_operator_blocks_selected_tags_on_the_list_at_desktop_and_phone_width(browser, portal) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    get_user_model().objects.create_superuser("op", "op@example.com", PASSWORD)
    anna = UserFactory(username="anna")
    group = id_tag_create(id_tag="FLEET7", label="Fleet 7")
    for n in range(60):
        id_tag_create(
            id_tag=f"04:A2:{n:02X}:7F", label=f"Van {n}", parent=group if n % 3 else None, user=anna if n % 2 else None
        )

    page = logged_in_page(browser, portal, 1280)
    rows = page.locator("table.rfid-tags tbody tr")
    assert rows.count() == 50
    page.screenshot(path=SCREENSHOTS / "rfid-list-desktop.png", full_page=True)
    page.check("input[name=ids][value='04A2007F']")
    page.check("input[name=ids][value='04A2017F']")
    page.select_option("select[name=set_status]", "Blocked")
    page.click("#bulk button[type=submit]")
    page.wait_for_selector(".messages .success")
    assert "2 tag(s) blocked" in page.locator(".messages").inner_text()
    assert sorted(IdTag.objects.filter(status="Blocked").values_list("id_tag", flat=True)) == ["04A2007F", "04A2017F"]
    assert IdTagChange.objects.filter(source="page", user__username="op").count() == 2
    page.click("text=Next →")
    page.wait_for_url("**after=*")
    assert page.locator("table.rfid-tags tbody tr").count() == 11

    # The same session at a phone's width (a second login would cost a password hash for nothing).
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(f"{portal.http_url}/rfid/")
    assert no_horizontal_scroll(page)
    page.screenshot(path=SCREENSHOTS / "rfid-list-phone.png", full_page=True)
    page.goto(f"{portal.http_url}/rfid/04A2017F/")
    assert no_horizontal_scroll(page)
    page.screenshot(path=SCREENSHOTS / "rfid-tag-phone.png", full_page=True)
