"""What a payload must also respect to be storable, checked right after its JSON schema: the schema says
"integer" and "string", the database says how big and which characters.

- OCPP 1.6 integers are 32-bit signed (the spec's "integer"); a connectorId is never negative (1.6: "connectorId
  >= 0"; the columns are unsigned).
- Strings hold no NUL character and no lone surrogate (chargers/storable.py).
- Numbers are finite doubles (Python's json reads NaN, Infinity and integers of any size; no column and no JSON
  document holds the first two, and the schema validator's multipleOf check fails on all three).

The checks are derived from each action's schema once, so every field of every action follows one rule per
field type. A value out of range is a TypeConstraintViolation (it does not fit the field's data type), a
forbidden character or a negative connectorId a PropertyConstraintViolation (the value is invalid), so the
charger learns its frame is wrong instead of retrying an InternalError forever.
"""

import math
from collections.abc import Callable
from typing import Any

from chargers.ocpp.messages import ErrorCode, OcppError
from chargers.storable import unstorable_text_problem

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
NON_NEGATIVE_FIELDS = frozenset({"connectorId"})

# A check takes a value and where it is, raises OcppError or returns the value to keep (see _check_integer).
Check = Callable[[Any, str], Any]


def _violation(code: str, where: str, message: str) -> OcppError:
    field = where or "payload"
    return OcppError(code, f"{field}: {message}", {"field": field})


def _check_integer(non_negative: bool) -> Check:
    low = 0 if non_negative else INT32_MIN

    def check(value: Any, where: str) -> Any:
        if isinstance(value, float) and value.is_integer():
            # JSON Schema counts 1000.0 as an integer, and so does a charger's sloppy firmware: it is the integer
            # 1000 from here on (a float would reach integer columns, and 1e300 is "an integer" too).
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            return value  # not an integer at all: the schema check's business
        if not INT32_MIN <= value <= INT32_MAX:
            raise _violation(ErrorCode.TYPE_CONSTRAINT_VIOLATION, where, "does not fit a 32-bit integer")
        if value < low:
            raise _violation(ErrorCode.PROPERTY_CONSTRAINT_VIOLATION, where, "must not be negative")
        return value

    return check


def _check_number(value: Any, where: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    try:
        finite = math.isfinite(value)
    except OverflowError:  # an integer past what a double holds
        finite = False
    if not finite:
        raise _violation(ErrorCode.TYPE_CONSTRAINT_VIOLATION, where, "must be a finite number")
    return value


def _check_string(value: Any, where: str) -> Any:
    if isinstance(value, str) and (problem := unstorable_text_problem(value)):
        raise _violation(ErrorCode.PROPERTY_CONSTRAINT_VIOLATION, where, problem)
    return value


def _check_object(properties: dict[str, Check]) -> Check:
    def check(value: Any, where: str) -> Any:
        if isinstance(value, dict):
            for name, child in properties.items():
                if name in value:
                    value[name] = child(value[name], f"{where}.{name}" if where else name)
        return value

    return check


def _check_array(item: Check) -> Check:
    def check(value: Any, where: str) -> Any:
        if isinstance(value, list):
            for i, element in enumerate(value):
                value[i] = item(element, f"{where}[{i}]")
        return value

    return check


def _as_is(value: Any, where: str) -> Any:
    return value


def _compile(node: dict, name: str = "") -> Check:
    kind = node.get("type")
    if kind == "integer":
        return _check_integer(name in NON_NEGATIVE_FIELDS)
    if kind == "number":
        return _check_number
    if kind == "string":
        return _check_string
    if kind == "object":
        return _check_object({key: _compile(child, key) for key, child in node.get("properties", {}).items()})
    if kind == "array" and isinstance(node.get("items"), dict):
        return _check_array(_compile(node["items"], name))
    # An array without an item schema (the lenient sampledValue): its reader checks each element itself.
    return _as_is


def compile_limits(schema: dict) -> Callable[[dict], None]:
    """A function that raises OcppError when a payload holds a value of a field of `schema` that cannot be stored,
    and turns integral floats of integer fields into ints in place. It checks only values of the field's type,
    so it may run before the schema check (the caller does)."""
    check = _compile(schema)

    def check_payload(payload: dict) -> None:
        check(payload, "")

    return check_payload
