"""A person's own feed (`mine`): /me/ hears of a session begun on one of their cards after the page loaded."""

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chargers.models import ChargerModel
from chargers.profiles.models import ByteOrder, ProfileStatus
from chargers.services import charge_point_register
from core import event_groups
from live.access import MINE, feeds_permitted
from live.selectors import id_tag_owner_pk
from live.subscribers import sessions_to_owners
from rfid.services import id_tag_create
from tests.factories import ChargePointFactory, IdTagFactory, TransactionFactory, UserFactory
from tests.live.wsclient import LiveClient, session_cookie
from tests.simulator import SimulatedCharger
from transactions.events import TransactionStarted

KEY = "0123456789abcdef0123456789abcdef01234567"


def customer(tag: str):
    user = UserFactory(username=f"cu-{uuid.uuid4().hex[:6]}")
    id_tag_create(id_tag=tag, user=user)
    return user


@pytest.mark.django_db(transaction=True)
def test_a_customer_hears_of_a_session_begun_on_their_card_after_the_page_loaded_and_of_no_other(open_portal) -> None:
    cp = charge_point_register(charge_point_id=f"MINE-{uuid.uuid4().hex[:8]}", auth_key=KEY)
    alice = customer("A1A1A1A1")
    customer("B2B2B2B2")
    cookie = session_cookie(alice)

    async def scenario():
        async with SimulatedCharger(open_portal.ocpp_url, cp.charge_point_id, password=KEY) as sim:
            await sim.boot()
            async with LiveClient(open_portal, cookie=cookie) as live:
                watching, before = await live.watch([MINE])
                await sim.start(2, "B2B2B2B2", 0)  # Bob's card: not hers
                theirs = await live.nothing_for(1.0)
                mine = (await sim.start(1, "a1:a1:a1:a1", 500))["transactionId"]  # as a reader sends it
                started = await live.events("transaction.started")
            # A page opened (or reconnected) later learns of the running session from its first snapshot.
            async with LiveClient(open_portal, cookie=cookie) as later:
                _, after = await later.watch([MINE])
            return mine, watching, before, theirs, started, after

    mine, watching, before, theirs, started, after = asyncio.run(scenario())
    assert watching["feeds"] == [MINE] and watching["refused"] == []
    assert before["events"] == [] and theirs == []
    assert [(d["transaction_pk"], d["connector_id"], d["meter_start_wh"]) for d in started] == [(mine, 1, 500)]
    assert {e["data"]["transaction_pk"] for e in after["events"] if e["event"] == "transaction.started"} == {mine}


@pytest.mark.django_db
def test_nobody_without_a_login_has_a_feed_of_their_own() -> None:
    assert feeds_permitted(user=AnonymousUser(), names=[MINE]).refused == [MINE]
    user = UserFactory()
    (feed,) = feeds_permitted(user=user, names=[MINE]).allowed
    assert feed.group == event_groups.user_group(user.pk)


@pytest.mark.django_db
def test_the_owner_of_a_card_is_found_as_the_authorization_finds_the_card() -> None:
    little = ChargerModel.objects.create(
        vendor="Acme", model="LE", status=ProfileStatus.ACTIVE, rfid_byte_order=ByteOrder.LITTLE_ENDIAN
    )
    alice = customer("77FD2AFA")
    on_little, on_big = ChargePointFactory(charger_model=little), ChargePointFactory()
    assert id_tag_owner_pk(id_tag="77:fd:2a:fa", charge_point_pk=on_big.pk) == alice.pk
    assert id_tag_owner_pk(id_tag="FA2AFD77", charge_point_pk=on_little.pk) == alice.pk
    assert id_tag_owner_pk(id_tag="FA2AFD77", charge_point_pk=on_big.pk) is None
    IdTagFactory(id_tag="FA2AFD77")  # a card of nobody's, read as sent: it wins over the reversed reading
    assert id_tag_owner_pk(id_tag="FA2AFD77", charge_point_pk=on_little.pk) is None
    assert id_tag_owner_pk(id_tag="NOSUCHCARD", charge_point_pk=on_big.pk) is None


def _started(session) -> TransactionStarted:
    return TransactionStarted(
        charge_point_pk=session.charge_point_id,
        charge_point_id=session.charge_point.charge_point_id,
        connector_id=1,
        transaction_pk=session.pk,
        id_tag=session.id_tag,
        started_at=datetime.now(UTC),
        meter_start_wh=0,
    )


@pytest.mark.django_db
def test_a_session_start_costs_no_query_unless_a_person_is_watched_and_then_one(monkeypatch) -> None:
    alice = customer("C3C3C3C3")
    event = _started(TransactionFactory(id_tag="C3C3C3C3"))
    sent = []
    monkeypatch.setattr(event_groups, "group_send_many", sent.append)
    monkeypatch.setattr(event_groups, "watched_groups", lambda: frozenset({"events.fleet"}))
    with CaptureQueriesContext(connection) as unwatched:
        sessions_to_owners([event])
    monkeypatch.setattr(event_groups, "watched_groups", lambda: frozenset({event_groups.user_group(alice.pk)}))
    with CaptureQueriesContext(connection) as watched:
        sessions_to_owners([event])
    assert len(unwatched) == 0 and len(watched) == 1
    (message,) = sent
    assert list(message) == [event_groups.user_group(alice.pk)]
    assert message[event_groups.user_group(alice.pk)]["events"][0]["data"]["transaction_pk"] == event.transaction_pk
