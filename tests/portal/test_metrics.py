"""/metrics: the Prometheus text format, read from the database at scrape time (any daphne process tells the
whole truth), for operators and for API keys with the `read` scope."""

import asyncio
import urllib.request
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from chargers.models import Command, MessageLog
from chargers.services import charge_point_register
from portal.services import api_key_create
from tests.factories import ChargePointFactory, OperatorFactory, StaffUserFactory, UserFactory, token_client
from tests.simulator import SimulatedCharger
from webhooks.models import Delivery
from webhooks.services import webhook_create

METRICS = "/metrics"


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} of a Prometheus text exposition (parsed by prometheus_client)."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(client=None) -> dict[tuple[str, tuple], float]:
    response = (client or token_client(OperatorFactory())).get(METRICS)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return samples(response.content.decode())


@pytest.mark.django_db
def test_connected_and_registered_chargers_are_counted():
    ChargePointFactory.create_batch(2, is_online=True)
    ChargePointFactory(is_online=False)
    ChargePointFactory(is_online=False, registration_status="Pending")

    metrics = scrape()

    assert metrics[("portal_chargers_connected", ())] == 2
    assert metrics[("portal_chargers", (("registration_status", "Accepted"),))] == 3
    assert metrics[("portal_chargers", (("registration_status", "Pending"),))] == 1


@pytest.mark.django_db
def test_frames_of_the_last_minute_are_counted_per_action_and_outcome():
    charger = ChargePointFactory()

    def frame(direction: str, message_type: int, action: str, seconds_ago: float = 1) -> None:
        MessageLog.objects.create(
            charge_point=charger,
            charge_point_ident=charger.charge_point_id,
            direction=direction,
            message_type=message_type,
            action=action,
            created_at=timezone.now() - timedelta(seconds=seconds_ago),
        )

    for _ in range(3):
        frame("in", 2, "MeterValues")
        frame("out", 3, "MeterValues")
    frame("in", 2, "StartTransaction")
    frame("out", 4, "StartTransaction")
    frame("in", 2, "Heartbeat", seconds_ago=600)  # not in the last minute

    metrics = scrape()

    def frames(direction: str, kind: str, action: str) -> float | None:
        labels = (("action", action), ("direction", direction), ("message_type", kind))
        return metrics.get(("portal_ocpp_frames_last_minute", labels))

    assert frames("in", "CALL", "MeterValues") == 3
    assert frames("out", "CALLRESULT", "MeterValues") == 3
    assert frames("out", "CALLERROR", "StartTransaction") == 1
    assert frames("in", "CALL", "Heartbeat") is None


@pytest.mark.django_db
def test_command_outcomes_and_the_age_of_the_oldest_queued_command():
    online, offline = ChargePointFactory(is_online=True), ChargePointFactory(is_online=False)
    for status in ("accepted", "accepted", "rejected", "timed_out"):
        Command.objects.create(charge_point=online, action="Reset", payload={}, status=status)
    Command.objects.create(
        charge_point=online, action="ClearCache", payload={}, created_at=timezone.now() - timedelta(seconds=120)
    )
    Command.objects.create(
        charge_point=offline, action="ClearCache", payload={}, created_at=timezone.now() - timedelta(hours=1)
    )

    metrics = scrape()

    assert metrics[("portal_commands_last_day", (("action", "Reset"), ("status", "accepted")))] == 2
    assert metrics[("portal_commands_last_day", (("action", "Reset"), ("status", "timed_out")))] == 1
    assert metrics[("portal_commands_queued", (("charger_online", "true"),))] == 1
    assert metrics[("portal_commands_queued", (("charger_online", "false"),))] == 1
    assert 120 <= metrics[("portal_command_queue_oldest_seconds", (("charger_online", "true"),))] < 180
    assert 3600 <= metrics[("portal_command_queue_oldest_seconds", (("charger_online", "false"),))] < 3700


@pytest.mark.django_db
def test_webhook_delivery_failures_and_waiting_deliveries_are_counted():
    webhook, _ = webhook_create(owner=OperatorFactory(), url="https://example.com/hook", events=["meter_values"])
    now = timezone.now()
    for n in range(3):
        Delivery.objects.create(
            webhook=webhook, event_id=f"e{n}", event_name="meter_values", body="{}", state="failed", due_at=now
        )
    Delivery.objects.create(
        webhook=webhook,
        event_id="old",
        event_name="meter_values",
        body="{}",
        state="failed",
        due_at=now - timedelta(hours=2),
    )
    Delivery.objects.create(
        webhook=webhook, event_id="w", event_name="meter_values", body="{}", due_at=now - timedelta(seconds=90)
    )
    webhook.retry_at = now + timedelta(minutes=1)
    webhook.save()

    metrics = scrape()

    assert metrics[("portal_webhook_delivery_failures_last_hour", ())] == 3
    assert metrics[("portal_webhook_deliveries_waiting", ())] == 1
    assert 90 <= metrics[("portal_webhook_deliveries_waiting_oldest_seconds", ())] < 150
    assert metrics[("portal_webhooks_failing", ())] == 1


def viewer():
    user = StaffUserFactory()
    user.groups.add(Group.objects.get_or_create(name="viewers")[0])
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    return user


@pytest.mark.django_db
def test_metrics_are_for_operators_and_keys_that_may_read(client):
    def with_key(*scopes: str):
        c = token_client()
        _, key = api_key_create(user=OperatorFactory(), scopes=list(scopes))
        c.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return c

    assert token_client().get(METRICS).status_code == 401
    assert token_client(UserFactory()).get(METRICS).status_code == 403
    assert token_client(StaffUserFactory()).get(METRICS).status_code == 403  # staff without any permission
    assert with_key("commands").get(METRICS).status_code == 403
    assert with_key("read").get(METRICS).status_code == 200
    assert token_client(viewer()).get(METRICS).status_code == 200
    client.force_login(OperatorFactory())
    assert client.get(METRICS).status_code == 200
    assert client.get(METRICS, HTTP_ACCEPT="text/plain").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_real_server_reports_a_connected_charger_and_its_frames(open_portal):
    key = "0123456789abcdef0123456789abcdef01234567"
    charger = charge_point_register(charge_point_id=f"MX-{uuid.uuid4().hex[:8]}", auth_key=key)
    _, token = api_key_create(user=OperatorFactory(), scopes=["read"])

    def fetch() -> dict:
        request = urllib.request.Request(
            f"{open_portal.http_url}{METRICS}", headers={"Authorization": f"Token {token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return samples(response.read().decode())

    async def scenario() -> dict:
        async with SimulatedCharger(open_portal.ocpp_url, charger.charge_point_id, password=key) as sim:
            await sim.boot()
            await sim.call("Heartbeat", {})
            await asyncio.sleep(0.3)  # the message log is written just after the answer
            return await asyncio.to_thread(fetch)

    metrics = asyncio.run(scenario())

    assert metrics[("portal_chargers_connected", ())] >= 1
    labels = (("action", "BootNotification"), ("direction", "in"), ("message_type", "CALL"))
    assert metrics[("portal_ocpp_frames_last_minute", labels)] >= 1
