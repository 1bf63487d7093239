"""The OCPP-J 1.6 websocket endpoint: one consumer per connected charger.

A frame is parsed, checked against its compiled schema and handed to its thin handler; the answer goes out
when the handler's writes are committed. Outgoing CALLs (remote commands, chargers/ocpp/delivery.py) run in
their own task through `call()`, one at a time per charger; they never run inside a frame or event handler, or
the reply could never be read. A channel-layer outage leaves the charger's socket open (core/layer_resilience.py).
"""

import asyncio
import base64
import binascii
import logging
import time
import uuid
from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import timezone

from chargers import services
from chargers.models import Direction
from chargers.ocpp.closing import CLOSE_MESSAGE_TOO_BIG, FRAME_TOO_BIG, FRAME_TOO_BIG_PROBLEM
from chargers.ocpp.delivery import ChargerDisconnected, CommandDeliveryMixin
from chargers.ocpp.failures import log_handler_failure
from chargers.ocpp.frames import (
    CALL,
    CALLERROR,
    CALLRESULT,
    Call,
    CallError,
    CallResult,
    ErrorCode,
    FrameError,
    OcppError,
    call_error_frame,
    call_frame,
    call_result_frame,
    frame_payload,
    parse_frame,
)
from chargers.ocpp.handlers import HANDLERS, check_registration
from chargers.ocpp.handshake import SUBPROTOCOL, handshake_problem
from chargers.ocpp.redaction import redact
from chargers.ocpp.schemas import KNOWN_ACTIONS, validate_request, validate_response
from chargers.ocpp.writers import writers
from chargers.services.message_log import LogEntry
from core.layer_resilience import LayerResilientMixin

logger = logging.getLogger(__name__)

# Close code for a session that a newer connection of the same charger replaced (daphne passes 3000-4999).
CLOSE_REPLACED = 4001
MAX_RAW_LOG = 10_000


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


class OcppConsumer(CommandDeliveryMixin, LayerResilientMixin, AsyncWebsocketConsumer):
    charge_point_pk: int | None = None
    charge_point_ident: str = ""
    registration_status: str = ""
    _last_seen_written: float = 0.0
    _call_lock: asyncio.Lock | None = None
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
        ident = self.scope["url_route"]["kwargs"].get("charge_point_id", "")
        remote_addr = (self.scope.get("client") or ("", 0))[0] or ""
        reason = handshake_problem(ident=ident, subprotocols=self.scope.get("subprotocols", []))
        charge_point = None
        if not reason:
            credentials = basic_auth(self.scope.get("headers", []))
            if credentials and credentials[0] != ident:
                reason = f"Basic auth user {credentials[0][:40]!r} is not the charge point id"
            else:
                decision = await database_sync_to_async(services.charge_point_authenticate)(
                    charge_point_id=ident, password=credentials[1] if credentials else None
                )
                reason, charge_point = decision.reason, decision.charge_point
        if reason:
            await database_sync_to_async(services.connection_attempt_log)(
                charge_point_ident=ident,
                reason=reason,
                remote_addr=remote_addr,
                path=self.scope.get("path", ""),
            )
            await self.close()  # before accept: the handshake is refused (HTTP 403)
            return
        self.charge_point_pk = charge_point.pk
        self.charge_point_ident = ident
        self.registration_status = charge_point.registration_status
        connected = await database_sync_to_async(services.charge_point_connected)(
            charge_point=charge_point, channel_name=self.channel_name, remote_addr=remote_addr
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
            self._log(Direction.IN, None, "", "", None, error=FRAME_TOO_BIG, problems=FRAME_TOO_BIG_PROBLEM)
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
            self._log(
                Direction.IN,
                error.message_type,
                error.unique_id,
                "",
                None,
                raw=text,
                error=error.code,
                problems=error.description,
            )
            if error.message_type not in (CALLRESULT, CALLERROR):
                await self._send(
                    error.unique_id,
                    "",
                    call_error_frame(error.unique_id, error.code, error.description),
                    CALLERROR,
                    {"errorCode": error.code},
                )
            return
        if isinstance(frame, Call):
            await self._handle_call(frame)
        else:
            self._handle_reply(frame)

    async def _handle_call(self, frame: Call) -> None:
        self.problems: list[str] = []
        action = frame.action
        try:
            handler = HANDLERS.get(action)
            if handler is None:
                raise OcppError(
                    ErrorCode.NOT_SUPPORTED if action in KNOWN_ACTIONS else ErrorCode.NOT_IMPLEMENTED,
                    f"{action} is {'not supported' if action in KNOWN_ACTIONS else 'not a known action'}",
                )
            check_registration(self, action)
            validate_request(action, frame.payload)
            response = await handler(self, frame.payload)
            validate_response(action, response)
        except OcppError as error:
            self._log(
                Direction.IN,
                CALL,
                frame.unique_id,
                action,
                frame.payload,
                error=error.code,
                problems=error.description,
            )
            await self._send(
                frame.unique_id,
                action,
                call_error_frame(frame.unique_id, error.code, error.description, error.details),
                CALLERROR,
                {"errorCode": error.code, "errorDescription": error.description},
            )
            return
        except Exception as error:
            log_handler_failure(charge_point_ident=self.charge_point_ident, action=action, error=error)
            self._log(Direction.IN, CALL, frame.unique_id, action, frame.payload, error=ErrorCode.INTERNAL_ERROR)
            await self._send(
                frame.unique_id,
                action,
                call_error_frame(
                    frame.unique_id,
                    ErrorCode.INTERNAL_ERROR,
                    "The portal failed to process this message; please retry",
                ),
                CALLERROR,
                {"errorCode": ErrorCode.INTERNAL_ERROR},
            )
            return
        self._log(Direction.IN, CALL, frame.unique_id, action, frame.payload, problems="; ".join(self.problems))
        await self._send(frame.unique_id, action, call_result_frame(frame.unique_id, response), CALLRESULT, response)

    def _handle_reply(self, frame: CallResult | CallError) -> None:
        waiting = self._waiting
        action = waiting[1] if waiting and waiting[0] == frame.unique_id else ""
        message_type = CALLRESULT if isinstance(frame, CallResult) else CALLERROR
        problems = "" if action else "reply to no outstanding CALL, ignored"
        self._log(
            Direction.IN,
            message_type,
            frame.unique_id,
            action,
            frame_payload(frame),
            problems=problems,
            error=frame.error_code if isinstance(frame, CallError) else "",
        )
        if action and not waiting[2].done():
            waiting[2].set_result(frame)

    # --- Frames out -------------------------------------------------------------------------------------

    async def call(
        self, action: str, payload: dict, timeout: float = 30.0, unique_id: str | None = None
    ) -> CallResult | CallError:
        """Send a CALL and wait for its answer. Run it in its own task, never inside receive() or an event
        handler. Raises TimeoutError, ChargerDisconnected, or OcppError for a payload that breaks the schema."""
        validate_request(action, payload)
        if self._call_lock is None:
            self._call_lock = asyncio.Lock()
        async with self._call_lock:
            unique_id = unique_id or str(uuid.uuid4())
            future = asyncio.get_running_loop().create_future()
            self._waiting = (unique_id, action, future)
            try:
                await self._send(unique_id, action, call_frame(unique_id, action, payload), CALL, payload)
                return await asyncio.wait_for(future, timeout)
            finally:
                self._waiting = None

    async def _send(self, unique_id: str, action: str, text: str, message_type: int, payload: Any) -> None:
        self._log(Direction.OUT, message_type, unique_id, action, payload)
        await self.send(text_data=text)

    # --- Bookkeeping ------------------------------------------------------------------------------------

    def _touch(self) -> None:
        now = time.monotonic()
        if now - self._last_seen_written >= settings.OCPP_LAST_SEEN_RESOLUTION:
            self._last_seen_written = now
            writers().last_seen.submit_nowait((self.charge_point_pk, timezone.now()))

    def _log(
        self,
        direction: str,
        message_type: int | None,
        unique_id: str,
        action: str,
        payload: Any,
        *,
        raw: str = "",
        error: str = "",
        problems: str = "",
    ) -> None:
        writers().message_log.submit_nowait(
            LogEntry(
                self.charge_point_pk,
                self.charge_point_ident,
                direction,
                message_type,
                (unique_id or "")[:64],
                action[:50],
                redact(action, payload),
                raw[:MAX_RAW_LOG],
                error[:40],
                problems,
                self.received_at if direction == Direction.IN else timezone.now(),
            )
        )


class RefusedConsumer(AsyncWebsocketConsumer):
    """Any websocket path that is not an OCPP endpoint: refuse it, and say why in the connection log."""

    async def connect(self) -> None:
        path = self.scope.get("path", "")
        remote_addr = (self.scope.get("client") or ("", 0))[0] or ""
        await database_sync_to_async(services.connection_attempt_log)(
            charge_point_ident="",
            reason="bad URL: expected /ocpp/<charge point id>",
            remote_addr=remote_addr,
            path=path,
        )
        await self.close()
