"""Text and JSON from a charger made fit to store and to show.

PostgreSQL text and jsonb cannot hold NUL, UTF-8 cannot hold a lone surrogate (what an undecodable byte, or
JSON's "\\ud800" escape, may become), and a JSON document cannot hold NaN or Infinity (Python's json reads and
writes them). Other control characters can be stored but make a log line or an admin page lie about what was
sent. Such characters are written as their escapes instead, so the record says exactly what arrived; such
numbers are written as strings. The protocol room refuses them in the fields it stores (chargers/ocpp/limits.py);
what must be kept whatever it holds (the message log) is stored this way.
"""

import json
import math
import re
from typing import Any

# Unicode category Cc (C0 controls, DEL, C1 controls) and Cs (surrogates).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# What the database cannot hold at all.
UNSTORABLE_CHARACTERS = re.compile("[\x00\ud800-\udfff]")


def _escape(match: re.Match) -> str:
    return ascii(match.group())[1:-1]


def has_control_characters(text: str) -> bool:
    return CONTROL_CHARACTERS.search(text) is not None


def storable_text(text: str) -> str:
    """The text with every control character and lone surrogate written as its escape (NUL becomes \\x00)."""
    return CONTROL_CHARACTERS.sub(_escape, text)


def is_storable_text(value: str) -> bool:
    """The fast test (a regular-expression scan of a character range costs ten times more on a frame)."""
    if "\x00" in value:
        return False
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # only a lone surrogate fails to encode
        return False
    return True


def unstorable_text_problem(value: str) -> str:
    """What makes this string unstorable, or "" when it can be stored."""
    if is_storable_text(value):
        return ""
    found = UNSTORABLE_CHARACTERS.search(value)
    if found is None:
        return ""
    return "contains a NUL character" if found.group() == "\x00" else "contains a lone UTF-16 surrogate"


def escape_unstorable(text: str) -> str:
    """The text with only NUL and lone surrogates written as their escapes (a frame's newlines stay)."""
    return UNSTORABLE_CHARACTERS.sub(_escape, text)


def _storable_value(value: Any) -> Any:
    if isinstance(value, str):
        return escape_unstorable(value)
    if isinstance(value, dict):
        return {escape_unstorable(str(key)): _storable_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_storable_value(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return json.dumps(value)  # "NaN", "Infinity", "-Infinity": what was sent, as a string
    if value is None or isinstance(value, bool | int | float):
        return value
    return escape_unstorable(str(value))


def storable_json(value: Any) -> tuple[str, bool]:
    """JSON text of `value` that PostgreSQL's jsonb and SQLite's JSON both accept, and whether anything had to
    be replaced to get it. The usual case costs one json.dumps and one regular-expression scan."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (ValueError, TypeError):  # NaN or Infinity, or something that is not JSON at all
        text = None
    # ensure_ascii=False leaves a lone surrogate as itself and writes NUL as the escape \u0000.
    if text is not None and "\\u0000" not in text and is_storable_text(text):
        return text, False
    cleaned = json.dumps(_storable_value(value), ensure_ascii=False)
    # A string that merely spells backslash-u-0000 is stored as it is.
    return cleaned, cleaned != text


def storable_value(value: Any) -> Any:
    """`value` itself, or a copy the database can store (see storable_json) when it holds what it cannot."""
    text, changed = storable_json(value)
    return json.loads(text) if changed else value
