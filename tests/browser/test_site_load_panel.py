"""The load panel of a site's page in Chromium against a real daphne and Celery worker: a session starts at the
site's charger, the worker's round sends it a TxProfile, the charger accepts it, and the panel shows the share
and charts the round without a reload. Screenshots in tests/e2e/screenshots/: site-load-1280.png,
site-load-phone.png. Look at them."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from rfid.services import id_tag_create
from tests.browser.test_live_pages import (  # the live pages' browser, simulated charger and waits
    PHONE,
    SCREENSHOTS,
    assert_not_reloaded,
    charger,  # noqa: F401 (a fixture)
    log_in,
    new_page,
    no_horizontal_scroll,
    operator,
    text_becomes,
    wait_live,
)
from transactions.models import Site

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_site_page_shows_a_new_session_s_share_once_the_charger_accepted_it(
    browser,
    open_portal,
    celery_worker,
    charger,  # noqa: F811
) -> None:
    depot = Site.objects.create(name="Depot Süd", grid_limit_a=Decimal(16))
    charger.model.site = depot
    charger.model.save(update_fields=["site"])
    id_tag_create(id_tag="LOADWEB1")
    user = operator("load-op")
    user.user_permissions.add(Permission.objects.get(codename="view_site"))
    page = new_page(browser)
    log_in(page, open_portal, "load-op", f"/sites/{depot.pk}/")
    wait_live(page)
    assert page.text_content('#site-load [data-load="allocated"]').strip() == "0.0 A"

    tx = charger.start(1, "LOADWEB1")
    text_becomes(page, "#site-load table.records tbody tr td:nth-child(5)", "16.0 A")  # accepted by the charger
    assert page.text_content("#site-load table.records tbody tr td:nth-child(1)").strip() == f"#{tx}"
    assert page.text_content('#site-load [data-load="allocated"]').strip() == "16.0 A"
    # The same round sends the charger its safe default (it stood nowhere when it connected): TxProfiles only here.
    profiles = [
        payload["csChargingProfiles"]
        for _, action, payload in charger.sim.received_calls
        if action == "SetChargingProfile"
    ]
    assert [p["transactionId"] for p in profiles if p["chargingProfilePurpose"] == "TxProfile"][-1] == tx
    # The chart of the last hours read the history again with that refresh: the round of the start is in it.
    page.wait_for_selector('#site-load [data-load="history"] .uplot', timeout=10000)
    assert int(page.get_attribute('#site-load [data-load="history"]', "data-points")) >= 1
    assert "not metered" in page.text_content('#site-load [data-load="building"]')
    assert_not_reloaded(page)
    page.screenshot(path=SCREENSHOTS / "site-load-1280.png", full_page=True)
    page.set_viewport_size(PHONE)
    assert no_horizontal_scroll(page), "the site page with its load panel scrolls sideways on a phone"
    page.screenshot(path=SCREENSHOTS / "site-load-phone.png", full_page=True)
