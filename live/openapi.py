"""The integrators' event stream in the API's documentation (a drf-spectacular postprocessing hook, named in
settings.SPECTACULAR_SETTINGS): OpenAPI describes HTTP operations, not websockets, so the stream is told in the
schema's description, which Swagger UI and ReDoc show first. The protocol itself is live/consumers/integrators.py.
"""

from live.access import EVENT_NAMES, EVENT_PERMISSIONS

STREAM_PATH = "/ws/api/v1/events/"


def event_stream_description() -> str:
    events = "\n".join(f"| `{name}` | `{EVENT_PERMISSIONS[name]}` |" for name in EVENT_NAMES)
    return f"""

## Live events (websocket)

Every event the webhooks deliver, as it happens, over one websocket: `ws://<host>{STREAM_PATH}` (`wss://` behind
TLS). No HTTP server of your own is needed, and nothing is polled.

**Authentication.** An operator's API key with the `read` scope (`python manage.py api_token <user> --scopes read`,
or made in the browser), either as the
header `Authorization: Token <key>` on the upgrade request (preferred), or as `?token=<key>` in the URL for clients
that cannot set headers (a browser's `WebSocket`); a URL may end up in a proxy's log, a header does not.

**Choosing events.** `?events=meter_values,transaction.started` (comma separated; default: every event the key's
user may read), or at any time send `{{"events": ["charger.status", ...]}}`. The portal answers
`{{"type": "subscribed", "events": [...], "refused": [...], "heartbeat_s": 15.0}}`; a name is refused when it is
unknown or when the key's user lacks the permission that reads its subject:

| event | permission |
| --- | --- |
{events}

**Events.** Each event is one text frame holding exactly the body of a webhook delivery:
`{{"event": "meter_values", "id": "<uuid>", "created": "2026-01-01T12:00:00.000000Z", "data": {{...}}}}`
(`data` as in the webhooks; energy and power as decimal strings). Frames of the portal's own carry a `type`:
`heartbeat` every `heartbeat_s` seconds when nothing else is sent (reconnect when you hear nothing for 2.5 of
them), `error`, and `resumed` after an outage of the portal's message layer (events of that time are lost: read
the current state through this API).

**Refusals.** The socket is accepted and closed after an `error` frame (`{{"type": "error", "status": 401,
"detail": "..."}}`) with close code 4401 (no key, a wrong or revoked key), 4403 (not an operator's key, or no `read`
scope) or 4429 (too many wrong keys from your address). A key revoked while its stream is open closes the stream
within a minute (4401).

```python
import asyncio, json, websockets

async def listen(key):
    async with websockets.connect("wss://portal.example{STREAM_PATH}?events=transaction.started,meter_values",
                                  additional_headers={{"Authorization": f"Token {{key}}"}}) as ws:
        async for frame in ws:
            message = json.loads(frame)
            if "event" in message:
                print(message["event"], message["data"])
```
"""


def event_stream_described(result: dict, generator, request, public) -> dict:
    info = result.setdefault("info", {})
    info["description"] = info.get("description", "") + event_stream_description()
    return result
