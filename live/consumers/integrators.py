"""The integrators' event stream: the webhooks' events over one websocket, for clients that would rather not run
an HTTP server (ws/api/v1/events/, wss behind TLS). Described for integrators in live/openapi.py.

- Authentication: an API key with the `read` scope, of an operator, as `Authorization: Token <key>` on the
  upgrade request, or `?token=<key>` for clients that cannot set headers (browsers' WebSocket); the header is
  better (a query string may end up in a proxy's log). Wrong keys count against the address like wrong passwords.
- Which events: `?events=meter_values,transaction.started` (default: every event the key's user may read), or at
  any time the message `{"events": [...]}`; the answer is `{"type": "subscribed", "events": [...], "refused":
  [...], "heartbeat_s": 15.0}`.
- Each event is one text frame holding the webhook body: `{"event", "id", "created", "data"}` (core/events.py
  `envelope`); frames of the portal's own have a `type`: `subscribed`, `heartbeat` (every heartbeat_s), `error`,
  and `resumed` after an outage of the portal's message layer (the events meanwhile are lost: read the state again
  through the REST API).
- Refusals: the socket is accepted, then closed after an `error` frame with 4401 (no, wrong or revoked key),
  4403 (not an operator, or no `read` scope) or 4429 (too many wrong keys from this address). A key revoked while
  its stream is open closes it within LIVE_API_KEY_CHECK_S (default 30 s).
"""

import asyncio
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.conf import settings

from core.events import envelope_of
from live import selectors
from live.access import KeyRefused, api_key_may_stream, events_permitted
from live.consumers.feed import FeedConsumer
from portal import login_throttle
from portal.models import ApiKey
from portal.services import api_key_authenticate

TOKEN_KEYWORD = b"token"


class IntegratorConsumer(FeedConsumer):
    api_key: ApiKey | None = None
    events: frozenset[str] = frozenset()

    async def connect(self) -> None:
        # Accepted before the key is checked: a refused handshake reaches the client as a bare HTTP 403, while a
        # close code and an error frame say what is wrong.
        await self.accept()
        try:
            self.api_key = await database_sync_to_async(self._authenticate)()
        except KeyRefused as refused:
            await self._refuse(refused)
            return
        names = self._query().get("events")
        await self._subscribe(names[-1].split(",") if names else None)
        self.start_ticking()
        self.in_background(self._watch_key())

    def _query(self) -> dict[str, list[str]]:
        return parse_qs(self.scope.get("query_string", b"").decode("latin-1"))

    def _presented_key(self) -> str | None:
        for name, value in self.scope.get("headers", []):
            if name == b"authorization":
                keyword, _, key = value.partition(b" ")
                if keyword.lower() == TOKEN_KEYWORD and key.strip():
                    return key.strip().decode("latin-1")
        tokens = self._query().get("token")
        return tokens[-1] if tokens else None

    def _authenticate(self) -> ApiKey:
        address = (self.scope.get("client") or ["unknown"])[0]
        key = self._presented_key()
        if key is None:
            raise KeyRefused(4401, "Authentication credentials were not provided: `Authorization: Token <key>`.")
        if login_throttle.address_wait(address=address):
            raise KeyRefused(4429, login_throttle.TOO_MANY_MESSAGE)
        api_key = api_key_authenticate(key=key)
        if api_key is None:
            login_throttle.failure_record(username=None, address=address)
        api_key_may_stream(api_key=api_key)
        return api_key

    async def _refuse(self, refused: KeyRefused) -> None:
        await self.send_json({"type": "error", "status": refused.code - 4000, "detail": refused.detail})
        await self.close(code=refused.code)

    async def receive_json(self, content, **kwargs) -> None:
        if self.api_key is None:
            return
        if not isinstance(content, dict) or not isinstance(content.get("events"), list):
            await self.send_json({"type": "error", "detail": 'Send {"events": ["meter_values", ...]}.'})
            return
        await self._subscribe(content["events"])

    async def _subscribe(self, names: list | None) -> None:
        decision = await database_sync_to_async(events_permitted)(user=self.api_key.user, names=names)
        self.events = frozenset(feed.name for feed in decision.allowed)
        await self.watch_groups({feed.group for feed in decision.allowed})
        await self.send_json(
            {
                "type": "subscribed",
                "events": [feed.name for feed in decision.allowed],
                "refused": decision.refused,
                "heartbeat_s": settings.LIVE_HEARTBEAT_S,
            }
        )

    async def portal_events(self, message: dict) -> None:
        for item in message["events"]:
            if item["event"] in self.events:
                await self.send_json(envelope_of(name=item["event"], data=item["data"]))

    async def _watch_key(self) -> None:
        """Close the stream once its key is revoked (or its user deactivated): one indexed query per interval."""
        while True:
            await asyncio.sleep(settings.LIVE_API_KEY_CHECK_S)
            if not await database_sync_to_async(selectors.api_key_active)(api_key_pk=self.api_key.pk):
                await self._refuse(KeyRefused(4401, "This API key has been revoked."))
                return

    async def on_layer_restored(self) -> None:
        await self.tell_bus()
        await self.send_json(
            {
                "type": "resumed",
                "detail": "The portal's message layer was away: events published meanwhile are lost; "
                "read the current state through the REST API.",
            }
        )
