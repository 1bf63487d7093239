"""The live pages as the server renders them: who sees which page, and the figures they start with."""

import json
import shutil
import subprocess
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from unittest import mock

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import signing
from django.template import Context, Template
from django.utils import timezone

from live.sharing import share_link_make
from portal.roles import VIEWERS_GROUP
from tests.factories import (
    ChargePointFactory,
    ConnectorFactory,
    IdTagFactory,
    MeterValueFactory,
    TransactionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
LIVE_JS = Path(__file__).resolve().parents[2] / "static" / "js" / "live.js"


def operator():
    user = UserFactory(is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=["view_chargepoint", "view_transaction"]))
    return user


def running_session(tag: str = "77FD2AFA", power_w: str = "7345", energy_wh: str = "12000"):
    cp = ChargePointFactory()
    ConnectorFactory(
        charge_point=cp,
        connector_id=1,
        status="Charging",
        power_w=Decimal(power_w),
        energy_wh=Decimal(energy_wh),
        meter_timestamp=timezone.now(),
    )
    return TransactionFactory(charge_point=cp, id_tag=tag, meter_start_wh=10000, started_at=timezone.now())


def test_the_charger_page_shows_live_fields_in_kw_and_kwh_and_asks_for_its_feed(client) -> None:
    session = running_session()
    client.force_login(operator())
    page = client.get(f"/chargers/{session.charge_point.charge_point_id}/").content.decode()
    assert ">7.3 kW<" in page and ">12.00 kWh<" in page  # the connector's power and meter
    assert ">2.00 kWh<" in page  # the session's energy so far
    assert f'data-live="power" data-cp="{session.charge_point.pk}" data-connector="1"' in page
    assert f'id="live-feeds" type="application/json">["charger:{session.charge_point.pk}"]' in page
    assert "vendor/uplot/uPlot.iife.min.js" in page and "js/live.js" in page


def test_the_charger_chart_starts_with_the_power_of_the_last_two_hours_phases_summed(client) -> None:
    session = running_session()
    at = timezone.now() - timedelta(minutes=5)
    for phase in ("L1", "L2", "L3"):
        MeterValueFactory(
            transaction=session,
            timestamp=at,
            measurand="Power.Active.Import",
            phase=phase,
            value=Decimal("2450"),
            si_unit="W",
            location="Outlet",
        )
    MeterValueFactory(
        transaction=session,
        timestamp=at - timedelta(hours=3),
        measurand="Power.Active.Import",
        value=Decimal("1000"),
        si_unit="W",
        location="Outlet",
    )
    client.force_login(operator())
    page = client.get(f"/chargers/{session.charge_point.charge_point_id}/").content.decode()
    series = json.loads(page.split('id="power-series" type="application/json">')[1].split("</script>")[0])
    assert series["lines"] == [
        {
            "label": "Connector 1",
            "cp": session.charge_point.pk,
            "connector": 1,
            "tx": None,
            "points": [[at.timestamp(), 7350.0]],
        }
    ]


def test_the_dashboard_shows_the_fleets_power_and_asks_for_the_fleet_feed(client) -> None:
    running_session(power_w="3000")
    running_session(power_w="4350")
    client.force_login(operator())
    page = client.get("/").content.decode()
    assert 'data-live="fleet-power">7.4 kW<' in page
    assert 'id="live-feeds" type="application/json">["fleet"]' in page


def test_me_needs_a_login(client) -> None:
    assert client.get("/me/")["Location"].startswith("/accounts/login/")


def test_a_customer_sees_only_their_own_sessions_on_me(client) -> None:
    alice = UserFactory()
    IdTagFactory(id_tag="77FD2AFA", user=alice)
    mine = running_session("77fd2afa")
    theirs = running_session("0A0B0C0D")
    finished = TransactionFactory(
        id_tag="77FD2AFA",
        meter_start_wh=0,
        meter_stop_wh=15250,
        started_at=timezone.now() - timedelta(hours=2),
        stopped_at=timezone.now() - timedelta(minutes=45),
    )
    client.force_login(alice)
    page = client.get("/me/").content.decode()
    assert f'["mine", "transaction:{mine.pk}"]' in page
    assert f"transaction:{theirs.pk}" not in page
    assert ">7.3 kW<" in page and ">2.00 kWh<" in page
    assert ">15.25 kWh<" in page and ">1:15:00<" in page  # the finished one: energy and duration
    assert client.get(f"/me/sessions/{mine.pk}/").status_code == 200
    assert client.get(f"/me/sessions/{finished.pk}/").status_code == 200
    assert client.get(f"/me/sessions/{theirs.pk}/").status_code == 404


def test_me_adds_a_new_sessions_card_from_the_card_endpoint_which_shows_only_the_viewers_own(client) -> None:
    alice = UserFactory()
    IdTagFactory(id_tag="77FD2AFA", user=alice)
    mine = running_session("77fd2afa")
    theirs = running_session("0A0B0C0D")
    client.force_login(alice)
    page = client.get("/me/").content.decode()
    assert 'data-card-url="/me/sessions/0/card/"' in page and "js/me.js" in page
    card = client.get(f"/me/sessions/{mine.pk}/card/").content.decode()
    assert f'data-live="tx-power" data-tx="{mine.pk}"' in card and ">7.3 kW<" in card
    assert f'id="power-series-{mine.pk}"' in card and f'href="/me/sessions/{mine.pk}/"' in card
    assert client.get(f"/me/sessions/{theirs.pk}/card/").status_code == 404
    client.logout()
    assert client.get(f"/me/sessions/{mine.pk}/card/").status_code == 302


def test_a_customer_gets_403_from_the_dashboard_and_a_charger_page(client) -> None:
    session = running_session()
    client.force_login(UserFactory())
    assert client.get("/").status_code == 403
    assert client.get(f"/chargers/{session.charge_point.charge_point_id}/").status_code == 403


def test_a_share_link_shows_its_session_without_a_login_and_a_changed_or_old_one_does_not(client) -> None:
    session = running_session()
    token = share_link_make(transaction_pk=session.pk).token
    page = client.get(f"/live/{token}/")
    assert page.status_code == 200 and ">7.3 kW<" in page.content.decode()
    assert f'id="live-share" type="application/json">"{token}"' in page.content.decode()
    assert client.get(f"/live/{token[:-1]}x/").status_code == 404
    assert client.get(f"/live/{signing.dumps({'transaction': session.pk})}/").status_code == 404
    later = signing.time.time() + 25 * 3600
    with mock.patch.object(signing.time, "time", return_value=later):
        assert client.get(f"/live/{token}/").status_code == 403


@pytest.mark.parametrize(
    ("watts", "watt_hours", "seconds"),
    [(7345, 12345, 3725), (7350, 999, 59), (0, 0, 0), (12_000_000, 1_234_567_890, 360_000), (49, 5, 86399)],
)
def test_the_page_script_formats_units_as_the_server_does(watts, watt_hours, seconds) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    rendered = Template("{% load live_units %}{{ w|kw }}|{{ wh|kwh }}|{{ s|hms }}").render(
        Context({"w": watts, "wh": watt_hours, "s": seconds})
    )
    # live.js with the least of a browser around it, to reach its formatting functions.
    script = (
        "var window = {WebSocket: function () {}}, WebSocket = window.WebSocket, location = {};"
        "var document = {getElementById: function (id) { return id === 'live-feeds' ? {textContent: '[]'} : null; },"
        "  querySelectorAll: function () { return []; }};"
        "setInterval = function () {}; setTimeout = function () {};"
        + LIVE_JS.read_text()
        + "var f = window.portalLive.format;"
        + f"console.log(f.kw({watts}) + '|' + f.kwh({watt_hours}) + '|' + f.hms({seconds}));"
    )
    shown = subprocess.run([node, "-e", script], capture_output=True, text=True, check=True).stdout.strip()
    assert shown == rendered


def test_a_customer_who_logs_in_lands_on_their_sessions_and_an_operator_on_the_dashboard(client) -> None:
    UserFactory(username="carla", password="a-long-password-1")
    UserFactory(username="otto", password="a-long-password-1", is_staff=True)
    landed = client.post("/accounts/login/", {"username": "carla", "password": "a-long-password-1"})
    assert landed.status_code == 302 and landed["Location"] == "/me/"
    client.logout()
    landed = client.post("/accounts/login/", {"username": "otto", "password": "a-long-password-1"})
    assert landed["Location"] == "/"


def test_the_share_button_is_offered_to_operators_and_not_to_read_only_viewers(client) -> None:
    session = running_session()
    viewer = operator()
    viewer.groups.add(Group.objects.get_or_create(name=VIEWERS_GROUP)[0])
    client.force_login(operator())
    assert "data-share-button" in client.get(f"/chargers/{session.charge_point.charge_point_id}/").content.decode()
    client.force_login(viewer)
    assert "data-share-button" not in client.get(f"/chargers/{session.charge_point.charge_point_id}/").content.decode()
