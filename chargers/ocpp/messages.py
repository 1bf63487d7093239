"""OCPP 1.6 messages as every transport sees them: the message types, the 1.6 error codes, the error a handler
raises, and a CALL's two possible answers. No wire format here: frames.py reads and writes them as OCPP-J text,
and a SOAP transport would read and write them as XML.
"""

from dataclasses import dataclass
from typing import Any

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
