"""Hypothesis strategies for OCPP-J 1.6 frames a charger might send, derived from the OCA request schemas of the
actions the portal handles (chargers/ocpp/handlers.py HANDLERS), each frame with the answer OCPP 1.6 prescribes:
a valid CALL gets a CALLRESULT, a CALL with one defect a CALLERROR whose code names that defect.

The expected codes come from the OCPP-J 1.6 specification (section 4.2.3), not from the portal's code:
- FormationViolation: not JSON, not an array, a payload that is not an object, a field the schema does not allow;
- ProtocolError: an unknown message type, a unique id that is not a string of 1 to 36 characters, a wrong
  number of elements;
- NotImplemented / NotSupported: an action OCPP 1.6 does not know / one the central system does not take;
- OccurenceConstraintViolation: a required field missing;
- TypeConstraintViolation: a value of the wrong type, a string over its maxLength, an integer outside 32 bits;
- PropertyConstraintViolation: a value of the right type that is not allowed (an enum, a date-time, a NUL or a
  lone surrogate the database cannot hold, a negative connectorId).
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from hypothesis import strategies as st

from chargers.actions import CENTRAL_ACTIONS, CHARGER_ACTIONS, KNOWN_ACTIONS, SECURITY_ACTIONS
from chargers.ocpp.handlers import HANDLERS
from chargers.ocpp.schemas import LENIENT_ACTIONS, request_schema

ACTIONS = sorted(HANDLERS)
# Actions a charger may not send: known to OCPP 1.6 (NotSupported) or to nobody (NotImplemented).
CENTRAL_ONLY = sorted(CENTRAL_ACTIONS - CHARGER_ACTIONS)
FORMATION = "FormationViolation"
PROTOCOL = "ProtocolError"
TYPE = "TypeConstraintViolation"
PROPERTY = "PropertyConstraintViolation"
OCCURENCE = "OccurenceConstraintViolation"
INT32 = 2**31

# Text a charger may send and the database can hold: any character but controls and lone surrogates (Cc, Cs),
# so unicode of every plane, right-to-left marks and emoji included.
STORABLE = st.characters(exclude_categories=("Cc", "Cs"))
MOMENTS = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC))
TIMESTAMPS = MOMENTS.map(lambda moment: moment.isoformat().replace("+00:00", "Z"))
NOT_A_TIME = st.sampled_from(["yesterday", "2026-13-45", "12:00", "2026/01/01 10:00", "", "T"])


@dataclass(frozen=True)
class Case:
    """A frame to send and what must answer it: a CALLERROR code, "result" (a CALLRESULT) or None (no answer)."""

    text: str
    expected: str | None
    unique_id: str
    why: str


# --- Valid payloads, from the schema ----------------------------------------------------------------------


def valid_value(node: dict, name: str = "") -> st.SearchStrategy:
    if "enum" in node:
        return st.sampled_from(node["enum"])
    kind = node.get("type")
    if kind == "string":
        if node.get("format") == "date-time":
            return TIMESTAMPS
        return st.text(STORABLE, max_size=min(node.get("maxLength", 30), 30))
    if kind == "integer":
        return st.integers(0 if name == "connectorId" else -INT32, INT32 - 1)
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False, width=32)
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        return st.lists(valid_value(node["items"]), min_size=node.get("minItems", 0), max_size=2)
    if kind == "object":
        return valid_object(node)
    return st.none()


def valid_object(node: dict) -> st.SearchStrategy:
    properties = node.get("properties", {})
    required = set(node.get("required", []))
    return st.fixed_dictionaries(
        {key: valid_value(child, key) for key, child in properties.items() if key in required},
        optional={key: valid_value(child, key) for key, child in properties.items() if key not in required},
    )


# --- One defect each ----------------------------------------------------------------------------------------


def fields(action: str, payload: dict) -> list[tuple[tuple, dict, dict]]:
    """(path, schema of the field, schema of the object holding it) for each field the payload holds where the
    action's schema is strict: the whole payload, or only its top level for the lenient actions (MeterValues and
    StopTransaction take vendor quirks inside, dropping a bad sampled value rather than the frame)."""
    found = []

    def walk(value: object, node: dict, path: tuple) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                child = node.get("properties", {}).get(key, {})
                found.append(((*path, key), child, node))
                if action not in LENIENT_ACTIONS:
                    walk(item, child, (*path, key))
        elif isinstance(value, list) and "items" in node:
            for i, item in enumerate(value):
                walk(item, node["items"], (*path, i))

    walk(payload, request_schema(action), ())
    return found


def _other_type(node: dict) -> st.SearchStrategy:
    """A JSON value of another type than the field's."""
    kind = node.get("type")
    choices = {
        "string": st.integers() | st.booleans() | st.none() | st.just([]) | st.just({}),
        "integer": st.text(max_size=5) | st.booleans() | st.none() | st.just(1.5) | st.just([1]),
        "number": st.text(max_size=5) | st.booleans() | st.none() | st.just({}),
        "array": st.text(max_size=5) | st.integers() | st.just({}),
        "object": st.text(max_size=5) | st.integers() | st.just([]),
    }
    return choices.get(kind, st.nothing())


def _defects(node: dict, name: str) -> list[tuple[str, str, st.SearchStrategy]]:
    """(why, expected code, bad value) for a field of this schema."""
    defects = [("wrong type", TYPE, _other_type(node))]
    if node.get("type") == "string":
        unstorable = st.sampled_from(["\x00", "a\x00", "\ud800", "x\udfff"])
        defects.append(("NUL or lone surrogate", PROPERTY, unstorable))
        if "maxLength" in node:
            defects.append(("over maxLength", TYPE, st.text(STORABLE, min_size=node["maxLength"] + 1, max_size=300)))
        if "enum" in node:
            defects.append(("not in the enum", PROPERTY, st.text(STORABLE, max_size=20).filter(_not_in(node))))
        if node.get("format") == "date-time":
            defects.append(("not a date-time", PROPERTY, NOT_A_TIME))
    if node.get("type") == "integer":
        huge = st.integers(INT32, 2**80) | st.integers(-(2**80), -INT32 - 1)
        defects.append(("outside 32 bits", TYPE, huge))
        if name == "connectorId":
            defects.append(("a negative connectorId", PROPERTY, st.integers(-INT32, -1)))
    return defects


def _not_in(node: dict):
    return lambda value: value not in node["enum"]


def _set(payload: dict, path: tuple, value: object) -> None:
    target = payload
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value


@st.composite
def near_valid_call(draw, action: str) -> Case:
    """A CALL of `action`: valid, or with exactly one defect (a wrong value, a required field left out, a field
    added, a wrong message type id), and the answer it must get."""
    payload = draw(valid_object(request_schema(action)))
    unique_id = draw(st.text(STORABLE, min_size=1, max_size=36).filter(lambda text: not text.startswith("probe")))
    message_type, expected, why, sent_action = 2, "result", "valid", action
    kind = draw(st.sampled_from(["valid", "value", "missing", "extra", "message type", "action"]))
    places = fields(action, payload)
    if kind == "value" and places:
        path, node, _ = draw(st.sampled_from(places))
        defects = _defects(node, str(path[-1]))
        if action in LENIENT_ACTIONS:  # their schemas leave enums open: a vendor's own reason is no defect
            defects = [defect for defect in defects if defect[0] != "not in the enum"]
        why, expected, bad = draw(st.sampled_from(defects))
        _set(payload, path, draw(bad))
        why = f"{'.'.join(map(str, path))}: {why}"
    elif kind == "missing":
        required = [(path, parent) for path, _, parent in places if path[-1] in parent.get("required", [])]
        if required:
            path, _ = draw(st.sampled_from(required))
            _drop(payload, path)
            why, expected = f"{'.'.join(map(str, path))} missing", OCCURENCE
    elif kind == "extra":
        objects = [(path, node) for path, node, _ in places if node.get("type") == "object" and path]
        path = draw(st.sampled_from([(), *[p for p, _ in objects]])) if action not in LENIENT_ACTIONS else ()
        _set_extra(payload, path, draw(st.text(STORABLE, min_size=1, max_size=10)), draw(st.integers()))
        # The lenient actions take fields a vendor added; every other schema forbids them.
        expected = "result" if action in LENIENT_ACTIONS else FORMATION
        why = f"a field added at {'.'.join(map(str, path)) or 'the top'}"
    elif kind == "message type":
        message_type = draw(st.integers(-10, 100).filter(lambda n: n not in (2, 3, 4)) | st.sampled_from(["2", None]))
        why, expected = f"message type {message_type!r}", PROTOCOL
    elif kind == "action":
        # The payload of this action under the name of another: one a charger may not send, or no action at all.
        sent_action = draw(st.sampled_from([*CENTRAL_ONLY, *sorted(SECURITY_ACTIONS), action.lower(), f"{action}X"]))
        expected = "NotSupported" if sent_action in KNOWN_ACTIONS else "NotImplemented"
        why = f"action {sent_action!r}"
    return Case(json.dumps([message_type, unique_id, sent_action, payload]), expected, unique_id, why)


def _drop(payload: dict, path: tuple) -> None:
    target = payload
    for step in path[:-1]:
        target = target[step]
    target.pop(path[-1], None)


def _set_extra(payload: dict, path: tuple, key: str, value: object) -> None:
    target = payload
    for step in path:
        target = target[step]
    while key in target:  # a field the schema knows is no extra
        key += "_"
    target[key] = value


# --- Any JSON at all ---------------------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
FRAME_SHAPED = st.lists(JSON_VALUES, max_size=6) | st.tuples(
    st.sampled_from([2, 3, 4, 2.0, True, "2", 0, -1, 5]),
    st.text(max_size=40) | JSON_VALUES,
    st.sampled_from(ACTIONS + CENTRAL_ONLY + ["", "Heartbeat\x00", "FlyToTheMoon"]) | JSON_VALUES,
    st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=4) | JSON_VALUES,
).map(list)


@st.composite
def any_frame(draw) -> Case:
    """Any JSON text (numbers past a double, NaN, deep nesting, frame-shaped arrays of junk), or text that is not
    JSON, and the answer the spec says it gets. A CALL that reaches an action's schema may get any 1.6 code but
    InternalError (`expected` is then "schema")."""
    if draw(st.integers(0, 9)) == 0:
        text = draw(st.text(max_size=50))
        try:
            data = json.loads(text)
        except ValueError:
            return Case(text, FORMATION, "-1", "not JSON")
    else:
        data = draw(JSON_VALUES | FRAME_SHAPED)
        text = json.dumps(data)
    return _spec_answer(text, data)


def _spec_answer(text: str, data: object) -> Case:
    """OCPP-J 1.6, 4.1 and 4.2: what the frame `data` must be answered with."""
    if not isinstance(data, list) or not data:
        return Case(text, FORMATION, "-1", "not a non-empty array")
    kind = data[0]
    unique_id = data[1] if len(data) > 1 and isinstance(data[1], str) else "-1"
    numeric = isinstance(kind, int | float) and not isinstance(kind, bool)
    if numeric and kind in (3, 4):
        return Case(text, None, unique_id, "a reply to no CALL: nothing to answer")
    if not numeric or kind != 2:
        return Case(text, PROTOCOL, unique_id, "unknown message type")
    if not isinstance(data[1] if len(data) > 1 else None, str) or not 0 < len(data[1]) <= 36 or len(data) != 4:
        return Case(text, PROTOCOL, unique_id, "bad unique id or element count")
    action, payload = data[2], data[3]
    if not isinstance(action, str) or not action or not isinstance(payload, dict):
        return Case(text, FORMATION, unique_id, "action or payload of the wrong type")
    if action not in KNOWN_ACTIONS:
        return Case(text, "NotImplemented", unique_id, "unknown action")
    if action not in HANDLERS:
        return Case(text, "NotSupported", unique_id, "an action of the central system")
    return Case(text, "schema", unique_id, "a CALL its schema judges")
