"""An operator reads a charger's charging profiles in a real browser: the composite schedule drawn as a step chart
(uPlot), then a profile sent from the form and listed with its limits in kW."""

import uuid
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from chargers.charging.services import composite_request
from chargers.models import Command, CommandStatus, RegistrationStatus
from chargers.ocpp.results import request_problem
from chargers.services import charge_point_register
from tests.browser.test_operator_pages import PASSWORD, log_in, page  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parent.parent / "e2e" / "screenshots"
SCHEDULE = {
    "duration": 7200,
    "chargingRateUnit": "W",
    "chargingSchedulePeriod": [
        {"startPeriod": 0, "limit": 11000.0},
        {"startPeriod": 1800, "limit": 7400.0},
        {"startPeriod": 5400, "limit": 3700.0},
    ],
}


def test_an_operator_sees_the_composite_chart_and_sends_a_profile(page, portal) -> None:  # noqa: F811
    get_user_model().objects.create_superuser("cp-op", "op@example.com", PASSWORD)
    charger = charge_point_register(charge_point_id=f"PROF-WEB-{uuid.uuid4().hex[:6]}")
    type(charger).objects.filter(pk=charger.pk).update(registration_status=RegistrationStatus.ACCEPTED)
    charger.refresh_from_db()
    asked = composite_request(charge_point=charger, connector_id=0, duration_s=7200, check_payload=request_problem)
    Command.objects.filter(pk=asked.pk).update(
        status=CommandStatus.ACCEPTED,
        response={
            "status": "Accepted",
            "connectorId": 0,
            "scheduleStart": "2026-12-01T06:00:00Z",
            "chargingSchedule": SCHEDULE,
        },
    )
    log_in(page, portal, "cp-op")
    page.goto(f"{portal.http_url}/chargers/{charger.charge_point_id}/charging-profiles/")
    page.wait_for_selector("#composite-chart canvas")
    page.screenshot(path=SCREENSHOTS / "charging-profiles-composite.png", full_page=True)
    # The legend reads the limit under the cursor, in kW with one decimal: near the left, the first period.
    plot = page.locator("#composite-chart .u-over").bounding_box()
    page.mouse.move(plot["x"] + 5, plot["y"] + plot["height"] / 2)
    assert "11.0 kW" in page.locator("#composite-chart .u-legend").inner_text()
    page.select_option("form.profile select[name=purpose]", "TxDefaultProfile")
    page.fill("form.profile input[name=connector_id]", "1")
    page.select_option("form.profile select[name=kind]", "Relative")
    page.select_option("form.profile select[name=rate_unit]", "A")
    page.fill("form.profile textarea[name=periods]", "0 16\n3600 10.5 1")
    page.click("text=Send (SetChargingProfile)")
    page.wait_for_selector("tr[data-profile] td.state")
    assert page.locator("tr[data-profile] td").nth(1).inner_text() == "1"  # the connector
    assert "from 0 s: 16.0 A · from 3600 s: 10.5 A (1 phase)" in page.locator("tr[data-profile]").inner_text()
    page.screenshot(path=SCREENSHOTS / "charging-profiles.png", full_page=True)
