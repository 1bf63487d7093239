"""The sending side of every transport: "send this CALL to this charger and give me the answer or the failure".

`CallerMixin.call` is written once: the request's schema check, one outstanding CALL per charger (the OCPP-J
rule), the message-log entry of the CALL, and the timeout, enforced here where the call is made. A transport
only implements `transmit_call`, the raw send and the wait for the answer (the websocket consumer sends a frame
and waits for the reply with the same id; a SOAP transport would POST to the charger). The command delivery
(delivery.py) calls `call` and knows no transport.
"""

import asyncio
import uuid

from chargers.ocpp.logbook import OUT, log_message
from chargers.ocpp.messages import CALL, CallError, CallResult
from chargers.ocpp.schemas import validate_request


class ChargerDisconnected(Exception):
    """The charger's connection closed while a CALL waited for its answer."""


class CallerMixin:
    """For a session (chargers/ocpp/session.py) of a transport that implements `transmit_call`."""

    _call_lock: asyncio.Lock | None = None

    async def call(
        self, action: str, payload: dict, timeout: float = 30.0, unique_id: str | None = None
    ) -> CallResult | CallError:
        """Send a CALL and wait for its answer. Run it in its own task, never inside the handling of a message or
        an event, or the answer could never be read. Raises TimeoutError, ChargerDisconnected, or OcppError for
        a payload that breaks the schema (nothing is sent then)."""
        validate_request(action, payload)
        if self._call_lock is None:
            self._call_lock = asyncio.Lock()
        async with self._call_lock:
            unique_id = unique_id or str(uuid.uuid4())
            log_message(self, OUT, CALL, unique_id, action, payload)
            return await asyncio.wait_for(self.transmit_call(unique_id, action, payload), timeout)

    async def transmit_call(self, unique_id: str, action: str, payload: dict) -> CallResult | CallError:
        """The transport's part: send the CALL, return the answer (logging it as it arrives: only the transport
        knows when it did). Cancelled at the timeout; raises ChargerDisconnected when the connection closes."""
        raise NotImplementedError
