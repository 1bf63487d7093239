"""The live pages in a real browser (Debian's Chromium through Playwright) against a real daphne, fed by a
simulated charger over a real websocket: values change without a reload, and each viewer sees only their own.

Screenshots land in tests/e2e/screenshots/ (ignored by git): look at them.
"""

import asyncio
import os
import signal
import threading
import uuid
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection

from chargers.events import ChargerOffline, ChargerOnline, ConnectorStatusChanged
from chargers.services import charge_point_register
from core import event_groups
from core import events as core_events
from rfid.services import id_tag_create
from tests.conftest import start_portal
from tests.simulator import SimulatedCharger, inch_sampled_values, now_iso

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple-9"
KEY = "0123456789abcdef0123456789abcdef01234567"
SCREENSHOTS = Path(__file__).resolve().parents[1] / "e2e" / "screenshots"
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 15_000


def new_page(browser, viewport: dict | None = None):
    context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900})
    return context.new_page()


class Charger:
    """A simulated charger on its own event loop in a thread (Playwright's sync API owns this thread's loop)."""

    def __init__(self, portal) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.model = charge_point_register(charge_point_id=f"WEB-{uuid.uuid4().hex[:6]}", auth_key=KEY)
        self.sim = SimulatedCharger(portal.ocpp_url, self.model.charge_point_id, password=KEY)
        self.run(self.sim.connect())
        self.run(self.sim.boot())

    def run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(20)

    def start(self, connector_id: int, id_tag: str, meter_start_wh: int = 0) -> int:
        self.run(self.sim.status(connector_id, "Charging"))
        return self.run(self.sim.start(connector_id, id_tag, meter_start_wh))["transactionId"]

    def meter(self, connector_id: int, transaction_id: int, kwh: float, kw_per_phase: float) -> None:
        values = inch_sampled_values(kwh, kw_per_phase)
        payload = {"timestamp": now_iso(), "sampledValue": values}
        self.run(
            self.sim.call(
                "MeterValues", {"connectorId": connector_id, "transactionId": transaction_id, "meterValue": [payload]}
            )
        )

    def close(self) -> None:
        self.run(self.sim.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def charger(open_portal):
    made = Charger(open_portal)
    yield made
    made.close()


def operator(name: str = "op"):
    user = get_user_model().objects.create_user(name, password=PASSWORD, is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=["view_chargepoint", "view_transaction"]))
    return user


def customer(name: str, tag: str):
    user = get_user_model().objects.create_user(name, password=PASSWORD)
    id_tag_create(id_tag=tag, user=user)
    return user


def log_in(page, portal, username: str, then: str) -> None:
    page.goto(f"{portal.http_url}/accounts/login/?next={then}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{portal.http_url}{then}")


def wait_live(page) -> None:
    page.wait_for_selector('#live-status[data-state="live"]', timeout=TIMEOUT_MS)
    page.evaluate("window.__notReloaded = true")


def text_becomes(page, selector: str, expected: str) -> None:
    page.wait_for_function(
        "([s, e]) => { const el = document.querySelector(s); return el && el.textContent.trim() === e; }",
        arg=[selector, expected],
        timeout=TIMEOUT_MS,
    )


def assert_not_reloaded(page) -> None:
    assert page.evaluate("window.__notReloaded === true"), "the page was reloaded"


def phone_screenshots(page, name: str) -> None:
    """What a phone shows first, and the whole page."""
    page.screenshot(path=SCREENSHOTS / f"{name}-phone.png")
    page.screenshot(path=SCREENSHOTS / f"{name}-phone-full.png", full_page=True)


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_an_operator_sees_a_chargers_power_change_without_a_reload(browser, open_portal, charger) -> None:
    operator()
    id_tag_create(id_tag="0A0B0C0D")
    tx = charger.start(1, "0A0B0C0D", meter_start_wh=1000)
    page = new_page(browser)
    log_in(page, open_portal, "op", "/")
    wait_live(page)
    power = f'[data-live="power"][data-cp="{charger.model.pk}"][data-connector="1"]'
    charger.meter(1, tx, 2.0, 2.45)
    text_becomes(page, power, "7.4 kW")  # three phases of 2.45 kW
    text_becomes(page, '[data-live="fleet-power"]', "7.4 kW")
    page.screenshot(path=SCREENSHOTS / "dashboard.png", full_page=True)

    page.goto(f"{open_portal.http_url}/chargers/{charger.model.charge_point_id}/")
    wait_live(page)
    points_before = int(page.get_attribute('[data-chart="power"]', "data-points"))
    charger.meter(1, tx, 2.5, 3.0)
    text_becomes(page, power, "9.0 kW")
    text_becomes(page, f'[data-live="tx-energy"][data-tx="{tx}"]', "1.50 kWh")  # 2.5 kWh on the meter, from 1.0
    page.wait_for_function(
        f"document.querySelector('[data-chart=\"power\"]').getAttribute('data-points') > {points_before}",
        timeout=TIMEOUT_MS,
    )
    assert_not_reloaded(page)
    page.screenshot(path=SCREENSHOTS / "charger-1280.png", full_page=True)

    page.set_viewport_size({"width": 375, "height": 812})
    assert no_horizontal_scroll(page), "the charger page scrolls sideways on a 375 px phone"
    page.set_viewport_size(PHONE)
    phone_screenshots(page, "charger")


def publish(charger: Charger, events: list) -> None:
    """Hand events to the bus as a service would after commit (here from the test, on the simulator's loop),
    whichever branch wires their publisher."""

    async def deliver() -> None:
        event_groups.groups_forget_cache()
        try:
            core_events.deliver(events)  # the in-process subscribers too, which may write (a fault clears power)
        finally:
            connection.close()  # this thread's own connection, or it outlives the test database

    charger.run(deliver())


def test_the_charger_page_and_dashboard_show_status_and_online_changes_without_a_reload(
    browser, open_portal, charger
) -> None:
    operator("watcher2")
    pk, ident = charger.model.pk, charger.model.charge_point_id
    charger.run(charger.sim.status(1, "Available"))
    page = new_page(browser)
    log_in(page, open_portal, "watcher2", f"/chargers/{ident}/")
    wait_live(page)
    publish(
        charger, [ConnectorStatusChanged(charge_point_pk=pk, charge_point_id=ident, connector_id=1, status="Faulted")]
    )
    text_becomes(page, f'[data-live="status"][data-cp="{pk}"][data-connector="1"]', "Faulted")
    publish(charger, [ChargerOffline(charge_point_pk=pk, charge_point_id=ident)])
    text_becomes(page, f'[data-live="online"][data-cp="{pk}"]', "offline")
    assert_not_reloaded(page)

    page.goto(f"{open_portal.http_url}/")
    wait_live(page)
    publish(charger, [ChargerOnline(charge_point_pk=pk, charge_point_id=ident)])
    text_becomes(page, f'[data-live="online"][data-cp="{pk}"]', "online")
    text_becomes(page, '[data-live="fleet-online"]', "1")
    publish(charger, [ChargerOffline(charge_point_pk=pk, charge_point_id=ident)])
    text_becomes(page, '[data-live="fleet-online"]', "0")
    assert_not_reloaded(page)


def test_a_customer_sees_their_own_session_live_and_nothing_of_others(browser, open_portal, charger) -> None:
    customer("alice", "AA11BB22")
    customer("bob", "CC33DD44")
    mine = charger.start(1, "AA11BB22", meter_start_wh=0)
    theirs = charger.start(2, "CC33DD44", meter_start_wh=0)
    page = new_page(browser, PHONE)
    log_in(page, open_portal, "alice", "/me/")
    wait_live(page)
    charger.meter(1, mine, 3.2, 2.3)
    text_becomes(page, f'[data-live="tx-power"][data-tx="{mine}"]', "6.9 kW")
    text_becomes(page, f'[data-live="tx-energy"][data-tx="{mine}"]', "3.20 kWh")
    charger.meter(1, mine, 3.4, 3.7)
    text_becomes(page, f'[data-live="tx-power"][data-tx="{mine}"]', "11.1 kW")
    assert page.locator(f'[data-tx="{theirs}"]').count() == 0
    assert_not_reloaded(page)
    assert no_horizontal_scroll(page)
    phone_screenshots(page, "me")

    assert page.goto(f"{open_portal.http_url}/me/sessions/{theirs}/").status == 404
    assert page.goto(f"{open_portal.http_url}/me/sessions/{mine}/").status == 200
    assert page.goto(f"{open_portal.http_url}/").status == 403
    assert page.goto(f"{open_portal.http_url}/chargers/{charger.model.charge_point_id}/").status == 403


def test_a_share_link_made_on_the_charger_page_works_without_a_login_and_a_tampered_one_does_not(
    browser, open_portal, charger
) -> None:
    operator("sharer")
    id_tag_create(id_tag="5E5E5E5E")
    tx = charger.start(1, "5E5E5E5E")
    operator_page = new_page(browser)
    log_in(operator_page, open_portal, "sharer", f"/chargers/{charger.model.charge_point_id}/")
    operator_page.click("[data-share-button]")
    operator_page.wait_for_function(
        "() => { const i = document.querySelector('[data-share-result] img'); return i && i.naturalWidth > 0; }",
        timeout=TIMEOUT_MS,
    )
    url = operator_page.input_value("[data-share-url]")
    assert url.startswith(f"{open_portal.http_url}/live/")
    operator_page.screenshot(path=SCREENSHOTS / "charger-share.png", full_page=True)

    page = new_page(browser, PHONE)  # a new browser context: no session cookie
    tampered = url[:-4] + ("abc/" if not url.endswith("abc/") else "xyz/")
    assert page.goto(tampered).status == 404
    assert page.goto(url).status == 200
    wait_live(page)
    charger.meter(1, tx, 0.8, 1.5)
    text_becomes(page, f'[data-live="tx-power"][data-tx="{tx}"]', "4.5 kW")
    charger.run(charger.sim.stop(tx, 900))
    text_becomes(page, f'[data-live="tx-state"][data-tx="{tx}"]', "finished")
    text_becomes(page, f'[data-live="tx-energy"][data-tx="{tx}"]', "0.90 kWh")
    assert_not_reloaded(page)
    phone_screenshots(page, "share")


def test_the_page_says_when_its_feed_is_lost_and_reconnects_by_itself(browser) -> None:
    # A server of this test's own, stopped and started again on the same port as a restart would.
    server = start_portal(OCPP_REGISTRATION="accept")
    charger = None
    try:
        operator("watcher")
        page = new_page(browser)
        log_in(page, server, "watcher", "/")
        wait_live(page)
        server.stop()
        page.wait_for_selector('#live-status[data-state="stale"]', timeout=TIMEOUT_MS)
        assert "retrying" in page.inner_text("#live-status")
        server = start_portal(OCPP_REGISTRATION="accept", port=server.port)
        page.wait_for_selector('#live-status[data-state="live"]', timeout=30_000)
        charger = Charger(server)
        id_tag_create(id_tag="0B0B0B0B")
        tx = charger.start(1, "0B0B0B0B")
        charger.meter(1, tx, 1.0, 1.0)
        text_becomes(page, '[data-live="fleet-power"]', "3.0 kW")
        assert_not_reloaded(page)
    finally:
        if charger is not None:
            charger.close()
        server.stop()


def test_a_feed_that_falls_silent_is_called_stale_and_comes_back_by_itself(browser) -> None:
    # Heartbeats every 0.5 s; a server stopped with SIGSTOP keeps the socket open and says nothing, as a hung
    # server or a dead network path would.
    server = start_portal(OCPP_REGISTRATION="accept", LIVE_HEARTBEAT_S="0.5")
    try:
        operator("quiet")
        page = new_page(browser)
        log_in(page, server, "quiet", "/")
        wait_live(page)
        os.kill(server.process.pid, signal.SIGSTOP)
        try:
            page.wait_for_selector('#live-status[data-state="stale"]', timeout=TIMEOUT_MS)
            assert "stale" in page.inner_text("#live-status")
        finally:
            os.kill(server.process.pid, signal.SIGCONT)
        page.wait_for_selector('#live-status[data-state="live"]', timeout=30_000)
        assert_not_reloaded(page)
    finally:
        server.stop()
