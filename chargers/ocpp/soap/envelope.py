"""SOAP 1.2 envelopes with WS-Addressing 2005/08, both ways: read a request (the charger's, or the answer a
charger gives to our request) and write an answer, a fault, or a request of our own.

Errors are `SoapFault`s that already know their fault code, subcode and HTTP status, so that the edges only
write them out (envelopes.py never guesses what went wrong from an exception type).
"""

import uuid
from dataclasses import dataclass, field

from lxml import etree

from chargers.ocpp.messages import ErrorCode
from chargers.ocpp.soap.xml import SOAP11, SOAP12, WSA, WSA_ANONYMOUS, WSA_NONE, local_name, namespace, parse_xml

SENDER, RECEIVER, VERSION_MISMATCH = "Sender", "Receiver", "VersionMismatch"


class SoapFault(Exception):
    """An error answered as a SOAP 1.2 Fault: `code` Sender (bad input, HTTP 400), Receiver (our failure, 500)
    or VersionMismatch (a SOAP 1.1 envelope, 415); `subcode` the OCPP error code when there is one."""

    def __init__(self, reason: str, *, subcode: str = "", code: str = SENDER, http_status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason[:255]
        self.subcode = subcode
        self.code = code
        self.http_status = http_status


@dataclass
class Envelope:
    """What an envelope says: its WS-Addressing headers, the charge box identity and the body's element."""

    body: etree._Element
    identity: str = ""
    action: str = ""
    message_id: str = ""
    relates_to: str = ""
    reply_address: str = ""  # wsa:ReplyTo when it names one, else wsa:From: where the charger is called
    headers: dict[str, str] = field(default_factory=dict)


def _header_text(header: etree._Element | None, tag: str) -> str:
    if header is None:
        return ""
    found = header.find(tag)
    return (found.text or "").strip() if found is not None else ""


def _address(header: etree._Element | None, name: str) -> str:
    address = _header_text(header, f"{{{WSA}}}{name}/{{{WSA}}}Address")
    return "" if address in ("", WSA_ANONYMOUS, WSA_NONE) else address


def read_envelope(data: bytes, *, identity_namespace: str) -> Envelope:
    """The envelope of `data`; raises SoapFault for anything that is not one SOAP 1.2 envelope with one body
    element."""
    try:
        root = parse_xml(data)
    except (etree.XMLSyntaxError, ValueError) as error:
        raise SoapFault(f"not well-formed XML: {error}", subcode=ErrorCode.FORMATION_VIOLATION) from None
    if namespace(root) == SOAP11:
        raise SoapFault(
            "SOAP 1.1 envelope: OCPP 1.6 SOAP is SOAP 1.2 (http://www.w3.org/2003/05/soap-envelope)",
            code=VERSION_MISMATCH,
            http_status=415,
        )
    if root.tag != f"{{{SOAP12}}}Envelope":
        raise SoapFault("not a SOAP 1.2 Envelope", subcode=ErrorCode.FORMATION_VIOLATION)
    header = root.find(f"{{{SOAP12}}}Header")
    body = root.find(f"{{{SOAP12}}}Body")
    elements = [child for child in body if isinstance(child.tag, str)] if body is not None else []
    if len(elements) != 1:
        raise SoapFault("the Body must hold exactly one element", subcode=ErrorCode.FORMATION_VIOLATION)
    return Envelope(
        body=elements[0],
        identity=_header_text(header, f"{{{identity_namespace}}}chargeBoxIdentity"),
        action=_header_text(header, f"{{{WSA}}}Action"),
        message_id=_header_text(header, f"{{{WSA}}}MessageID"),
        relates_to=_header_text(header, f"{{{WSA}}}RelatesTo"),
        reply_address=_address(header, "ReplyTo") or _address(header, "From"),
    )


def new_message_id() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def header_element(tag: str, text: str = "", *children: etree._Element) -> etree._Element:
    """A header block (or a part of one) for `write_envelope`'s `extra`."""
    element = etree.Element(tag)
    element.text = text or None
    element.extend(children)
    return element


def write_envelope(
    body: etree._Element,
    *,
    action: str,
    relates_to: str = "",
    message_id: str = "",
    extra: tuple[etree._Element, ...] = (),
    nsmap: dict | None = None,
) -> bytes:
    """An envelope around `body` with the `extra` header blocks, wsa:Action, wsa:MessageID and wsa:RelatesTo
    (when answering)."""
    root = etree.Element(f"{{{SOAP12}}}Envelope", nsmap={"soap": SOAP12, "wsa": WSA, **(nsmap or {})})
    header = etree.SubElement(root, f"{{{SOAP12}}}Header")
    header.extend(extra)
    header.append(header_element(f"{{{WSA}}}Action", action))
    header.append(header_element(f"{{{WSA}}}MessageID", message_id or new_message_id()))
    if relates_to:
        header.append(header_element(f"{{{WSA}}}RelatesTo", relates_to))
    etree.SubElement(root, f"{{{SOAP12}}}Body").append(body)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


FAULT_ACTION = f"{WSA}/soap/fault"


def write_fault(fault: SoapFault, *, relates_to: str = "", subcode_namespace: str = "") -> bytes:
    """A SOAP 1.2 Fault: Code (env:Sender, env:Receiver or env:VersionMismatch), the OCPP error code as its
    Subcode, and the reason."""
    nsmap = {"ocpp": subcode_namespace} if subcode_namespace and fault.subcode else {}
    element = etree.Element(f"{{{SOAP12}}}Fault", nsmap={"soap": SOAP12, **nsmap})
    code = etree.SubElement(element, f"{{{SOAP12}}}Code")
    etree.SubElement(code, f"{{{SOAP12}}}Value").text = f"soap:{fault.code}"
    if fault.subcode:
        subcode = etree.SubElement(code, f"{{{SOAP12}}}Subcode")
        value = f"ocpp:{fault.subcode}" if subcode_namespace else fault.subcode
        etree.SubElement(subcode, f"{{{SOAP12}}}Value").text = value
    reason = etree.SubElement(element, f"{{{SOAP12}}}Reason")
    text = etree.SubElement(reason, f"{{{SOAP12}}}Text")
    text.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
    text.text = fault.reason
    return write_envelope(element, action=FAULT_ACTION, relates_to=relates_to, nsmap=nsmap)


def read_fault(body: etree._Element) -> tuple[str, str] | None:
    """(OCPP error code, reason) of a Fault body, or None for any other body."""
    if body.tag != f"{{{SOAP12}}}Fault":
        return None
    subcode = body.findtext(f"{{{SOAP12}}}Code/{{{SOAP12}}}Subcode/{{{SOAP12}}}Value") or ""
    code = subcode.rpartition(":")[2]
    reason = body.findtext(f"{{{SOAP12}}}Reason/{{{SOAP12}}}Text") or ""
    return (code if code in ErrorCode.ALL else ErrorCode.GENERIC_ERROR), reason.strip()


__all__ = [
    "RECEIVER",
    "SENDER",
    "VERSION_MISMATCH",
    "Envelope",
    "SoapFault",
    "header_element",
    "local_name",
    "new_message_id",
    "read_envelope",
    "read_fault",
    "write_envelope",
    "write_fault",
]
