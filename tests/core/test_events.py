"""The event bus: what a service publishes reaches subscribers, watched groups and outbound sinks after commit."""

import asyncio
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from channels.layers import get_channel_layer
from django.db import transaction

from core import event_groups, events

pytestmark = pytest.mark.django_db


@dataclass(frozen=True, slots=True, kw_only=True)
class Ping(events.Event):
    name = "test.ping"
    charge_point_pk: int
    at: datetime
    energy_wh: Decimal

    def groups(self) -> tuple[str, ...]:
        return (events.FLEET, events.charger_group(self.charge_point_pk))


@dataclass(frozen=True, slots=True, kw_only=True)
class Pong(events.Event):
    name = "test.pong"
    n: int


def ping(pk: int = 7) -> Ping:
    return Ping(charge_point_pk=pk, at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), energy_wh=Decimal("1.5"))


@pytest.fixture
def received():
    batches: list[list[events.Event]] = []
    unsubscribe = events.subscribe(lambda batch: batches.append(list(batch)))
    yield batches
    unsubscribe()


def test_a_subscriber_hears_a_batch_once_and_only_after_commit(received, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        events.publish([ping(1), ping(2)])
        assert received == []
    assert received == [[ping(1), ping(2)]]


def test_a_rolled_back_transaction_publishes_nothing(received, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                events.publish([ping()])
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
    assert callbacks == []
    assert received == []


def test_a_subscriber_asked_for_some_names_gets_only_those(django_capture_on_commit_callbacks):
    heard: list[list[str]] = []
    unsubscribe = events.subscribe(lambda batch: heard.append([e.name for e in batch]), names=["test.pong"])
    try:
        with django_capture_on_commit_callbacks(execute=True):
            events.publish([ping(), Pong(n=1)])
            events.publish([ping()])
    finally:
        unsubscribe()
    assert heard == [["test.pong"]]


def test_a_failing_subscriber_costs_neither_the_publisher_nor_the_others(received, django_capture_on_commit_callbacks):
    def broken(batch):
        raise ValueError("subscriber bug")

    unsubscribe = events.subscribe(broken)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            events.publish([Pong(n=2)])
    finally:
        unsubscribe()
    assert received == [[Pong(n=2)]]


def test_event_data_is_plain_json_values():
    assert ping(3).data() == {"charge_point_pk": 3, "at": "2026-01-02T03:04:05Z", "energy_wh": "1.5"}
    body = events.envelope(ping(3))
    assert body["event"] == "test.ping" and body["data"]["charge_point_pk"] == 3
    assert body["id"] and body["created"].endswith("Z")


class _Member:
    """A member of `group` on the events' channel layer, listening on an event loop of its own in a thread:
    that layer is Redis pub/sub (core/pubsub_layer.py), which delivers only to whoever is subscribed when a
    message is published, so the member must stay on one loop from joining to receiving."""

    def __init__(self, group: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.layer = get_channel_layer(event_groups.EVENTS_LAYER)
        self.channel = self._run(self._join(group))

    def _run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(10)

    async def _join(self, group: str) -> str:
        channel = await self.layer.new_channel()
        await self.layer.group_add(group, channel)
        return channel

    def receive(self, timeout: float = 3.0) -> dict | None:
        async def receive():
            try:
                async with asyncio.timeout(timeout):
                    return await self.layer.receive(self.channel)
            except TimeoutError:
                return None

        return self._run(receive())

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def group_member():
    members: list[_Member] = []

    def join(group: str) -> _Member:
        members.append(_Member(group))
        return members[-1]

    yield join
    for member in members:
        member.close()


def test_a_watched_group_gets_one_message_per_batch(django_capture_on_commit_callbacks, group_member):
    group = events.charger_group(424242)
    member = group_member(group)
    event_groups.groups_watch([group])
    with django_capture_on_commit_callbacks(execute=True):
        events.publish([ping(424242), ping(424242), ping(1)])
    message = member.receive()
    assert message is not None
    assert message["type"] == "portal.events"
    assert [item["data"]["charge_point_pk"] for item in message["events"]] == [424242, 424242]
    assert member.receive(timeout=0.3) is None  # one message for the batch, not one per event


def test_a_group_nobody_watches_is_not_sent_to(django_capture_on_commit_callbacks, group_member):
    group = events.charger_group(434343)
    member = group_member(group)  # joined, but never said it watches
    event_groups.groups_forget_cache()
    with django_capture_on_commit_callbacks(execute=True):
        events.publish([ping(434343)])
    assert member.receive(timeout=0.5) is None


def test_an_outbound_sink_gets_the_envelopes_it_wants(monkeypatch, django_capture_on_commit_callbacks):
    sent: list[tuple[str, list[dict]]] = []
    monkeypatch.setattr(event_groups, "celery_send", lambda task, envelopes: sent.append((task, envelopes)))
    sink = events.OutboundSink(wants=lambda name: name == "test.pong", task="tests.outbound")
    events.outbound_register(sink)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            events.publish([ping(), Pong(n=5)])
    finally:
        events._outbound.remove(sink)
    assert [(task, [e["event"] for e in envelopes]) for task, envelopes in sent] == [("tests.outbound", ["test.pong"])]
    assert sent[0][1][0]["data"] == {"n": 5}


def test_an_outbound_sink_that_cannot_queue_is_logged_not_raised(
    monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def broker_down(task, envelopes):
        raise ConnectionError("broker down")

    monkeypatch.setattr(event_groups, "celery_send", broker_down)
    sink = events.OutboundSink(wants=lambda name: True, task="tests.outbound")
    events.outbound_register(sink)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            events.publish([Pong(n=6)])
    finally:
        events._outbound.remove(sink)
    assert "not queued" in caplog.text
