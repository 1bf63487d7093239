"""OCPP-J frames: parse what a charger sends, build what the portal sends, with the OCPP 1.6 error codes.

The `ocpp` library's `unpack` answers with 2.0.1 error names (FormatViolation); OCPP 1.6 chargers expect the 1.6
names, so the parsing here is our own and small.
"""

import json
import re
from dataclasses import dataclass
from typing import Any

from chargers.storable import UNSTORABLE_CHARACTERS

CALL, CALLRESULT, CALLERROR = 2, 3, 4


class ErrorCode:
    """OCPP-J 1.6 CALLERROR codes (the 1.6 spelling, 'Occurence' included)."""

    NOT_IMPLEMENTED = "NotImplemented"
    NOT_SUPPORTED = "NotSupported"
    INTERNAL_ERROR = "InternalError"
    PROTOCOL_ERROR = "ProtocolError"
    SECURITY_ERROR = "SecurityError"
    FORMATION_VIOLATION = "FormationViolation"
    PROPERTY_CONSTRAINT_VIOLATION = "PropertyConstraintViolation"
    OCCURENCE_CONSTRAINT_VIOLATION = "OccurenceConstraintViolation"
    TYPE_CONSTRAINT_VIOLATION = "TypeConstraintViolation"
    GENERIC_ERROR = "GenericError"

    ALL = frozenset(
        {
            "NotImplemented",
            "NotSupported",
            "InternalError",
            "ProtocolError",
            "SecurityError",
            "FormationViolation",
            "PropertyConstraintViolation",
            "OccurenceConstraintViolation",
            "TypeConstraintViolation",
            "GenericError",
        }
    )


class OcppError(Exception):
    """Raised while handling a CALL; becomes a CALLERROR with this code."""

    def __init__(self, code: str, description: str = "", details: dict | None = None) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description[:255]
        self.details = details or {}


@dataclass(slots=True)
class Call:
    unique_id: str
    action: str
    payload: dict


@dataclass(slots=True)
class CallResult:
    unique_id: str
    payload: dict


@dataclass(slots=True)
class CallError:
    unique_id: str
    error_code: str
    error_description: str
    error_details: dict


Frame = Call | CallResult | CallError

_LEADING_ID = re.compile(r'^\s*\[\s*\d+\s*,\s*"([^"]{1,36})"')


class FrameError(OcppError):
    """A frame that cannot be understood; `unique_id` is our best guess of the id to answer to."""

    def __init__(self, code: str, description: str, unique_id: str, message_type: int | None = None) -> None:
        super().__init__(code, description)
        self.unique_id = unique_id
        self.message_type = message_type


def parse_frame(text: str) -> Frame:
    """Turn a websocket text message into a Call, CallResult or CallError, or raise FrameError."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise FrameError(ErrorCode.FORMATION_VIOLATION, "Frame is not valid JSON", _guess_id(text)) from None
    if not isinstance(data, list) or not data:
        raise FrameError(ErrorCode.FORMATION_VIOLATION, "Frame is not a JSON array", "-1")
    message_type = data[0]
    unique_id = data[1] if len(data) > 1 and isinstance(data[1], str) else "-1"
    if message_type not in (CALL, CALLRESULT, CALLERROR) or isinstance(message_type, bool):
        raise FrameError(ErrorCode.PROTOCOL_ERROR, f"Unknown message type {message_type!r}", unique_id)
    if len(data) < 2 or not isinstance(data[1], str) or not 0 < len(data[1]) <= 36:
        raise FrameError(
            ErrorCode.PROTOCOL_ERROR,
            "UniqueId must be a string of 1 to 36 characters",
            unique_id,
            message_type,
        )
    if message_type == CALL:
        return _parse_call(data, unique_id)
    if message_type == CALLRESULT:
        if len(data) != 3:
            raise FrameError(ErrorCode.PROTOCOL_ERROR, "CALLRESULT must have 3 elements", unique_id, message_type)
        if not isinstance(data[2], dict):
            raise FrameError(
                ErrorCode.FORMATION_VIOLATION, "CALLRESULT payload must be an object", unique_id, message_type
            )
        return CallResult(unique_id, data[2])
    if len(data) not in (4, 5):
        raise FrameError(ErrorCode.PROTOCOL_ERROR, "CALLERROR must have 5 elements", unique_id, message_type)
    details = data[4] if len(data) == 5 and isinstance(data[4], dict) else {}
    return CallError(unique_id, str(data[2]), str(data[3]), details)


def _parse_call(data: list, unique_id: str) -> Call:
    if len(data) != 4:
        raise FrameError(ErrorCode.PROTOCOL_ERROR, "CALL must have 4 elements", unique_id, CALL)
    action, payload = data[2], data[3]
    if not isinstance(action, str) or not action:
        raise FrameError(ErrorCode.FORMATION_VIOLATION, "Action must be a non-empty string", unique_id, CALL)
    if not isinstance(payload, dict):
        raise FrameError(ErrorCode.FORMATION_VIOLATION, "CALL payload must be an object", unique_id, CALL)
    return Call(unique_id, action, payload)


def _guess_id(text: str) -> str:
    match = _LEADING_ID.match(text)
    return match.group(1) if match else "-1"


def _dumps(data: list) -> str:
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    if UNSTORABLE_CHARACTERS.search(text):
        # A lone surrogate (a unique id a charger sent as "\ud800") cannot go out as UTF-8: escape it, as sent.
        return json.dumps(data, separators=(",", ":"))
    return text


def call_frame(unique_id: str, action: str, payload: dict) -> str:
    return _dumps([CALL, unique_id, action, payload])


def call_result_frame(unique_id: str, payload: dict) -> str:
    return _dumps([CALLRESULT, unique_id, payload])


def call_error_frame(unique_id: str, code: str, description: str = "", details: dict | None = None) -> str:
    return _dumps([CALLERROR, unique_id, code, description, details or {}])


def frame_payload(frame: Any) -> dict | None:
    if isinstance(frame, Call | CallResult):
        return frame.payload
    if isinstance(frame, CallError):
        return {
            "errorCode": frame.error_code,
            "errorDescription": frame.error_description,
            "errorDetails": frame.error_details,
        }
    return None
