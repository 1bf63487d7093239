"""Deliveries in one process: signing, the backoff, one attempt row per try, what waits behind a failing receiver,
the beat's sweep, and the publishing side's cheap `wants`. The worker and the server are in tests/e2e/."""

import hashlib
import hmac
import itertools
import json
import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from core import event_groups, events
from tests.factories import OperatorFactory
from tests.webhook_receiver import Receiver
from transactions.events import TransactionStarted
from webhooks import services, sink
from webhooks.models import Delivery, Webhook
from webhooks.transport import signature

# Transactional: the services commit, and two threads must see the same rows.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def enqueued(monkeypatch) -> list[tuple[list[int], float]]:
    """What the services hand to Celery (delivery ids, countdown), instead of a broker."""
    calls: list[tuple[list[int], float]] = []
    monkeypatch.setattr(
        services,
        "deliveries_enqueue",
        lambda *, delivery_ids, countdown_s=0.0: calls.append((list(delivery_ids), countdown_s)),
    )
    return calls


@pytest.fixture
def fast(settings):
    settings.WEBHOOK_RETRY_BASE_S = 0.5
    settings.WEBHOOK_TIMEOUT_S = 2.0
    return settings


@pytest.fixture
def down():
    """A receiver whose port refuses connections (nothing listens)."""
    receiver = Receiver()
    yield receiver
    receiver.stop()


def envelope(name: str = "transaction.started", n: int = 1) -> dict:
    return {"event": name, "id": f"event-{n}", "created": "2026-11-24T10:00:00Z", "data": {"n": n}}


def hook(url: str = "http://127.0.0.1:9/hook", events: tuple[str, ...] = ("transaction.started",), **extra) -> Webhook:
    webhook, _ = services.webhook_create(owner=OperatorFactory(), url=url, events=list(events), **extra)
    return webhook


def test_the_signature_is_the_hex_hmac_sha256_of_the_raw_body():
    body = b'{"event":"meter_values"}'
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()

    assert signature(secret="s3cret", body=body) == f"sha256={expected}"


def test_the_backoff_doubles_and_the_last_attempt_comes_hours_after_the_first(settings):
    delays = [services.retry_delay_s(attempt=n) for n in range(1, settings.WEBHOOK_MAX_ATTEMPTS)]

    assert delays[:3] == [30, 60, 120]
    assert all(later >= earlier for earlier, later in itertools.pairwise(delays))
    assert max(delays) <= settings.WEBHOOK_RETRY_MAX_DELAY_S
    # A receiver down for an hour loses nothing; one down for a few hours neither.
    assert 2 * 3600 <= sum(delays) <= 6 * 3600


def test_an_event_becomes_one_delivery_per_active_webhook_that_subscribed_to_it(enqueued):
    wanted = hook(events=("transaction.started", "meter_values"))
    hook(events=("transaction.stopped",))
    hook(events=("transaction.started",), active=False)

    created = services.deliveries_create(envelopes=[envelope(), envelope("meter_values", 2), envelope("x", 3)])

    rows = list(Delivery.objects.order_by("id"))
    assert created == 2
    assert [(r.webhook_id, r.event_id, r.event_name, r.attempt, r.state) for r in rows] == [
        (wanted.pk, "event-1", "transaction.started", 1, "pending"),
        (wanted.pk, "event-2", "meter_values", 1, "pending"),
    ]
    assert json.loads(rows[0].body) == envelope()
    assert enqueued == [([r.pk for r in rows], 0.0)]


def test_a_failed_attempt_is_stored_and_the_retry_is_a_new_attempt_due_after_the_backoff(fast, enqueued):
    with Receiver(statuses=(503,)) as receiver:
        webhook = hook(url=receiver.url)
        services.deliveries_create(envelopes=[envelope()])
        first = Delivery.objects.get()

        services.deliveries_attempt(delivery_ids=[first.pk])

    first.refresh_from_db()
    retry = Delivery.objects.exclude(pk=first.pk).get()
    assert (first.state, first.status_code, first.attempt) == ("failed", 503, 1)
    assert first.duration_ms is not None and "503" in first.error
    assert (retry.state, retry.attempt, retry.event_id, retry.body) == ("pending", 2, "event-1", first.body)
    assert first.next_retry_at == retry.due_at
    assert timedelta(seconds=0.4) <= retry.due_at - first.attempted_at <= timedelta(seconds=0.6)
    assert enqueued[-1] == ([retry.pk], 0.5)
    webhook.refresh_from_db()
    assert webhook.retry_at == retry.due_at


def test_behind_a_failing_receiver_the_others_wait_for_the_retry_instead_of_trying_it(fast, enqueued, down):
    hook(url=down.url)
    services.deliveries_create(envelopes=[envelope(n=1), envelope(n=2), envelope(n=3)])
    ids = list(Delivery.objects.order_by("id").values_list("id", flat=True))

    services.deliveries_attempt(delivery_ids=ids)

    rows = {row.event_id: row for row in Delivery.objects.all()}
    tried = Delivery.objects.filter(state="failed")
    assert [row.event_id for row in tried] == ["event-1"]
    assert tried[0].status_code is None and tried[0].error
    retry = Delivery.objects.get(event_id="event-1", attempt=2)
    # Not attempted (no attempt counted), due with the retry, and sent with it in one task.
    assert rows["event-2"].state == rows["event-3"].state == "pending"
    assert rows["event-2"].attempted_at is None and rows["event-2"].due_at == retry.due_at
    assert enqueued[-1] == ([retry.pk, ids[1], ids[2]], 0.5)

    # Meanwhile new events wait for the retry too, without a try of their own.
    enqueued.clear()
    services.deliveries_create(envelopes=[envelope(n=4)])
    assert Delivery.objects.get(event_id="event-4").due_at == retry.due_at
    assert enqueued == []


def test_a_failure_makes_every_waiting_delivery_of_the_webhook_wait_for_the_retry(fast, enqueued, down):
    webhook = hook(url=down.url)
    other = hook(url=down.url)
    services.deliveries_create(envelopes=[envelope(n=1), envelope(n=2)])
    first, second = Delivery.objects.filter(webhook=webhook).order_by("id")
    elsewhere = Delivery.objects.get(webhook=other, event_id="event-1")

    services.deliveries_attempt(delivery_ids=[first.pk])  # a task of its own: `second` is in another

    retry = Delivery.objects.get(webhook=webhook, attempt=2)
    second.refresh_from_db()
    elsewhere.refresh_from_db()
    assert (second.state, second.due_at) == ("pending", retry.due_at)
    assert elsewhere.due_at < retry.due_at  # another webhook's receiver is its own business


def test_a_success_after_failures_releases_what_waited(fast, enqueued):
    with Receiver(statuses=(500,)) as receiver:
        webhook = hook(url=receiver.url)
        services.deliveries_create(envelopes=[envelope(n=1)])
        services.deliveries_attempt(delivery_ids=[Delivery.objects.get().pk])
        services.deliveries_create(envelopes=[envelope(n=2)])  # waits for the retry
        retry = Delivery.objects.get(event_id="event-1", attempt=2)
        waiting = Delivery.objects.get(event_id="event-2")

        services.deliveries_attempt(delivery_ids=[retry.pk])

    webhook.refresh_from_db()
    assert webhook.retry_at is None
    assert enqueued[-1] == ([waiting.pk], 0.0)
    waiting.refresh_from_db()
    assert waiting.due_at <= timezone.now()


def test_the_last_attempt_gives_up(fast, enqueued, down):
    fast.WEBHOOK_MAX_ATTEMPTS = 2
    hook(url=down.url)
    services.deliveries_create(envelopes=[envelope()])
    services.deliveries_attempt(delivery_ids=[Delivery.objects.get().pk])
    second = Delivery.objects.get(attempt=2)

    services.deliveries_attempt(delivery_ids=[second.pk])

    second.refresh_from_db()
    assert (second.state, second.next_retry_at) == ("failed", None)
    assert Delivery.objects.count() == 2


def test_a_redirect_is_a_failure_and_is_not_followed(fast, enqueued):
    with Receiver(statuses=(307,)) as receiver:
        hook(url=receiver.url)
        services.deliveries_create(envelopes=[envelope()])

        services.deliveries_attempt(delivery_ids=[Delivery.objects.get().pk])

    assert Delivery.objects.get(attempt=1).status_code == 307
    assert len(receiver.received) == 1


def test_an_attempt_is_made_once_even_when_two_workers_are_handed_it(fast, enqueued):
    with Receiver(delay_s=0.3) as receiver:
        hook(url=receiver.url)
        services.deliveries_create(envelopes=[envelope()])
        pk = Delivery.objects.get().pk

        threads = [threading.Thread(target=services.deliveries_attempt, kwargs={"delivery_ids": [pk]}) for _ in "ab"]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert len(receiver.received) == 1
    assert Delivery.objects.get().state == "succeeded"


def test_a_paused_webhook_keeps_its_deliveries_waiting(fast, enqueued):
    with Receiver() as receiver:
        webhook = hook(url=receiver.url)
        services.deliveries_create(envelopes=[envelope()])
        services.webhook_update(webhook=webhook, active=False)

        services.deliveries_attempt(delivery_ids=[Delivery.objects.get().pk])

    assert receiver.received == []
    assert Delivery.objects.get().state == "pending"


def test_the_sweep_sends_what_is_due_and_records_an_attempt_that_never_ended(fast, enqueued):
    webhook = hook()
    # Another webhook's: the lost attempt's failure makes its own webhook's deliveries wait for its retry.
    elsewhere = hook()
    long_ago = timezone.now() - timedelta(minutes=10)
    due = Delivery.objects.create(
        webhook=elsewhere, event_id="a", event_name="transaction.started", body="{}", due_at=long_ago
    )
    Delivery.objects.create(
        webhook=webhook,
        event_id="b",
        event_name="transaction.started",
        body="{}",
        due_at=timezone.now() + timedelta(hours=1),
    )
    lost = Delivery.objects.create(
        webhook=webhook,
        event_id="c",
        event_name="transaction.started",
        body="{}",
        state="sending",
        attempted_at=long_ago,
    )

    swept = services.deliveries_sweep()

    lost.refresh_from_db()
    assert lost.state == "failed" and "no outcome" in lost.error
    lost_retry = Delivery.objects.get(event_id="c", attempt=2)
    assert swept == {"due": 1, "lost": 1}
    assert [due.pk] in [ids for ids, _ in enqueued]
    assert all(lost_retry.pk not in ids or countdown > 0 for ids, countdown in enqueued)


def test_old_deliveries_are_pruned(fast):
    webhook = hook()
    old = Delivery.objects.create(webhook=webhook, event_id="a", event_name="x", body="{}", state="succeeded")
    Delivery.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=fast.WEBHOOK_DELIVERY_RETENTION_DAYS + 1)
    )
    Delivery.objects.create(webhook=webhook, event_id="b", event_name="x", body="{}", state="succeeded")

    assert services.deliveries_prune() == 1
    assert list(Delivery.objects.values_list("event_id", flat=True)) == ["b"]


def test_the_publisher_asks_the_database_for_subscribed_names_at_most_once_per_interval(
    fast, django_assert_max_num_queries
):
    fast.WEBHOOK_EVENTS_CACHE_S = 60
    hook(events=("meter_values",))
    names = sink.SubscribedNames()

    with django_assert_max_num_queries(1):
        answers = [names.wants(name) for name in ("meter_values", "charger.online") * 500]

    assert answers[:2] == [True, False]


def test_the_sink_is_registered_and_a_published_event_is_handed_to_the_deliver_task(
    monkeypatch, django_capture_on_commit_callbacks
):
    hook(events=("transaction.started",))
    sink.subscribed_names.forget()
    sent: list[tuple[str, list[dict]]] = []
    monkeypatch.setattr(event_groups, "celery_send", lambda task, envelopes: sent.append((task, envelopes)))
    started = TransactionStarted(
        charge_point_pk=1,
        charge_point_id="CP-1",
        connector_id=1,
        transaction_pk=5,
        id_tag="T",
        started_at=timezone.now(),
        meter_start_wh=0,
    )

    with django_capture_on_commit_callbacks(execute=True):
        events.publish([started])

    assert [(task, [e["event"] for e in envelopes]) for task, envelopes in sent] == [
        ("webhooks.tasks.events_deliver", ["transaction.started"])
    ]
