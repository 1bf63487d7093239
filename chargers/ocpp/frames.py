"""OCPP-J frames: parse the JSON text a charger sends, build the text the portal sends (the websocket
transport's wire format; the messages themselves are in messages.py, shared by every transport).

The `ocpp` library's `unpack` answers with 2.0.1 error names (FormatViolation); OCPP 1.6 chargers expect the 1.6
names, so the parsing here is our own and small.
"""

import json
import re

# The message types are re-exported for the callers that know them from here.
from chargers.ocpp.messages import (  # noqa: F401
    CALL,
    CALLERROR,
    CALLRESULT,
    Call,
    CallError,
    CallResult,
    ErrorCode,
    Frame,
    OcppError,
    frame_payload,
)
from chargers.storable import UNSTORABLE_CHARACTERS

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
