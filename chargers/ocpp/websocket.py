"""The OCPP-J 1.6 websocket transport: one consumer per connected charger.

One transport over the protocol room: frames in, `dispatch` (dispatch.py: registration, schemas, handler, errors,
message log), frames out; the answer goes out once the handler's writes are committed. Outgoing CALLs (remote
commands, delivery.py) go through `call()` (calls.py), one at a time per charger, in their own task; this
transport only sends the frame and hands back the reply with the same id. They never run inside a frame or
event handler, or the reply could never be read. A channel-layer outage leaves the charger's socket open
(core/layer_resilience.py).
"""

import asyncio
import base64
import binascii
import logging
import time

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import timezone

from chargers import services
from chargers.ocpp.calls import CallerMixin, ChargerDisconnected
from chargers.ocpp.closing import CLOSE_MESSAGE_TOO_BIG, FRAME_TOO_BIG, FRAME_TOO_BIG_PROBLEM
from chargers.ocpp.delivery import CommandDeliveryMixin
from chargers.ocpp.dispatch import dispatch as dispatch_call
from chargers.ocpp.frames import (
    CALLERROR,
    CALLRESULT,
    Call,
    CallError,
    CallResult,
    FrameError,
    OcppError,
    call_error_frame,
    call_frame,
    call_result_frame,
    frame_payload,
    parse_frame,
)
from chargers.ocpp.handshake import SUBPROTOCOL, handshake_problem
from chargers.ocpp.logbook import IN, OUT, log_message
from chargers.ocpp.writers import writers
from core.layer_resilience import LayerResilientMixin
from core.transport_security import transport_security

logger = logging.getLogger(__name__)

# Close code for a session that a newer connection of the same charger replaced (daphne passes 3000-4999).
CLOSE_REPLACED = 4001


def basic_auth(headers: list[tuple[bytes, bytes]]) -> tuple[str, bytes] | None:
    """(user, password bytes) from an Authorization: Basic header; the password may be raw bytes."""
    for name, value in headers:
        if name.lower() != b"authorization":
            continue
        scheme, _, encoded = value.partition(b" ")
        if scheme.lower() != b"basic":
            return None
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            return None
        user, sep, password = decoded.partition(b":")
        if not sep:
            return None
        return user.decode("utf-8", "replace"), password
    return None


class OcppConsumer(CommandDeliveryMixin, CallerMixin, LayerResilientMixin, AsyncWebsocketConsumer):
    """A session (chargers/ocpp/session.py) over OCPP-J."""

    charge_point_pk: int | None = None
    charge_point_ident: str = ""
    registration_status: str = ""
    _last_seen_written: float = 0.0
    _waiting: tuple[str, str, asyncio.Future] | None = None
    _closed: bool = False
    received_at = None
    profile_traits = None

    async def dispatch(self, message: dict) -> None:
        """Channels closes stale database connections before every message, a hop to the database thread per
        frame; every database call here goes through database_sync_to_async, which does that itself."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    # --- Handshake --------------------------------------------------------------------------------------

    async def connect(self) -> None:
        """The handshake's database work goes through group commits (chargers/ocpp/writers.py): a reconnect
        storm costs a lookup, a takeover and the charger.online subscribers per batch, not per charger."""
        ident = self.scope["url_route"]["kwargs"].get("charge_point_id", "")
        remote_addr = (self.scope.get("client") or ("", 0))[0] or ""
        reason = handshake_problem(ident=ident, subprotocols=self.scope.get("subprotocols", []))
        charge_point = None
        if not reason:
            credentials = basic_auth(self.scope.get("headers", []))
            if credentials and credentials[0] != ident:
                reason = f"Basic auth user {credentials[0][:40]!r} is not the charge point id"
            else:
                security = transport_security(self.scope.get("headers", []))
                password = credentials[1] if credentials else None
                decision = await writers().handshakes.submit(services.HandshakeAttempt(ident, password, security))
                reason, charge_point = decision.reason, decision.charge_point
        if reason:
            await writers().refusals.submit(
                services.RefusedAttempt(ident, reason, remote_addr, self.scope.get("path", ""))
            )
            await self.close()  # before accept: the handshake is refused (HTTP 403)
            return
        self.charge_point_pk = charge_point.pk
        self.charge_point_ident = ident
        self.registration_status = charge_point.registration_status
        connected = await writers().connects.submit(
            services.Arrival(charge_point.pk, self.channel_name, ident, remote_addr)
        )
        self._last_seen_written = time.monotonic()
        await self.accept(SUBPROTOCOL)
        if connected.replaced_channel:
            # The old session may live in another daphne process: tell it through the channel layer.
            self.layer_send_soon(connected.replaced_channel, {"type": "ocpp.replaced"})
        if connected.has_queued_commands:
            # Commands queued while the charger was away go out now, in order.
            self._deliver()

    async def disconnect(self, code: int) -> None:
        if self.charge_point_pk is None:
            return
        self._closed = True
        if code == CLOSE_MESSAGE_TOO_BIG:
            logger.warning("charger %s: %s", self.charge_point_ident, FRAME_TOO_BIG_PROBLEM)
            self.received_at = timezone.now()
            log_message(self, IN, None, "", "", None, error=FRAME_TOO_BIG, problems=FRAME_TOO_BIG_PROBLEM)
        if self._waiting is not None and not self._waiting[2].done():
            self._waiting[2].set_exception(ChargerDisconnected(f"socket closed ({code}) while waiting"))
        await writers().disconnects.submit(
            services.Departure(self.charge_point_pk, self.channel_name, self.charge_point_ident)
        )

    # --- Channel-layer events ---------------------------------------------------------------------------

    async def ocpp_replaced(self, event: dict) -> None:
        logger.info("charger %s reconnected elsewhere: closing the old session", self.charge_point_ident)
        await self.close(code=CLOSE_REPLACED)

    async def ocpp_registration(self, event: dict) -> None:
        self.registration_status = event["status"]

    async def ocpp_profile(self, event: dict) -> None:
        self.profile_traits = None  # an operator chose another model profile: read its traits again

    # --- Frames in --------------------------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        text = text_data if text_data is not None else (bytes_data or b"").decode("utf-8", "replace")
        self.received_at = timezone.now()
        self._touch()
        try:
            frame = parse_frame(text)
        except FrameError as error:
            await self._refuse(error, text)
            return
        if isinstance(frame, Call):
            await self._answer(frame)
        else:
            self._handle_reply(frame)

    async def _refuse(self, error: FrameError, text: str) -> None:
        """A frame that cannot be read: logged as it came, and answered unless it was meant as a reply."""
        problems = error.description
        log_message(
            self, IN, error.message_type, error.unique_id, "", None, raw=text, error=error.code, problems=problems
        )
        if error.message_type not in (CALLRESULT, CALLERROR):
            log_message(self, OUT, CALLERROR, error.unique_id, "", {"errorCode": error.code})
            await self.send(text_data=call_error_frame(error.unique_id, error.code, error.description))

    async def _answer(self, frame: Call) -> None:
        try:
            response = await dispatch_call(self, frame.action, frame.payload, message_id=frame.unique_id)
        except OcppError as error:
            text = call_error_frame(frame.unique_id, error.code, error.description, error.details)
        else:
            text = call_result_frame(frame.unique_id, response)
        await self.send(text_data=text)

    def _handle_reply(self, frame: CallResult | CallError) -> None:
        waiting = self._waiting
        action = waiting[1] if waiting and waiting[0] == frame.unique_id else ""
        message_type = CALLRESULT if isinstance(frame, CallResult) else CALLERROR
        problems = "" if action else "reply to no outstanding CALL, ignored"
        error = frame.error_code if isinstance(frame, CallError) else ""
        log_message(
            self, IN, message_type, frame.unique_id, action, frame_payload(frame), problems=problems, error=error
        )
        if action and not waiting[2].done():
            waiting[2].set_result(frame)

    # --- Frames out -------------------------------------------------------------------------------------

    async def transmit_call(self, unique_id: str, action: str, payload: dict) -> CallResult | CallError:
        """calls.py's raw send: the CALL as a frame, and the reply with the same id (`_handle_reply`)."""
        future = asyncio.get_running_loop().create_future()
        self._waiting = (unique_id, action, future)
        try:
            await self.send(text_data=call_frame(unique_id, action, payload))
            return await future
        finally:
            self._waiting = None

    # --- Bookkeeping ------------------------------------------------------------------------------------

    def _touch(self) -> None:
        now = time.monotonic()
        if now - self._last_seen_written >= settings.OCPP_LAST_SEEN_RESOLUTION:
            self._last_seen_written = now
            writers().last_seen.submit_nowait((self.charge_point_pk, timezone.now()))


class RefusedConsumer(AsyncWebsocketConsumer):
    """Any websocket path that is not an OCPP endpoint: refuse it, and say why in the connection log."""

    async def connect(self) -> None:
        path = self.scope.get("path", "")
        remote_addr = (self.scope.get("client") or ("", 0))[0] or ""
        await writers().refusals.submit(
            services.RefusedAttempt("", "bad URL: expected /ocpp/<charge point id>", remote_addr, path)
        )
        await self.close()
