"""Bad SOAP requests against a real daphne server: each gets a SOAP 1.2 Fault (never an HTML page) and is refused
before anything is read or stored (no database access here: nothing may be written)."""

import pytest
import requests
from lxml import etree

from tests.soap_simulator import CS, SOAP12, raw_post

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
RESET_ACTION = '<a:Action xmlns:a="http://www.w3.org/2005/08/addressing">/Reset</a:Action>'


def fault_of(response) -> tuple[str, str, str]:
    """(Code, Subcode, Reason) of a SOAP 1.2 Fault answer."""
    assert response.headers["Content-Type"].startswith("application/soap+xml"), response.text[:200]
    fault = etree.fromstring(response.content).find(f"{{{SOAP12}}}Body/{{{SOAP12}}}Fault")
    assert fault is not None, response.text[:300]
    code = fault.findtext(f"{{{SOAP12}}}Code/{{{SOAP12}}}Value")
    subcode = fault.findtext(f"{{{SOAP12}}}Code/{{{SOAP12}}}Subcode/{{{SOAP12}}}Value") or ""
    return code.split(":")[-1], subcode.split(":")[-1], fault.findtext(f"{{{SOAP12}}}Reason/{{{SOAP12}}}Text")


def envelope(body: str, *, identity: str = "", header: str = "", namespace: str = SOAP12) -> bytes:
    identity_header = f'<cs:chargeBoxIdentity xmlns:cs="{CS}">{identity}</cs:chargeBoxIdentity>' if identity else ""
    return (
        f'<s:Envelope xmlns:s="{namespace}"><s:Header>{identity_header}{header}</s:Header>'
        f"<s:Body>{body}</s:Body></s:Envelope>"
    ).encode()


@pytest.mark.parametrize(
    ("data", "content_type", "status", "code", "subcode"),
    [
        (
            b"<s:Envelope xmlns:s='http://www.w3.org/2003/05/soap-envelope'><s:Body>",
            None,
            400,
            "Sender",
            "FormationViolation",
        ),
        (envelope(f'<heartbeatRequest xmlns="{CS}"/>', namespace=SOAP11), "text/xml", 415, "VersionMismatch", ""),
        (envelope(f'<heartbeatRequest xmlns="{CS}"/>'), None, 400, "Sender", "OccurenceConstraintViolation"),
        (envelope(f'<fooRequest xmlns="{CS}"/>', identity="ANY"), None, 400, "Sender", "NotImplemented"),
        (
            envelope(f'<heartbeatRequest xmlns="{CS}"/>', identity="ANY", header=RESET_ACTION),
            None,
            400,
            "Sender",
            "ProtocolError",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            + envelope(f'<heartbeatRequest xmlns="{CS}">&x;</heartbeatRequest>', identity="ANY"),
            None,
            400,
            "Sender",
            "FormationViolation",
        ),
    ],
    ids=["malformed-xml", "soap-1.1", "no-identity", "unknown-operation", "action-not-the-body-s", "xxe"],
)
def test_bad_soap_requests_get_a_soap_1_2_fault_never_html(command_portal, data, content_type, status, code, subcode):
    answer = raw_post(command_portal.http_url, data, **({"content_type": content_type} if content_type else {}))
    assert answer.status_code == status
    assert fault_of(answer)[:2] == (code, subcode)
    assert "root:" not in answer.text


def test_a_request_larger_than_the_limit_is_refused_unread(command_portal) -> None:
    padding = "x" * (1024 * 1024)
    answer = raw_post(
        command_portal.http_url, envelope(f'<heartbeatRequest xmlns="{CS}"><!--{padding}--></heartbeatRequest>')
    )
    assert answer.status_code == 413
    assert fault_of(answer)[0] == "Sender"


def test_a_get_is_answered_with_a_fault_that_says_post(command_portal) -> None:
    answer = requests.get(f"{command_portal.http_url}/ocpp/soap/", timeout=10)
    assert (answer.status_code, answer.headers["Allow"]) == (405, "POST")
    assert fault_of(answer)[0] == "Sender"


def test_the_endpoint_answers_without_its_trailing_slash_too(command_portal) -> None:
    answer = requests.post(
        f"{command_portal.http_url}/ocpp/soap",
        data=envelope(f'<heartbeatRequest xmlns="{CS}"/>'),
        headers={"Content-Type": "application/soap+xml"},
        timeout=10,
        allow_redirects=False,
    )
    assert (answer.status_code, fault_of(answer)[1]) == (400, "OccurenceConstraintViolation")
