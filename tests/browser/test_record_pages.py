"""The record pages in Chromium against a real daphne: a running session's page follows the charger's meter
values without a reload (power, energy, chart), fits a phone, and the sites list adds the readings up per site.

Screenshots land in tests/e2e/screenshots/ (ignored by git): transaction-1280.png, transaction-phone.png,
transactions-1280.png, sites-1280.png, site-phone.png. Look at them.
"""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from rfid.services import id_tag_create
from tests.browser.test_live_pages import (  # the live pages' browser, simulated charger and waits
    PHONE,
    SCREENSHOTS,
    Charger,
    assert_not_reloaded,
    browser,  # noqa: F401 (a fixture)
    charger,  # noqa: F401 (a fixture)
    log_in,
    new_page,
    no_horizontal_scroll,
    text_becomes,
    wait_live,
)
from tests.simulator import inch_sampled_values
from transactions.models import Site

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def iso(at: datetime) -> str:
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def meter_at(simulated: Charger, transaction_id: int, at: datetime, kwh: float, kw_per_phase: float) -> None:
    payload = {
        "connectorId": 1,
        "transactionId": transaction_id,
        "meterValue": [{"timestamp": iso(at), "sampledValue": inch_sampled_values(kwh, kw_per_phase)}],
    }
    simulated.run(simulated.sim.call("MeterValues", payload))


def session_at_a_depot(simulated: Charger) -> tuple[Site, int]:
    """A session of ten minutes so far at the charger of a site, with a reading every two minutes."""
    depot = Site.objects.create(name="Depot Nord", address="Industriestraße 4", grid_limit_a=63)
    simulated.model.site = depot
    simulated.model.save(update_fields=["site"])
    id_tag_create(id_tag="0A0B0C0D")
    now = datetime.now(UTC)
    simulated.run(simulated.sim.status(1, "Charging"))
    tx = simulated.run(simulated.sim.start(1, "0A0B0C0D", 1000, iso(now - timedelta(minutes=11))))["transactionId"]
    # Two minutes apart, the energy rising as the power says (10.8 kW for 2 min: 0.36 kWh).
    for step, (kwh, kw) in enumerate([(1.0, 3.6), (1.36, 3.7), (1.73, 3.7), (2.1, 3.5), (2.45, 2.9)]):
        meter_at(simulated, tx, now - timedelta(minutes=10 - 2 * step), kwh, kw)
    return depot, tx


def test_a_running_sessions_page_and_the_sites_list_follow_the_charger_live(browser, open_portal, charger) -> None:  # noqa: F811
    user = get_user_model().objects.create_user("records", password="correct-horse-battery-staple-9", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    depot, tx = session_at_a_depot(charger)

    page = new_page(browser)
    log_in(page, open_portal, "records", f"/transactions/{tx}/")
    wait_live(page)
    meter_at(charger, tx, datetime.now(UTC), 2.8, 2.45)
    text_becomes(page, f'[data-live="tx-power"][data-tx="{tx}"]', "7.4 kW")  # three phases of 2.45 kW
    text_becomes(page, f'[data-live="tx-energy"][data-tx="{tx}"]', "1.80 kWh")  # 2.8 kWh on the meter, from 1.0
    page.wait_for_function("document.querySelector('[data-chart=\"power\"]').getAttribute('data-points') === '6'")
    assert page.get_attribute('[data-chart="series"][data-series="current-series"]', "data-points") == "5"
    assert_not_reloaded(page)
    page.screenshot(path=SCREENSHOTS / "transaction-1280.png", full_page=True)
    page.set_viewport_size(PHONE)
    assert no_horizontal_scroll(page), "the transaction page scrolls sideways on a phone"
    page.screenshot(path=SCREENSHOTS / "transaction-phone.png", full_page=True)

    # The CSV as daphne serves it (ASGI: the rows come from an async iterator): every sampled value, in order.
    download = page.request.get(f"{open_portal.http_url}/transactions/{tx}/meter-values.csv")
    rows = list(csv.DictReader(io.StringIO(download.text())))
    assert download.ok and len(rows) == 6 * 10, len(rows)  # six frames of ten sampled values
    assert rows[0]["measurand"] == "Current.Import" and rows[-1]["timestamp"] >= rows[0]["timestamp"]

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{open_portal.http_url}/transactions/")
    page.screenshot(path=SCREENSHOTS / "transactions-1280.png", full_page=True)

    sites_pages_follow_the_charger(page, open_portal, charger, depot, tx)


def sites_pages_follow_the_charger(page, open_portal, simulated: Charger, depot: Site, tx: int) -> None:
    page.goto(f"{open_portal.http_url}/sites/")
    wait_live(page)
    text_becomes(page, f'[data-site-live="power"][data-site="{depot.pk}"]', "7.4 kW")
    meter_at(simulated, tx, datetime.now(UTC) + timedelta(seconds=1), 2.9, 3.0)
    text_becomes(page, f'[data-site-live="power"][data-site="{depot.pk}"]', "9.0 kW")
    assert page.text_content(f'[data-site-live="sessions"][data-site="{depot.pk}"]').strip() == "1"
    assert_not_reloaded(page)
    page.screenshot(path=SCREENSHOTS / "sites-1280.png", full_page=True)
    page.set_viewport_size(PHONE)
    assert no_horizontal_scroll(page), "the sites page scrolls sideways on a phone"

    page.goto(f"{open_portal.http_url}/sites/{depot.pk}/")
    wait_live(page)
    meter_at(simulated, tx, datetime.now(UTC) + timedelta(seconds=2), 3.0, 2.0)
    text_becomes(page, f'[data-site-live="power"][data-site="{depot.pk}"]', "6.0 kW")
    text_becomes(page, f'[data-live="power"][data-cp="{simulated.model.pk}"][data-connector="1"]', "6.0 kW")
    assert no_horizontal_scroll(page), "a site's page scrolls sideways on a phone"
    page.screenshot(path=SCREENSHOTS / "site-phone.png", full_page=True)
