"""The HTTP edge of the CentralSystemService: `POST /ocpp/soap/`. Reads the request (size-limited, Basic auth),
hands it to server.py and writes its answer; every answer is a SOAP 1.2 envelope, never an HTML page."""

import logging

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from chargers.ocpp.soap.envelope import RECEIVER, SoapFault, write_fault
from chargers.ocpp.soap.server import soap_answer
from chargers.ocpp.soap.wsdl import CS_NAMESPACE
from chargers.ocpp.soap.xml import CONTENT_TYPE
from chargers.ocpp.websocket import basic_auth

logger = logging.getLogger(__name__)

# The largest SOAP request read: a StopTransaction with a long transactionData is tens of kB; 1 MiB as for
# websocket frames (INTERFACES "Robustness promises").
MAX_REQUEST_BYTES = 1024 * 1024


def _fault_response(fault: SoapFault, **headers: str) -> HttpResponse:
    body = write_fault(fault, subcode_namespace=CS_NAMESPACE)
    return HttpResponse(body, status=fault.http_status, content_type=CONTENT_TYPE, headers=headers)


def _credentials(request: HttpRequest) -> tuple[str, bytes] | None:
    header = request.headers.get("Authorization")
    return basic_auth([(b"authorization", header.encode("latin-1", "replace"))]) if header else None


@csrf_exempt  # chargers are no browsers: no session, no cookie to forge; they authenticate with Basic auth
async def central_system_service(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _fault_response(SoapFault("POST a SOAP 1.2 envelope here", http_status=405), Allow="POST")
    declared = request.META.get("CONTENT_LENGTH") or "0"
    # Read at most one byte past the limit: a body without Content-Length is bounded as well.
    data = request.read(MAX_REQUEST_BYTES + 1) if declared.isdigit() and int(declared) <= MAX_REQUEST_BYTES else b""
    if len(data) > MAX_REQUEST_BYTES or not declared.isdigit() or int(declared) > MAX_REQUEST_BYTES:
        return _fault_response(SoapFault(f"request larger than {MAX_REQUEST_BYTES} bytes", http_status=413))
    try:
        answer = await soap_answer(
            data=data,
            credentials=_credentials(request),
            remote_addr=request.META.get("REMOTE_ADDR", ""),
            path=request.path,
        )
    except Exception:
        # A bug or the database away before dispatch (which answers its own failures): still a SOAP answer,
        # never Django's HTML error page, which a charger cannot read.
        logger.exception("SOAP request from %s failed", request.META.get("REMOTE_ADDR", "?"))
        return _fault_response(SoapFault("the portal failed; please retry", code=RECEIVER, http_status=500))
    return HttpResponse(answer.body, status=answer.status, content_type=CONTENT_TYPE)
