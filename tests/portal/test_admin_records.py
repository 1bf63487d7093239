"""The admin's records (transactions, meter values, the message log, commands): read-only for everyone, times
with seconds, units in the column names, message types in words."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from chargers.models import Command, MessageLog
from tests.factories import ChargePointFactory, MeterValueFactory, TransactionFactory
from tests.transactions.records import viewer
from transactions.models import MeterValue, Transaction

pytestmark = pytest.mark.django_db
AT = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


def records() -> dict[str, object]:
    session = TransactionFactory(started_at=AT, meter_start_wh=1000, meter_stop_wh=8345, stopped_at=AT)
    cp = session.charge_point
    return {
        "transactions/transaction": session,
        "transactions/metervalue": MeterValueFactory(transaction=session, timestamp=AT),
        "chargers/messagelog": MessageLog.objects.create(
            charge_point=cp, charge_point_ident=cp.charge_point_id, direction="in", message_type=3, created_at=AT
        ),
        "chargers/command": Command.objects.create(charge_point=cp, action="Reset", payload={"type": "Soft"}),
    }


@pytest.fixture
def superuser_client(client):
    client.force_login(get_user_model().objects.create_superuser("root", password="x-secret-password-1"))
    return client


def test_no_one_adds_changes_or_deletes_a_record_but_a_superuser_still_views_it(superuser_client) -> None:
    made = records()
    for path, record in made.items():
        base = f"/admin/{path}/"
        assert superuser_client.get(base).status_code == 200, path
        page = superuser_client.get(f"{base}{record.pk}/change/")
        assert page.status_code == 200 and 'name="_save"' not in page.content.decode(), path
        assert superuser_client.get(f"{base}add/").status_code == 403, path
        assert superuser_client.post(f"{base}{record.pk}/change/", {}).status_code == 403, path
        assert superuser_client.post(f"{base}{record.pk}/delete/", {"post": "yes"}).status_code == 403, path
        bulk = {"action": "delete_selected", "_selected_action": [record.pk], "post": "yes"}
        superuser_client.post(base, bulk)
    assert (Transaction.objects.count(), MeterValue.objects.count()) == (1, 1)
    assert (MessageLog.objects.count(), Command.objects.count()) == (1, 1)


def test_record_lists_show_seconds_units_and_message_types_in_words(superuser_client) -> None:
    records()
    transactions = superuser_client.get("/admin/transactions/transaction/").content.decode()
    assert "2026-03-04 05:06:07" in transactions and "Energy (kWh)" in transactions and ">7.345<" in transactions
    assert "Meter start (Wh)" in transactions
    meter_values = superuser_client.get("/admin/transactions/metervalue/").content.decode()
    assert "2026-03-04 05:06:07" in meter_values and "Value (SI unit)" in meter_values and ">1500 Wh<" in meter_values
    log = superuser_client.get("/admin/chargers/messagelog/").content.decode()
    assert "2026-03-04 05:06:07" in log and ">CallResult<" in log
    assert "?message_type=4" in log and ">CallError<" in log  # the filter speaks words too
    charger = superuser_client.get(f"/admin/chargers/chargepoint/{ChargePointFactory().pk}/change/").content.decode()
    assert "Power (W)" in charger and "Energy (Wh)" in charger


def test_cancelling_a_queued_command_stays_an_action_for_operators_not_for_viewers(superuser_client) -> None:
    command = records()["chargers/command"]
    body = {"action": "cancel", "_selected_action": [command.pk]}
    client = Client()
    client.force_login(viewer())
    assert 'value="cancel"' not in client.get("/admin/chargers/command/").content.decode()
    assert 'value="cancel"' in superuser_client.get("/admin/chargers/command/").content.decode()
    client.post("/admin/chargers/command/", body)
    command.refresh_from_db()
    assert command.status == "queued"
    superuser_client.post("/admin/chargers/command/", body)
    command.refresh_from_db()
    assert command.status != "queued"
