"""The yardstick of `benchmarks/tx_load.py --bare`: a bare Channels consumer served by daphne, no database.

    python -m portal.daphne_server ... benchmarks.bare_consumer:application

It accepts any charger on /ocpp/<id> with the ocpp1.6 subprotocol (no Basic-auth check, no registration) and
answers every CALL at once with a valid reply of its action (an increasing transactionId, idTagInfo Accepted):
what daphne, autobahn, Twisted and Channels cost per call without the portal's work. The ratio of the portal's
calls/s to this one's, measured in the same run on the same machine, is the figure the load on the machine
distorts least.
"""

import itertools
import json
import os
from datetime import UTC, datetime

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django.setup()  # channels' consumers read Django's settings; nothing here touches the database

from channels.consumer import get_handler_name  # noqa: E402  (after django.setup)
from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import re_path  # noqa: E402

_transaction_ids = itertools.count(1)
ACCEPTED = {"status": "Accepted"}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def reply(action: str) -> dict:
    """A valid CALLRESULT payload for each charger-initiated action of OCPP 1.6."""
    if action == "BootNotification":
        return {"status": "Accepted", "currentTime": _now(), "interval": 300}
    if action == "Heartbeat":
        return {"currentTime": _now()}
    if action == "StartTransaction":
        return {"transactionId": next(_transaction_ids), "idTagInfo": ACCEPTED}
    if action in ("Authorize", "StopTransaction"):
        return {"idTagInfo": ACCEPTED}
    if action == "DataTransfer":
        return {"status": "UnknownVendorId"}
    return {}


class BareConsumer(AsyncWebsocketConsumer):
    async def dispatch(self, message: dict) -> None:
        # As the portal's consumer: no hop to the database thread before every message (there is no database).
        await getattr(self, get_handler_name(message))(message)

    async def connect(self) -> None:
        await self.accept("ocpp1.6")

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        frame = json.loads(text_data or bytes_data or b"[]")
        if len(frame) == 4 and frame[0] == 2:
            await self.send(text_data=json.dumps([3, frame[1], reply(frame[2])]))


application = ProtocolTypeRouter(
    {"websocket": URLRouter([re_path(r"^ocpp/(?P<charge_point_id>[^/]+)$", BareConsumer.as_asgi())])}
)
