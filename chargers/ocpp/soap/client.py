"""The ChargePointService side of 1.6S: the central system's CALLs POSTed to a SOAP charger, from a worker.

A `SoapChargerSession` is a session (session.py) with calls.py's `call()` and delivery.py's command delivery,
exactly as the websocket consumer has them; only `transmit_call` differs: the CALL becomes the operation's
request envelope (chargeBoxIdentity in urn://Ocpp/Cp/2015/10/, WS-Addressing), POSTed to the charger's address,
and the envelope that comes back becomes the CallResult or CallError. A refused connection is a
ChargerDisconnected (the command fails); no answer within the timeout a TimeoutError (it times out).
"""

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime

import requests
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from lxml import etree

from chargers.commands.selectors import charge_point_has_queued_commands
from chargers.models import Transport
from chargers.ocpp.calls import CallerMixin, ChargerDisconnected
from chargers.ocpp.delivery import CommandDeliveryMixin
from chargers.ocpp.logbook import IN, log_message
from chargers.ocpp.messages import CALLERROR, CALLRESULT, CallError, CallResult, ErrorCode, frame_payload
from chargers.ocpp.soap.codec import dict_to_element, element_to_dict
from chargers.ocpp.soap.envelope import SoapFault, header_element, read_envelope, read_fault, write_envelope
from chargers.ocpp.soap.wsdl import CP_NAMESPACE, service
from chargers.ocpp.soap.xml import CONTENT_TYPE, WSA, WSA_ANONYMOUS, local_name
from chargers.ocpp.writers import writers
from chargers.selectors import soap_charger

logger = logging.getLogger(__name__)

# Seconds to open the TCP connection to a charger: a charger that is not there is known quickly.
CONNECT_TIMEOUT_S = 5.0


def request_envelope(*, action: str, payload: dict, identity: str, address: str, message_id: str) -> bytes:
    """The ChargePointService request for this CALL; the answer is expected in the HTTP response (ReplyTo
    anonymous)."""
    cp = service(CP_NAMESPACE)
    operation = cp.operations[action]
    body = etree.Element(f"{{{CP_NAMESPACE}}}{operation.request}", nsmap={"cp": CP_NAMESPACE})
    dict_to_element(cp, cp.fields(operation.request), payload, body)
    headers = (
        header_element(f"{{{CP_NAMESPACE}}}chargeBoxIdentity", identity),
        header_element(f"{{{WSA}}}To", address),
        header_element(f"{{{WSA}}}ReplyTo", "", header_element(f"{{{WSA}}}Address", WSA_ANONYMOUS)),
    )
    return write_envelope(
        body, action=operation.input_action, message_id=message_id, extra=headers, nsmap={"cp": CP_NAMESPACE}
    )


def read_answer(*, action: str, unique_id: str, status: int, data: bytes) -> CallResult | CallError:
    """The charger's HTTP answer to a CALL: its response element, or its Fault, or what was wrong with it."""
    cp = service(CP_NAMESPACE)
    operation = cp.operations[action]
    try:
        envelope = read_envelope(data, identity_namespace=CP_NAMESPACE)
    except SoapFault as fault:
        reason = f"HTTP {status}: {fault.reason}" if status != 200 else fault.reason
        return CallError(unique_id, ErrorCode.FORMATION_VIOLATION, reason[:255], {})
    fault = read_fault(envelope.body)
    if fault is not None:
        return CallError(unique_id, fault[0], fault[1][:255], {})
    if local_name(envelope.body) != operation.response:
        description = f"answered {local_name(envelope.body)[:60]}, expected {operation.response}"
        return CallError(unique_id, ErrorCode.FORMATION_VIOLATION, description, {})
    return CallResult(unique_id, element_to_dict(cp, cp.fields(operation.response), envelope.body))


def _post(address: str, action: str, data: bytes, timeout: float) -> tuple[int, bytes]:
    """POST in a thread (requests is blocking); connection problems become ChargerDisconnected, a read timeout
    a TimeoutError."""
    try:
        response = requests.post(
            address,
            data=data,
            headers={"Content-Type": f'{CONTENT_TYPE}; action="{action}"'},
            timeout=(CONNECT_TIMEOUT_S, timeout),
            allow_redirects=False,
        )
    except requests.Timeout as error:
        if isinstance(error, requests.ConnectTimeout):
            raise ChargerDisconnected(f"no connection to {address} within {CONNECT_TIMEOUT_S:g}s") from None
        raise TimeoutError(str(error)) from None
    except requests.RequestException as error:
        raise ChargerDisconnected(f"cannot reach {address}: {type(error).__name__}") from None
    return response.status_code, response.content[: 4 * 1024 * 1024]


@dataclass
class SoapChargerSession(CommandDeliveryMixin, CallerMixin):
    """A SOAP charger as the sender sees it: a session (session.py) whose CALLs are POSTs."""

    charge_point_pk: int
    charge_point_ident: str
    registration_status: str
    address: str
    received_at: datetime | None = None
    problems: list[str] = field(default_factory=list)
    profile_traits: object = None
    _closed: bool = False

    async def transmit_call(self, unique_id: str, action: str, payload: dict) -> CallResult | CallError:
        if not self.address:
            raise ChargerDisconnected("no SOAP address: the charger sent no wsa:From and no override is set")
        data = request_envelope(
            action=action,
            payload=payload,
            identity=self.charge_point_ident,
            address=self.address,
            message_id=f"urn:uuid:{unique_id}",
        )
        operation = service(CP_NAMESPACE).operations[action]
        status, answer = await asyncio.to_thread(
            _post, self.address, operation.input_action, data, settings.OCPP_CALL_TIMEOUT
        )
        self.received_at = timezone.now()
        reply = read_answer(action=action, unique_id=unique_id, status=status, data=answer)
        message_type = CALLRESULT if isinstance(reply, CallResult) else CALLERROR
        error = reply.error_code if isinstance(reply, CallError) else ""
        log_message(self, IN, message_type, unique_id, action, frame_payload(reply), error=error)
        return reply


# A sender holds its charger this long at most (then another may start): the longest a delivery of one
# command can take, with room for a few commands in a row; renewed for each command would be finer.
LOCK_SECONDS = 600


# Rounds of "deliver, then look again" one task makes before leaving the rest to beat's housekeeping.
MAX_ROUNDS = 3


async def _deliver(charge_point_pk: int) -> bool:
    """Deliver the charger's queued commands; False when it is not (or no longer) a SOAP charger."""
    charger = await database_sync_to_async(soap_charger)(pk=charge_point_pk)
    if charger is None or charger.transport != Transport.OCPP16_SOAP:
        return False
    session = SoapChargerSession(
        charge_point_pk, charger.charge_point_id, charger.registration_status, charger.soap_endpoint
    )
    try:
        session._delivery_wanted = True
        await session._deliver_queued()
    finally:
        # The message log is written by a group commit of this (short-lived) event loop: finish it here.
        await writers().message_log.drain()
    return True


def soap_commands_deliver(*, charge_point_pk: int) -> bool:
    """Send a SOAP charger's queued commands, oldest first, one at a time (the OCPP rule of one outstanding CALL
    per charger holds across workers: one sender per charger, by a lock in Redis). False when another sender
    already holds the charger: it claims the newly queued command itself, as it claims until none is left."""
    lock = f"soap-sender:{charge_point_pk}"
    for _ in range(MAX_ROUNDS):
        if not cache.add(lock, uuid.uuid4().hex, timeout=LOCK_SECONDS):
            return False
        try:
            soap = async_to_sync(_deliver)(charge_point_pk)
        finally:
            cache.delete(lock)
        # A command queued after this sender's last claim, whose own task found the lock taken: send it too.
        if not soap or not charge_point_has_queued_commands(charge_point_pk=charge_point_pk):
            break
    return True
