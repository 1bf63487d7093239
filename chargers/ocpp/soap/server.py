"""The CentralSystemService side of 1.6S: one SOAP request in, its answer out, through the one dispatch.

A request is a session of its own (chargers/ocpp/session.py): who sent it (the chargeBoxIdentity header, checked
as a websocket handshake is, Basic auth included), then (charger, action, payload) to `dispatch` exactly as the
websocket transport hands a CALL, and the answer's payload back as the operation's output element. The edge
(views.py) only reads the HTTP request and writes this answer.
"""

from dataclasses import dataclass, field
from datetime import datetime

from channels.db import database_sync_to_async
from django.utils import timezone
from lxml import etree

from chargers.ocpp.dispatch import dispatch
from chargers.ocpp.messages import ErrorCode, OcppError
from chargers.ocpp.soap.codec import dict_to_element, element_to_dict
from chargers.ocpp.soap.envelope import RECEIVER, Envelope, SoapFault, read_envelope, write_envelope, write_fault
from chargers.ocpp.soap.wsdl import CS_NAMESPACE, Operation, service
from chargers.ocpp.soap.xml import local_name, namespace
from chargers.services.soap import charge_point_soap_arrive

Credentials = tuple[str, bytes] | None


@dataclass
class SoapSession:
    """One SOAP request's session, as dispatch and the handlers see it."""

    charge_point_pk: int
    charge_point_ident: str
    registration_status: str
    received_at: datetime
    problems: list[str] = field(default_factory=list)
    profile_traits: object = None


@dataclass(frozen=True)
class SoapAnswer:
    status: int
    body: bytes


def _operation(envelope: Envelope) -> Operation:
    body = envelope.body
    operation = service(CS_NAMESPACE).by_request.get(local_name(body))
    if operation is None or namespace(body) != CS_NAMESPACE:
        raise SoapFault(
            f"{{{namespace(body)}}}{local_name(body)} is not an operation of the CentralSystemService ({CS_NAMESPACE})",
            subcode=ErrorCode.NOT_IMPLEMENTED,
        )
    if envelope.action and envelope.action != operation.input_action:
        raise SoapFault(
            f"wsa:Action {envelope.action[:60]!r} does not match the body ({operation.input_action})",
            subcode=ErrorCode.PROTOCOL_ERROR,
        )
    return operation


async def _session(envelope: Envelope, *, credentials: Credentials, remote_addr: str, path: str) -> SoapSession:
    received_at = timezone.now()
    if not envelope.identity:
        raise SoapFault(
            f"no chargeBoxIdentity header ({CS_NAMESPACE})", subcode=ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION
        )
    if credentials and credentials[0] != envelope.identity:
        raise SoapFault(
            f"Basic auth user {credentials[0][:40]!r} is not the chargeBoxIdentity", subcode=ErrorCode.SECURITY_ERROR
        )
    arrival = await database_sync_to_async(charge_point_soap_arrive)(
        charge_point_id=envelope.identity,
        password=credentials[1] if credentials else None,
        address=envelope.reply_address,
        remote_addr=remote_addr,
        path=path,
    )
    if arrival.charge_point_pk is None:
        raise SoapFault(f"charger refused: {arrival.reason}", subcode=ErrorCode.SECURITY_ERROR)
    return SoapSession(arrival.charge_point_pk, envelope.identity, arrival.registration_status, received_at)


def _fault(error: OcppError) -> SoapFault:
    if error.code == ErrorCode.INTERNAL_ERROR:
        return SoapFault(error.description, subcode=error.code, code=RECEIVER, http_status=500)
    return SoapFault(error.description or error.code, subcode=error.code)


async def soap_answer(*, data: bytes, credentials: Credentials, remote_addr: str, path: str) -> SoapAnswer:
    """The HTTP status and SOAP 1.2 envelope that answer `data`, a charger's request; `credentials` its Basic
    auth (user, password), if it sent one."""
    envelope = None
    try:
        envelope = read_envelope(data, identity_namespace=CS_NAMESPACE)
        operation = _operation(envelope)
        session = await _session(envelope, credentials=credentials, remote_addr=remote_addr, path=path)
        cs = service(CS_NAMESPACE)
        payload = element_to_dict(cs, cs.fields(operation.request), envelope.body)
        try:
            response = await dispatch(session, operation.action, payload, message_id=envelope.message_id)
        except OcppError as error:
            raise _fault(error) from None
        body = etree.Element(f"{{{CS_NAMESPACE}}}{operation.response}", nsmap={"cs": CS_NAMESPACE})
        dict_to_element(cs, cs.fields(operation.response), response, body)
    except SoapFault as fault:
        relates_to = envelope.message_id if envelope is not None else ""
        return SoapAnswer(fault.http_status, write_fault(fault, relates_to=relates_to, subcode_namespace=CS_NAMESPACE))
    return SoapAnswer(200, write_envelope(body, action=operation.output_action, relates_to=envelope.message_id))
