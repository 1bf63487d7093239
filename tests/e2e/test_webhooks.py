"""Webhooks end to end: a simulated charger session against a real daphne publishes events; a real Celery worker
POSTs them, signed, to a real local HTTP server, and retries with backoff until the receiver takes them.

The session's worker retries after 0.5 s, 1 s, 2 s, … (WEBHOOK_RETRY_BASE_S in tests/conftest.py), not 30 s.
"""

import asyncio
import time
import uuid

import pytest
from django.conf import settings

from chargers.services import charge_point_register
from rfid.services import id_tag_create
from tests.factories import OperatorFactory, token_client
from tests.simulator import SimulatedCharger, inch_sampled_values, now_iso
from tests.webhook_receiver import Received, Receiver
from webhooks.models import Delivery

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "0123456789abcdef0123456789abcdef01234567"
TAG = "FA2AFD77"


def webhook_for(url: str, events: list[str]) -> tuple[int, str]:
    """A webhook made through the REST API as an integrator does: its id and the secret shown this once."""
    response = token_client(OperatorFactory()).post("/api/v1/webhooks/", {"url": url, "events": events}, format="json")
    assert response.status_code == 201, response.content
    # The servers read the subscribed event names every few seconds, not per event: let them see this one.
    time.sleep(settings.WEBHOOK_EVENTS_CACHE_S + 0.5)
    return response.json()["id"], response.json()["secret"]


def charging_session(ocpp_url: str, *, readings: int = 1) -> int:
    """A charger boots, starts, reports `readings` meter values and stops; returns the transaction id."""
    charger = charge_point_register(charge_point_id=f"WH-{uuid.uuid4().hex[:10]}", auth_key=KEY)
    id_tag_create(id_tag=TAG)

    async def scenario() -> int:
        async with SimulatedCharger(ocpp_url, charger.charge_point_id, password=KEY) as sim:
            await sim.boot()
            tx_id = (await sim.start(1, TAG, 1000))["transactionId"]
            for n in range(readings):
                await sim.call(
                    "MeterValues",
                    {
                        "connectorId": 1,
                        "transactionId": tx_id,
                        "meterValue": [{"timestamp": now_iso(), "sampledValue": inch_sampled_values(1.0 + n, 3.7)}],
                    },
                )
            await sim.stop(tx_id, 4200, idTag=TAG)
            return tx_id

    return asyncio.run(scenario())


def names(received: list[Received]) -> list[str]:
    return [item.envelope["event"] for item in received]


def test_a_charging_session_reaches_the_receiver_signed_with_the_webhook_secret(open_portal, celery_worker) -> None:
    with Receiver() as receiver:
        webhook_id, secret = webhook_for(receiver.url, ["charger.online", "transaction.started", "transaction.stopped"])

        tx_id = charging_session(open_portal.ocpp_url)

        received = receiver.wait_for(lambda got: len(got) >= 3)
    assert sorted(names(received)) == ["charger.online", "transaction.started", "transaction.stopped"]
    for item in received:
        assert item.signed_with(secret), item.headers
        assert not item.signed_with("another secret")
        assert item.headers["Content-Type"] == "application/json"
        envelope = item.envelope
        assert set(envelope) == {"event", "id", "created", "data"}
        assert envelope["data"]["charge_point_id"].startswith("WH-")
    stopped = next(item.envelope for item in received if item.envelope["event"] == "transaction.stopped")
    assert (stopped["data"]["transaction_pk"], stopped["data"]["energy_wh"]) == (tx_id, 3200)
    # meter_values and charger.offline were not subscribed to: nothing of them left the portal.
    time.sleep(0.5)
    assert len(receiver.received) == 3
    deliveries = token_client(OperatorFactory()).get(f"/api/v1/webhooks/{webhook_id}/deliveries/").json()["results"]
    assert sorted((d["event_name"], d["attempt"], d["status_code"], d["state"]) for d in deliveries) == [
        ("charger.online", 1, 200, "succeeded"),
        ("transaction.started", 1, 200, "succeeded"),
        ("transaction.stopped", 1, 200, "succeeded"),
    ]
    assert {d["event_id"] for d in deliveries} == {item.envelope["id"] for item in received}


def test_a_receiver_answering_500_gets_the_same_signed_body_again(open_portal, celery_worker) -> None:
    with Receiver(statuses=(500,)) as receiver:
        webhook_id, secret = webhook_for(receiver.url, ["transaction.started"])

        charging_session(open_portal.ocpp_url)

        received = receiver.wait_for(lambda got: len(got) >= 2)
    first, second = received[:2]
    assert (first.answered, second.answered) == (500, 200)
    assert first.body == second.body
    assert first.signed_with(secret) and second.signed_with(secret)
    attempts = list(Delivery.objects.filter(webhook_id=webhook_id).order_by("attempt"))
    assert [(a.attempt, a.status_code, a.state) for a in attempts] == [(1, 500, "failed"), (2, 200, "succeeded")]
    assert attempts[0].next_retry_at is not None and attempts[0].error
    assert attempts[1].next_retry_at is None and attempts[1].duration_ms is not None
    assert attempts[0].event_id == attempts[1].event_id == first.envelope["id"]


def test_a_receiver_that_is_down_for_a_while_loses_nothing(open_portal, celery_worker) -> None:
    receiver = Receiver()  # its port is reserved, nothing listens there yet: connections are refused
    try:
        webhook_id, secret = webhook_for(receiver.url, ["transaction.started", "meter_values", "transaction.stopped"])
        attempts = Delivery.objects.filter(webhook_id=webhook_id)

        charging_session(open_portal.ocpp_url, readings=3)
        wait_until(
            lambda: (
                attempts.filter(state="failed").count() >= 2
                and attempts.filter(event_name="transaction.stopped").exists()
            )
        )
        receiver.start()
        wait_until(lambda: not attempts.filter(state__in=["pending", "sending"]).exists(), timeout=30)
    finally:
        receiver.stop()

    published = set(attempts.values_list("event_id", flat=True))
    assert {item.envelope["id"] for item in receiver.received} == published
    assert set(attempts.filter(state="succeeded").values_list("event_id", flat=True)) == published
    assert {"transaction.started", "meter_values", "transaction.stopped"} <= set(names(receiver.received))
    assert all(item.signed_with(secret) for item in receiver.received)
    failed = attempts.filter(state="failed")
    assert failed.count() >= 2
    assert all(a.status_code is None and "refused" in a.error and a.next_retry_at for a in failed)


def wait_until(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition was not met in time"
        time.sleep(0.1)


def test_a_receiver_that_hangs_does_not_hold_up_the_charger(open_portal, celery_worker) -> None:
    with Receiver(delay_s=3.0) as receiver:
        webhook_for(receiver.url, ["transaction.started", "meter_values", "transaction.stopped"])

        started = time.monotonic()
        charging_session(open_portal.ocpp_url, readings=3)
        took = time.monotonic() - started

        receiver.wait_for(lambda got: len(got) >= 1, timeout=20)
    # Five events, each delivered to a receiver that takes 3 s: the charger's frames did not wait for any.
    assert took < 3.0
