"""A browser's live feed, spoken over a real websocket to a real daphne (what static/js/live.js does)."""

import asyncio
import json
from collections.abc import Callable

import websockets
from django.contrib.auth.models import AbstractBaseUser
from django.test import Client


def session_cookie(user: AbstractBaseUser) -> str:
    """The Cookie header of a browser logged in as `user` (a real session in the test database)."""
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


class LiveClient:
    def __init__(self, portal, *, cookie: str = "", origin: str | None = None) -> None:
        self.url = f"ws://127.0.0.1:{portal.port}/ws/live/"
        headers = {"Origin": origin or portal.http_url}
        if cookie:
            headers["Cookie"] = cookie
        self.headers = headers
        self.ws = None

    async def __aenter__(self) -> "LiveClient":
        self.ws = await websockets.connect(self.url, additional_headers=self.headers, open_timeout=10)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.ws.close()

    async def watch(self, feeds: list[str], share: str | None = None) -> tuple[dict, dict]:
        """Ask for `feeds`; returns the `watching` answer and the snapshot that follows it."""
        message = {"watch": feeds}
        if share is not None:
            message["share"] = share
        await self.ws.send(json.dumps(message))
        watching = await self.next("watching")
        snapshot = await self.next("snapshot")
        return watching, snapshot

    async def next(self, kind: str, timeout: float = 10) -> dict:
        async with asyncio.timeout(timeout):
            while True:
                message = json.loads(await self.ws.recv())
                if message["type"] == kind:
                    return message

    async def events(self, name: str, where: Callable[[dict], bool] = bool, timeout: float = 10) -> list[dict]:
        """The data of the next events named `name` that `where` accepts (skipping others and heartbeats)."""
        async with asyncio.timeout(timeout):
            while True:
                message = await self.next("events", timeout)
                found = [e["data"] for e in message["events"] if e["event"] == name and where(e["data"])]
                if found:
                    return found

    async def nothing_for(self, seconds: float) -> list[dict]:
        """Every events message within `seconds` (a test expects none)."""
        received = []
        try:
            async with asyncio.timeout(seconds):
                while True:
                    message = json.loads(await self.ws.recv())
                    if message["type"] == "events":
                        received.append(message)
        except TimeoutError:
            pass
        return received
