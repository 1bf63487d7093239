"""An operator runs the fleet from a real browser (Debian's Chromium through Playwright) against a real daphne,
with simulated chargers over real websockets: accepting a pending charger (which is asked to boot again),
stopping a running session, the live log tail and state counts; a viewer sees no operation and a forged POST
gets 403. Screenshots of the dashboard, the list and a charger page at 1280 and 390 px land in
tests/e2e/screenshots/ (ignored by git): look at them.
"""

import asyncio
import threading
import time
import uuid

import pytest
from django.contrib.auth.models import Group

from chargers.commands.models import Command
from chargers.models import ChargePoint, RegistrationStatus
from chargers.services import charge_point_register
from portal.roles import VIEWERS_GROUP
from rfid.services import id_tag_create
from tests.browser.test_live_pages import (  # noqa: F401 (browser is a fixture)
    KEY,
    PASSWORD,
    PHONE,
    SCREENSHOTS,
    TIMEOUT_MS,
    Charger,
    assert_not_reloaded,
    browser,
    log_in,
    new_page,
    no_horizontal_scroll,
    text_becomes,
    wait_live,
)
from tests.factories import OperatorFactory
from tests.simulator import SimulatedCharger

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def full_operator(name: str):
    user = OperatorFactory(username=name)
    user.set_password(PASSWORD)
    user.save()
    return user


def until(check, timeout: float = TIMEOUT_MS / 1000) -> None:
    """Wait for something the browser does not show (what the simulated charger received)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


# What sticks out on the right, for the message of a failed check.
WIDER_THAN_THE_SCREEN = """() => [...document.querySelectorAll('body *')]
  .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .slice(0, 8).map(el => el.tagName + '.' + el.className + ' ' + Math.round(el.getBoundingClientRect().right))"""


def both_sizes(page, name: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=SCREENSHOTS / f"{name}-1280.png", full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=SCREENSHOTS / f"{name}-390.png", full_page=True)
    page.screenshot(path=SCREENSHOTS / f"{name}-390-top.png")  # what a phone shows first
    wide = page.evaluate(WIDER_THAN_THE_SCREEN)
    assert no_horizontal_scroll(page), f"the {name} page scrolls sideways on a 390 px phone: {wide}"
    page.set_viewport_size({"width": 1280, "height": 900})


class PendingCharger(Charger):
    """A charger waiting for an operator: it boots and is told Pending. (Registered as Pending rather than met
    as unknown on a `pending` server: this way the tests share the one server the other browser tests start.)"""

    def __init__(self, portal) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.ident = f"NEW-{uuid.uuid4().hex[:6]}"
        charge_point_register(charge_point_id=self.ident, auth_key=KEY, registration_status=RegistrationStatus.PENDING)
        self.sim = SimulatedCharger(portal.ocpp_url, self.ident, password=KEY)
        self.run(self.sim.connect())
        self.first_boot = self.run(self.sim.boot())


def received(sim: SimulatedCharger) -> list[tuple[str, dict]]:
    return [(action, payload) for _, action, payload in sim.received_calls]


def test_an_operator_accepts_a_pending_charger_which_is_asked_to_boot_again(browser, open_portal) -> None:  # noqa: F811
    full_operator("accepter")
    charger = PendingCharger(open_portal)
    try:
        assert charger.first_boot["status"] == "Pending"
        page = new_page(browser)
        log_in(page, open_portal, "accepter", "/")
        wait_live(page)
        page.wait_for_selector(f'[data-pending="{charger.ident}"]', timeout=TIMEOUT_MS)
        both_sizes(page, "dashboard")
        page.click(f'[data-pending="{charger.ident}"] button[type=submit]')
        page.wait_for_selector(".messages li.success", timeout=TIMEOUT_MS)
        until(lambda: ("TriggerMessage", {"requestedMessage": "BootNotification"}) in received(charger.sim))
        assert ChargePoint.objects.get(charge_point_id=charger.ident).registration_status == RegistrationStatus.ACCEPTED
        assert charger.run(charger.sim.boot())["status"] == "Accepted"  # the boot it was asked for
        command = Command.objects.get(charge_point__charge_point_id=charger.ident)
        assert (command.requested_via, command.requested_by.username) == ("web", "accepter")
        assert page.locator(f'[data-pending="{charger.ident}"]').count() == 0
    finally:
        charger.close()


@pytest.fixture
def charger(open_portal):
    made = Charger(open_portal)
    yield made
    made.close()


def test_an_operator_stops_a_running_session_and_the_page_shows_it_ended(browser, open_portal, charger) -> None:  # noqa: F811
    full_operator("stopper")
    id_tag_create(id_tag="5709AB12")
    tx = charger.start(1, "5709AB12", meter_start_wh=1000)
    charger.meter(1, tx, 3.0, 2.3)
    page = new_page(browser)
    log_in(page, open_portal, "stopper", "/chargers/")
    wait_live(page)
    pk = charger.model.pk
    text_becomes(page, f'[data-live="cp-state"][data-cp="{pk}"]', "charging")
    charger.meter(1, tx, 3.2, 2.5)
    text_becomes(page, f'[data-live="cp-power"][data-cp="{pk}"]', "7.5 kW")
    assert_not_reloaded(page)
    both_sizes(page, "charger-list")
    page.goto(f"{open_portal.http_url}/chargers/{charger.model.charge_point_id}/")
    wait_live(page)
    # The log tail and the phase charts follow the charger without a reload.
    charger.meter(1, tx, 3.5, 3.0)
    page.wait_for_function(
        "() => [...document.querySelectorAll('#log-tail li')].some(li => li.textContent.includes('MeterValues')"
        " && li.textContent.includes('3.500'))",
        timeout=TIMEOUT_MS,
    )
    page.wait_for_function(
        "() => Number(document.querySelector('[data-phase-chart=\"current_a\"]').getAttribute('data-points')) >= 6",
        timeout=TIMEOUT_MS,
    )
    assert_not_reloaded(page)
    both_sizes(page, "charger-page")

    page.click(f'[data-stop="{tx}"]')
    page.wait_for_selector(".messages li.success", timeout=TIMEOUT_MS)
    until(lambda: ("RemoteStopTransaction", {"transactionId": tx}) in received(charger.sim))
    wait_live(page)
    # The charger ends the session as a real one does after accepting the RemoteStop.
    charger.run(charger.sim.stop(tx, 3600, reason="Remote"))
    text_becomes(page, f'[data-live="tx-state"][data-tx="{tx}"]', "finished")
    text_becomes(page, f'[data-live="tx-energy"][data-tx="{tx}"]', "2.60 kWh")
    assert_not_reloaded(page)
    command = Command.objects.get(charge_point=charger.model, action="RemoteStopTransaction")
    assert command.requested_via == "web"


def test_a_viewer_sees_no_operation_and_a_forged_post_gets_403(browser, open_portal, charger) -> None:  # noqa: F811
    viewer = full_operator("looker")
    viewer.groups.add(Group.objects.get_or_create(name=VIEWERS_GROUP)[0])
    id_tag_create(id_tag="0FF1CE00")
    tx = charger.start(1, "0FF1CE00")
    page = new_page(browser)
    log_in(page, open_portal, "looker", f"/chargers/{charger.model.charge_point_id}/")
    wait_live(page)
    assert page.locator("[data-operation]").count() == 0
    assert page.locator("[data-stop]").count() == 0
    assert "read-only" in page.inner_text("main")
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    forged = page.request.post(
        f"{open_portal.http_url}/chargers/{charger.model.charge_point_id}/operations/RemoteStopTransaction/",
        form={"op-RemoteStopTransaction-transactionId": str(tx)},
        headers={"X-CSRFToken": token, "Referer": page.url},
    )
    assert forged.status == 403
    assert "CSRF" not in forged.text()  # refused for who they are, not for a missing token
    assert not Command.objects.filter(charge_point=charger.model).exists()
    assert not [a for _, a, _ in charger.sim.received_calls if a == "RemoteStopTransaction"]
