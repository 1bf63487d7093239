"""OCPP-J frame parsing: whatever a charger sends, the portal answers with a 1.6 error code, never crashes."""

import json

from hypothesis import given
from hypothesis import strategies as st

from chargers.ocpp.frames import Call, CallError, CallResult, ErrorCode, FrameError, parse_frame
from chargers.ocpp.redaction import REDACTED, redact

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=20,
)


@given(st.text(max_size=200))
def test_any_text_parses_or_fails_with_a_1_6_error_code(text: str) -> None:
    try:
        parse_frame(text)
    except FrameError as error:
        assert error.code in ErrorCode.ALL
        assert error.unique_id


@given(json_values)
def test_any_json_value_parses_or_fails_with_a_1_6_error_code(value) -> None:
    try:
        frame = parse_frame(json.dumps(value))
    except FrameError as error:
        assert error.code in ErrorCode.ALL
    else:
        assert isinstance(frame, Call | CallResult | CallError)


def test_the_three_frame_kinds_parse() -> None:
    assert parse_frame('[2, "1", "Heartbeat", {}]') == Call("1", "Heartbeat", {})
    assert parse_frame('[3, "1", {"a": 1}]') == CallResult("1", {"a": 1})
    assert parse_frame('[4, "1", "NotSupported", "no", {}]') == CallError("1", "NotSupported", "no", {})


def test_a_unique_id_longer_than_36_characters_is_a_protocol_error() -> None:
    try:
        parse_frame(json.dumps([2, "x" * 37, "Heartbeat", {}]))
    except FrameError as error:
        assert error.code == ErrorCode.PROTOCOL_ERROR
    else:
        raise AssertionError("accepted a 37-character unique id")


def test_an_authorization_key_never_reaches_the_message_log() -> None:
    change = {"key": "AuthorizationKey", "value": "secret-secret-secret"}
    assert redact("ChangeConfiguration", change) == {"key": "AuthorizationKey", "value": REDACTED}
    listing = {
        "configurationKey": [
            {"key": "AuthorizationKey", "value": "s", "readonly": False},
            {"key": "HeartbeatInterval", "value": "60", "readonly": False},
        ]
    }
    redacted = redact("GetConfiguration", listing)
    assert redacted["configurationKey"][0]["value"] == REDACTED
    assert redacted["configurationKey"][1]["value"] == "60"
