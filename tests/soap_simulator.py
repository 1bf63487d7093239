"""A charger simulator that speaks OCPP 1.6 SOAP (tests and benchmarks).

Its requests are built by zeep from the official CentralSystemService WSDL (SOAP 1.2 binding, WS-Addressing),
not by the portal's own codec, so a test sees what a real SOAP charger would send and parse. It runs a small
HTTP server on a free port for the central system's calls (ChargePointService) and answers them as an INCH
would (Accepted unless told otherwise), reading each request with lxml by the WSDL's element names.
"""

import threading
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests
from lxml import etree
from zeep import Client, Plugin, Settings
from zeep.helpers import serialize_object
from zeep.transports import Transport
from zeep.wsa import WsAddressingPlugin

from tests.simulator import DEFAULT_ANSWERS

WSDL_DIR = Path(__file__).resolve().parent.parent / "chargers" / "ocpp" / "soap" / "wsdl"
CS_WSDL = WSDL_DIR / "OCPP_CentralSystemService_1.6.wsdl"
CS = "urn://Ocpp/Cs/2015/10/"
CP = "urn://Ocpp/Cp/2015/10/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
WSA = "http://www.w3.org/2005/08/addressing"


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class _FromHeader(Plugin):
    """zeep's WS-Addressing plugin writes Action, MessageID and To; a charger also says where it listens."""

    def __init__(self, simulator: "SoapCharger") -> None:
        self.simulator = simulator

    def egress(self, envelope, http_headers, operation, binding_options):
        self.simulator.last_request = envelope
        header = envelope.find(f"{{{SOAP12}}}Header")
        if self.simulator.from_address and header is not None:
            sender = etree.SubElement(header, f"{{{WSA}}}From")
            etree.SubElement(sender, f"{{{WSA}}}Address").text = self.simulator.from_address
        if self.simulator.drop_message_id and header is not None:
            for message_id in header.findall(f"{{{WSA}}}MessageID"):
                header.remove(message_id)
        return envelope, http_headers

    def ingress(self, envelope, http_headers, operation):
        self.simulator.last_response = envelope
        return envelope, http_headers


def _text_tree(element: etree._Element) -> Any:
    """A ChargePointService request element as a dict of texts (lists where an element repeats)."""
    if len(element) == 0:
        return element.text or ""
    result: dict = {}
    for child in element:
        name = etree.QName(child).localname
        value = _text_tree(child)
        if name in result:
            result[name] = [*result[name], value] if isinstance(result[name], list) else [result[name], value]
        else:
            result[name] = value
    return result


def _answer_element(parent: etree._Element, name: str, value: Any) -> None:
    for item in value if isinstance(value, list) else [value]:
        child = etree.SubElement(parent, f"{{{CP}}}{name}")
        if isinstance(item, dict):
            for key, inner in item.items():
                _answer_element(child, key, inner)
        else:
            child.text = str(item).lower() if isinstance(item, bool) else str(item)


class _CallHandler(BaseHTTPRequestHandler):
    simulator: "SoapCharger"

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.simulator.handle_call(self, data)


class SoapCharger:
    """One SOAP charger: `call(action, **payload)` sends a request and returns the answer as a dict;
    `received_calls` lists the central system's calls (action, payload of texts, headers)."""

    def __init__(self, portal_url: str, charge_point_id: str, *, password: str | None = None, listen: bool = True):
        self.endpoint = f"{portal_url.rstrip('/')}/ocpp/soap/"
        self.charge_point_id = charge_point_id
        self.drop_message_id = False
        self.last_request: etree._Element | None = None
        self.last_response: etree._Element | None = None
        self.received_calls: list[tuple[str, dict, dict]] = []
        self.answers: dict[str, Any] = dict(DEFAULT_ANSWERS)
        self.delay_s = 0.0
        self._server: ThreadingHTTPServer | None = None
        self.from_address = ""
        if listen:
            handler = type("Handler", (_CallHandler,), {"simulator": self})
            self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
            self.from_address = f"http://127.0.0.1:{self._server.server_port}/ocpp/cp"
            threading.Thread(target=self._server.serve_forever, daemon=True).start()
        session = requests.Session()
        if password is not None:
            session.auth = (charge_point_id, password)
        self.client = Client(
            str(CS_WSDL),
            transport=Transport(session=session, timeout=10, operation_timeout=10),
            plugins=[WsAddressingPlugin(), _FromHeader(self)],
            settings=Settings(strict=True),
        )
        self.service = self.client.create_service(f"{{{CS}}}CentralSystemServiceSoap", self.endpoint)

    def call(self, action: str, **payload: Any) -> dict:
        """Send `action` with `payload` (zeep types it from the WSDL); the answer as a plain dict."""
        result = getattr(self.service, action)(**payload, _soapheaders={"ChargeBoxIdentity": self.charge_point_id})
        return serialize_object(result, dict) or {}

    def response_header(self, name: str) -> str:
        found = self.last_response.find(f"{{{SOAP12}}}Header/{{{WSA}}}{name}")
        return (found.text or "") if found is not None else ""

    def request_header(self, name: str) -> str:
        found = self.last_request.find(f"{{{SOAP12}}}Header/{{{WSA}}}{name}")
        return (found.text or "") if found is not None else ""

    # --- The central system's calls ---------------------------------------------------------------------

    def handle_call(self, handler: BaseHTTPRequestHandler, data: bytes) -> None:
        root = etree.fromstring(data)
        header = root.find(f"{{{SOAP12}}}Header")
        body = root.find(f"{{{SOAP12}}}Body")[0]
        name = etree.QName(body).localname
        action = name[0].upper() + name[1:].removesuffix("Request")
        headers = {etree.QName(child).localname: (child.text or "") for child in header}
        payload = _text_tree(body)
        self.received_calls.append((action, payload if isinstance(payload, dict) else {}, headers))
        if self.delay_s:
            threading.Event().wait(self.delay_s)
        answer = self.answers.get(action, {})
        response = etree.Element(f"{{{CP}}}{name.removesuffix('Request')}Response", nsmap={"cp": CP})
        for key, value in answer.items():
            _answer_element(response, key, value)
        envelope = etree.Element(f"{{{SOAP12}}}Envelope", nsmap={"s": SOAP12, "wsa": WSA})
        out_header = etree.SubElement(envelope, f"{{{SOAP12}}}Header")
        etree.SubElement(out_header, f"{{{WSA}}}Action").text = f"/{action}Response"
        etree.SubElement(out_header, f"{{{WSA}}}MessageID").text = f"urn:uuid:{uuid.uuid4()}"
        etree.SubElement(out_header, f"{{{WSA}}}RelatesTo").text = headers.get("MessageID", "")
        etree.SubElement(envelope, f"{{{SOAP12}}}Body").append(response)
        content = etree.tostring(envelope, xml_declaration=True, encoding="utf-8")
        handler.send_response(200)
        handler.send_header("Content-Type", "application/soap+xml; charset=utf-8")
        handler.send_header("Content-Length", str(len(content)))
        handler.end_headers()
        handler.wfile.write(content)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def raw_post(portal_url: str, data: bytes, content_type: str = "application/soap+xml; charset=utf-8", **kw):
    """POST arbitrary bytes to the SOAP endpoint (malformed, hostile or SOAP 1.1 requests)."""
    return requests.post(
        f"{portal_url.rstrip('/')}/ocpp/soap/", data=data, headers={"Content-Type": content_type}, timeout=10, **kw
    )
