"""The transaction pages as the server renders them: who may see them, the filters, the figures, the CSVs."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import ChargePointFactory, ConnectorFactory, IdTagFactory, TransactionFactory, UserFactory
from tests.transactions.records import reading, staff_without_rights, viewer
from transactions.models import Site

pytestmark = pytest.mark.django_db


def pages(session) -> list[str]:
    return [
        "/transactions/",
        "/transactions/export.csv",
        f"/transactions/{session.pk}/",
        f"/transactions/{session.pk}/meter-values.csv",
        "/transactions/stale/",
        "/sites/",
        "/sites/new/",
    ]


def test_the_anonymous_are_sent_to_the_login_page(client) -> None:
    for url in pages(TransactionFactory()):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next="), url


def test_a_customer_is_refused_every_record_page_even_for_their_own_session(client) -> None:
    alice = UserFactory()
    IdTagFactory(id_tag="77FD2AFA", user=alice)
    own = TransactionFactory(id_tag="77FD2AFA")
    client.force_login(alice)
    for url in pages(own):
        assert client.get(url).status_code == 403, url
    assert client.get(f"/me/sessions/{own.pk}/").status_code == 200  # where a customer sees it


def test_staff_without_the_view_permission_are_refused(client) -> None:
    client.force_login(staff_without_rights())
    for url in pages(TransactionFactory()):
        assert client.get(url).status_code == 403, url


def test_a_viewer_reads_every_page_but_gets_no_site_form(client) -> None:
    client.force_login(viewer())
    for url in pages(TransactionFactory())[:-1]:
        assert client.get(url).status_code == 200, url
    assert client.get("/sites/new/").status_code == 403
    assert client.post("/sites/new/", {"name": "Depot", "nominal_voltage_v": 230}).status_code == 403
    assert not Site.objects.exists()


def listed(client, query: str = "") -> set[int]:
    page = client.get(f"/transactions/?{query}")
    assert page.status_code == 200
    return {t.pk for t in page.context["page"]}


def test_the_list_filters_by_charger_tag_site_state_and_time_and_searches(client) -> None:
    now = timezone.now()
    depot = Site.objects.create(name="Depot")
    feeder = Site.objects.create(name="Feeder", parent=depot)
    at_depot = TransactionFactory(charge_point=ChargePointFactory(charge_point_id="CP-DEPOT", site=depot))
    on_feeder = TransactionFactory(
        charge_point=ChargePointFactory(site=feeder), id_tag="aabbccdd", started_at=now - timedelta(days=3)
    )
    ended = TransactionFactory(stopped_at=now, meter_stop_wh=5000, started_at=now - timedelta(hours=2))
    client.force_login(viewer())
    assert listed(client) == {at_depot.pk, on_feeder.pk, ended.pk}
    assert listed(client, "charge_point_id=CP-DEPOT") == {at_depot.pk}
    assert listed(client, "id_tag=AABBCCDD") == {on_feeder.pk}
    assert listed(client, f"site={depot.pk}") == {at_depot.pk, on_feeder.pk}  # its circuit's chargers too
    assert listed(client, f"site={feeder.pk}") == {on_feeder.pk}
    assert listed(client, "state=ended") == {ended.pk}
    assert listed(client, "state=running") == {at_depot.pk, on_feeder.pk}
    since = timezone.localtime(now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert listed(client, f"started_after={since}") == {at_depot.pk, ended.pk}
    assert listed(client, "q=depot") == {at_depot.pk}
    assert ended.pk in listed(client, f"q={ended.pk}")  # a number finds the transaction (and chargers named so)


def test_the_list_pages_through_many_sessions_keeping_the_filter(client) -> None:
    charger = ChargePointFactory(charge_point_id="CP-MANY")
    start = timezone.now() - timedelta(days=10)
    for i in range(55):
        TransactionFactory(charge_point=charger, started_at=start + timedelta(minutes=i))
    client.force_login(viewer())
    first = client.get("/transactions/?charge_point_id=CP-MANY").content.decode()
    assert "55 transactions" in first and 'href="?charge_point_id=CP-MANY&amp;page=2"' in first
    assert len(listed(client, "charge_point_id=CP-MANY&page=2")) == 5


def test_a_bad_filter_is_named_on_the_page_and_the_csv_is_refused(client) -> None:
    client.force_login(viewer())
    page = client.get("/transactions/?started_after=yesterday")
    assert page.status_code == 200 and "Enter a valid date/time" in page.content.decode()
    refused = client.get("/transactions/export.csv?started_after=yesterday")
    assert refused.status_code == 400 and b"started_after" in refused.content


def test_the_csv_of_the_list_holds_the_filtered_sessions_with_energy_in_kwh(client) -> None:
    charger = ChargePointFactory(charge_point_id="CP-CSV")
    done = TransactionFactory(charge_point=charger, meter_start_wh=1000, meter_stop_wh=8345, stopped_at=timezone.now())
    TransactionFactory()  # another charger's
    client.force_login(viewer())
    response = client.get("/transactions/export.csv?charge_point_id=CP-CSV")
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["transaction_id"], r["charge_point_id"], r["energy_kwh"], r["meter_stop_wh"]) for r in rows] == [
        (str(done.pk), "CP-CSV", "7.345", "8345")
    ]


def finished_session():
    start = timezone.now() - timedelta(hours=2)
    session = TransactionFactory(
        started_at=start, stopped_at=start + timedelta(minutes=30), meter_start_wh=10_000, meter_stop_wh=15_500
    )
    for minute, kw_per_phase in ((5, "3.1"), (10, "3.7"), (20, "2.0")):
        at = start + timedelta(minutes=minute)
        for phase in ("L1", "L2", "L3"):
            reading(session, at, "Power.Active.Import", str(float(kw_per_phase) * 1000), "W", phase=phase)
            reading(session, at, "Current.Import", "16", "A", phase=phase)
            reading(session, at, "Voltage", "231", "V", phase=f"{phase}-N")
        reading(session, at, "Energy.Active.Import.Register", str(10_000 + minute * 100), "Wh")
    return session


def test_the_session_page_shows_energy_duration_average_and_peak_power(client) -> None:
    session = finished_session()
    client.force_login(viewer())
    page = client.get(f"/transactions/{session.pk}/").content.decode()
    assert ">5.50 kWh<" in page  # 15 500 - 10 000 Wh
    assert ">0:30:00<" in page
    assert ">11.0 kW<" in page  # average: 5.5 kWh in half an hour
    assert ">11.1 kW<" in page  # peak: three phases of 3.7 kW
    assert 'id="live-feeds"' not in page  # a finished session has nothing to follow


def test_the_session_charts_hold_power_and_current_and_voltage_per_phase(client) -> None:
    session = finished_session()
    client.force_login(viewer())
    page = client.get(f"/transactions/{session.pk}/").content.decode()

    def series(name: str) -> dict:
        return json.loads(page.split(f'id="{name}" type="application/json">')[1].split("</script>")[0])

    assert [p[1] for p in series("power-series")["lines"][0]["points"]] == [9300.0, 11100.0, 6000.0]
    current, voltage = series("current-series"), series("voltage-series")
    assert (current["unit"], [line["label"] for line in current["lines"]]) == ("A", ["L1", "L2", "L3"])
    assert [p[1] for p in voltage["lines"][0]["points"]] == [231.0, 231.0, 231.0]
    assert "js/records-chart.js" in page and "vendor/uplot/uPlot.iife.min.js" in page


def test_a_running_session_page_follows_its_feed_and_shows_energy_so_far(client) -> None:
    session = TransactionFactory(meter_start_wh=1000, started_at=timezone.now() - timedelta(minutes=10))
    ConnectorFactory(charge_point=session.charge_point, power_w=7345, energy_wh=3000, meter_timestamp=timezone.now())
    reading(session, timezone.now(), "Energy.Active.Import.Register", "3000", "Wh")
    client.force_login(viewer())
    page = client.get(f"/transactions/{session.pk}/").content.decode()
    assert f'id="live-feeds" type="application/json">["transaction:{session.pk}"]' in page
    assert f'data-live="tx-power" data-tx="{session.pk}">7.3 kW<' in page
    assert f'data-live="tx-energy" data-tx="{session.pk}" data-meter-start="1000">2.00 kWh<' in page


def test_the_meter_values_csv_holds_every_reading_as_sent_and_in_si_units(client) -> None:
    session = finished_session()
    client.force_login(viewer())
    response = client.get(f"/transactions/{session.pk}/meter-values.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == session.meter_values.count() == 30
    voltage_l1 = [r for r in rows if (r["measurand"], r["phase"]) == ("Voltage", "L1-N")]
    assert [(r["raw_value"], r["unit"], r["value"], r["si_unit"]) for r in voltage_l1] == [
        ("231", "V", "231.000000", "V")
    ] * 3
    assert rows[0]["timestamp"] <= rows[-1]["timestamp"]
    assert response["Content-Disposition"] == f'attachment; filename="transaction-{session.pk}-meter-values.csv"'


def test_an_unknown_session_is_a_404(client) -> None:
    client.force_login(viewer())
    assert client.get("/transactions/999999/").status_code == 404
    assert client.get("/transactions/999999/meter-values.csv").status_code == 404
