"""One dispatch for every transport (DESIGN rules 2 and 10): (session, action, payload) in, the answer out.

A transport turns its wire format into (session, action, payload) and the answer back: the websocket consumer
(websocket.py) does it for OCPP-J frames, a SOAP transport would do it for envelopes. Everything in between is
here and written once: the registration rules, the request's schema and range checks, the handler lookup (an
unknown action is NotImplemented, a known one without a handler NotSupported), the response's schema check, the
error mapping (an unexpected failure becomes InternalError with one log line) and the message-log entries of the
CALL and of its answer. Nothing here knows of sockets or JSON text.
"""

import logging

from django.db import DatabaseError

from chargers.actions import KNOWN_ACTIONS
from chargers.ocpp.handlers import HANDLERS, check_registration
from chargers.ocpp.logbook import IN, OUT, log_message
from chargers.ocpp.messages import CALL, CALLERROR, CALLRESULT, ErrorCode, OcppError
from chargers.ocpp.schemas import validate_request, validate_response
from chargers.ocpp.session import Session

logger = logging.getLogger(__name__)

INTERNAL_ERROR_DESCRIPTION = "The portal failed to process this message; please retry"


async def dispatch(session: Session, action: str, payload: dict, *, message_id: str) -> dict:
    """The answer's payload, once the CALL's writes are committed; raises OcppError for every error answer.
    `message_id` is the CALL's id on its transport (OCPP-J's unique id), for the message log."""
    session.problems = []
    try:
        response = await _answer(session, action, payload)
    except OcppError as error:
        log_message(session, IN, CALL, message_id, action, payload, error=error.code, problems=error.description)
        _log_error_answer(session, message_id, action, error, {"errorDescription": error.description})
        raise
    except Exception as error:
        _log_failure(session.charge_point_ident, action, error)
        log_message(session, IN, CALL, message_id, action, payload, error=ErrorCode.INTERNAL_ERROR)
        failure = OcppError(ErrorCode.INTERNAL_ERROR, INTERNAL_ERROR_DESCRIPTION)
        _log_error_answer(session, message_id, action, failure, {})
        # Not chained: the failure is logged above, once; the transport only answers it.
        raise failure from None
    log_message(session, IN, CALL, message_id, action, payload, problems="; ".join(session.problems))
    log_message(session, OUT, CALLRESULT, message_id, action, response)
    return response


async def _answer(session: Session, action: str, payload: dict) -> dict:
    handler = HANDLERS.get(action)
    if handler is None:
        known = action in KNOWN_ACTIONS
        raise OcppError(
            ErrorCode.NOT_SUPPORTED if known else ErrorCode.NOT_IMPLEMENTED,
            f"{action} is {'not supported' if known else 'not a known action'}",
        )
    check_registration(session, action)
    validate_request(action, payload)
    response = await handler(session, payload)
    validate_response(action, response)
    return response


def _log_error_answer(session: Session, message_id: str, action: str, error: OcppError, extra: dict) -> None:
    log_message(session, OUT, CALLERROR, message_id, action, {"errorCode": error.code, **extra})


def _log_failure(charge_point_ident: str, action: str, error: Exception) -> None:
    """The database refusing a frame's data (a value no check foresaw, a lost connection) is one WARNING line,
    as any bad input is (the charger gets a CALLERROR); anything else is a bug, logged with its traceback."""
    if isinstance(error, DatabaseError):
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        logger.warning("charger %s: %s could not be stored: %s", charge_point_ident, action, reason)
        return
    logger.error("charger %s: %s failed", charge_point_ident, action, exc_info=error)
