"""The integrators' event stream (ws/api/v1/events/) against a real daphne: API keys, the events asked for, the
webhook envelopes, refusals with a reason, and a revoked key's stream closed."""

import asyncio
import json
import uuid

import pytest
import websockets
from django.contrib.auth.models import Permission
from websockets.exceptions import ConnectionClosed

from chargers.services import charge_point_register
from live.access import EVENT_NAMES, EVENT_PERMISSIONS
from portal.models import ApiKey
from portal.services import api_key_create, api_keys_revoke
from rfid.services import id_tag_create
from tests.factories import UserFactory
from tests.simulator import SimulatedCharger, inch_sampled_values, now_iso
from webhooks.models import EVENT_NAMES as WEBHOOK_EVENT_NAMES

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "0123456789abcdef0123456789abcdef01234567"


def operator_key(*codenames: str, scopes: list[str] | None = None, staff: bool = True) -> str:
    user = UserFactory(username=f"int-{uuid.uuid4().hex[:6]}", is_staff=staff)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return api_key_create(user=user, name="stream", scopes=scopes)[1]


def stream_url(portal, query: str = "") -> str:
    return f"ws://127.0.0.1:{portal.port}/ws/api/v1/events/{query}"


async def next_frame(ws, timeout: float = 10) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def refusal(url: str, headers: dict | None = None) -> tuple[dict, int]:
    """The error frame and the close code of a stream the portal refuses."""
    async with websockets.connect(url, additional_headers=headers or {}, open_timeout=10) as ws:
        error = await next_frame(ws)
        with pytest.raises(ConnectionClosed) as closed:
            await next_frame(ws)
    return error, closed.value.rcvd.code


def test_an_integrator_hears_the_events_it_asked_for_as_webhook_envelopes(open_portal) -> None:
    key = operator_key("view_chargepoint", "view_transaction")
    cp = charge_point_register(charge_point_id=f"INT-{uuid.uuid4().hex[:8]}", auth_key=KEY)
    id_tag_create(id_tag="1E1E1E1E")
    asked = "?events=meter_values,transaction.started,command.finished,no.such.event"

    async def scenario():
        headers = {"Authorization": f"Token {key}"}
        async with websockets.connect(stream_url(open_portal, asked), additional_headers=headers) as ws:
            subscribed = await next_frame(ws)
            async with SimulatedCharger(open_portal.ocpp_url, cp.charge_point_id, password=KEY) as sim:
                await sim.boot()  # charger.online: not asked for
                await sim.status(1, "Charging")  # charger.status: not asked for
                tx = (await sim.start(1, "1E1E1E1E", 1000))["transactionId"]
                started = await next_frame(ws)
                values = [{"timestamp": now_iso(), "sampledValue": inch_sampled_values(2.0, 2.45)}]
                await sim.call("MeterValues", {"connectorId": 1, "transactionId": tx, "meterValue": values})
                reading = await next_frame(ws)
        return tx, subscribed, started, reading

    tx, subscribed, started, reading = asyncio.run(scenario())
    assert subscribed["type"] == "subscribed" and subscribed["events"] == ["meter_values", "transaction.started"]
    # command.finished needs the permission to view commands, which this key's user lacks.
    assert subscribed["refused"] == ["command.finished", "no.such.event"]
    assert set(started) == {"event", "id", "created", "data"} and started["event"] == "transaction.started"
    assert {"transaction_pk": tx, "charge_point_id": cp.charge_point_id, "meter_start_wh": 1000}.items() <= started[
        "data"
    ].items()
    assert reading["event"] == "meter_values" and reading["data"]["transaction_pk"] == tx
    assert float(reading["data"]["power_w"]) == pytest.approx(7350) and reading["id"] != started["id"]


def test_a_key_in_the_query_string_works_and_other_keys_are_refused_with_a_reason(open_portal) -> None:
    good = operator_key("view_chargepoint")
    unscoped = operator_key("view_chargepoint", scopes=["commands"])
    customers = operator_key(staff=False)

    async def scenario():
        async with websockets.connect(stream_url(open_portal, f"?token={good}&events=charger.online")) as ws:
            subscribed = await next_frame(ws)
        results = [subscribed]
        results.append(await refusal(stream_url(open_portal)))
        results.append(await refusal(stream_url(open_portal), {"Authorization": "Token " + "0" * 40}))
        results.append(await refusal(stream_url(open_portal, f"?token={unscoped}")))
        results.append(await refusal(stream_url(open_portal, f"?token={customers}")))
        return results

    subscribed, missing, wrong, unscoped_refusal, customer_refusal = asyncio.run(scenario())
    assert subscribed["events"] == ["charger.online"] and subscribed["refused"] == []
    assert missing[1] == 4401 and missing[0]["status"] == 401 and "Token" in missing[0]["detail"]
    assert wrong[1] == 4401 and "Invalid" in wrong[0]["detail"]
    assert unscoped_refusal[1] == 4403 and "'read'" in unscoped_refusal[0]["detail"]
    assert customer_refusal[1] == 4403 and "operators" in customer_refusal[0]["detail"]


def test_a_revoked_key_has_its_open_stream_closed(open_portal) -> None:
    # open_portal checks keys every 0.5 s (LIVE_API_KEY_CHECK_S; 30 s by default).
    key = operator_key("view_chargepoint")

    async def scenario():
        headers = {"Authorization": f"Token {key}"}
        async with websockets.connect(stream_url(open_portal), additional_headers=headers) as ws:
            subscribed = await next_frame(ws)
            await asyncio.sleep(0.7)  # a check that finds the key valid leaves the stream open
            await asyncio.wait_for(await ws.ping(), 5)
            await asyncio.to_thread(api_keys_revoke, keys=ApiKey.objects.all())
            frames = []
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    frames.append(await next_frame(ws, timeout=5))
        return subscribed, frames, closed.value.rcvd.code

    subscribed, frames, code = asyncio.run(scenario())
    assert "charger.online" in subscribed["events"] and subscribed["heartbeat_s"] == 15
    assert frames == [{"type": "error", "status": 401, "detail": "This API key has been revoked."}]
    assert code == 4401


def test_the_api_documentation_tells_integrators_how_to_open_the_stream(client) -> None:
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get("/api/v1/schema/", {"format": "json"})
    description = response.json()["info"]["description"]
    assert "/ws/api/v1/events/" in description and "Authorization: Token <key>" in description
    assert "?token=<key>" in description and "4401" in description and "heartbeat" in description
    assert all(f"| `{name}` |" in description for name in EVENT_NAMES)


def test_the_stream_offers_exactly_the_webhooks_events_each_behind_a_view_permission() -> None:
    assert set(EVENT_NAMES) == set(WEBHOOK_EVENT_NAMES)
    assert EVENT_PERMISSIONS["meter_values"] == "transactions.view_transaction"
    assert EVENT_PERMISSIONS["command.finished"] == "chargers.view_command"
    assert EVENT_PERMISSIONS["charger.status"] == "chargers.view_chargepoint"
