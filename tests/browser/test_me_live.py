"""/me/ in a real browser: a session begun on the customer's card after the page loaded appears without a reload.

Screenshots land in tests/e2e/screenshots/ (ignored by git): look at them.
"""

import pytest

from tests.browser.test_live_pages import (  # noqa: F401 - the fixtures `browser` and `charger` are used by name
    PHONE,
    SCREENSHOTS,
    TIMEOUT_MS,
    assert_not_reloaded,
    browser,
    charger,
    customer,
    log_in,
    new_page,
    no_horizontal_scroll,
    text_becomes,
    wait_live,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_session_begun_after_me_loaded_gets_its_card_and_live_power_without_a_reload(
    browser,  # noqa: F811
    open_portal,
    charger,  # noqa: F811
) -> None:
    customer("carol", "C0C0C0C0")
    customer("dave", "D0D0D0D0")
    page = new_page(browser, PHONE)
    log_in(page, open_portal, "carol", "/me/")
    wait_live(page)
    assert page.locator("#no-running").is_visible()
    theirs = charger.start(2, "D0D0D0D0", meter_start_wh=0)
    mine = charger.start(1, "C0C0C0C0", meter_start_wh=1000)
    page.wait_for_selector(f'[data-live="tx-power"][data-tx="{mine}"]', timeout=TIMEOUT_MS)
    assert not page.locator("#no-running").is_visible()
    # The page now watches the new session's feed: its readings arrive as for a card it was loaded with.
    page.wait_for_function(
        "pk => window.portalLive.feeds().indexOf('transaction:' + pk) >= 0", arg=mine, timeout=TIMEOUT_MS
    )
    page.wait_for_selector('#live-status[data-state="live"]', timeout=TIMEOUT_MS)
    charger.meter(1, mine, 4.0, 2.3)
    text_becomes(page, f'[data-live="tx-power"][data-tx="{mine}"]', "6.9 kW")
    text_becomes(page, f'[data-live="tx-energy"][data-tx="{mine}"]', "3.00 kWh")
    page.wait_for_function(
        "pk => Number(document.querySelector(`[data-series='power-series-${pk}']`).getAttribute('data-points')) >= 1",
        arg=mine,
        timeout=TIMEOUT_MS,
    )
    assert page.locator(f'[data-tx="{theirs}"]').count() == 0
    assert_not_reloaded(page)
    assert no_horizontal_scroll(page)
    page.screenshot(path=SCREENSHOTS / "me-new-session-phone.png", full_page=True)
