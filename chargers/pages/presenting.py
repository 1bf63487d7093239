"""How the charger page shows what chargers answered: fields with readable labels, not raw JSON."""

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chargers.models import MessageLog
from chargers.services.message_log import TAIL_TEXT_CHARS

MAX_LIST_ITEMS = 5
_WORD_START = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def label(key: str) -> str:
    """`configurationKey` -> "Configuration key"; `idTagInfo` -> "Id tag info"."""
    words = _WORD_START.sub(" ", key).split()
    return " ".join([words[0].capitalize(), *(w.lower() for w in words[1:])]) if words else key


@dataclass(frozen=True)
class Field:
    label: str
    text: str


def answer_fields(answer: Any) -> list[Field]:
    """An OCPP answer as label/text pairs: nested objects flattened ("Id tag info · status"), lists of objects
    counted and their first few items named (a GetConfiguration answer holds hundreds of keys)."""
    if not isinstance(answer, dict):
        return [] if answer in (None, "", {}) else [Field("Answer", _text(answer))]
    fields: list[Field] = []
    for key, value in answer.items():
        fields.extend(_fields(label(key), value))
    return fields


def _fields(name: str, value: Any) -> list[Field]:
    if isinstance(value, dict):
        return [field for key, inner in value.items() for field in _fields(f"{name} · {label(key)}", inner)]
    if isinstance(value, list) and any(isinstance(item, dict) for item in value):
        shown = ", ".join(_item(item) for item in value[:MAX_LIST_ITEMS])
        more = f" and {len(value) - MAX_LIST_ITEMS} more" if len(value) > MAX_LIST_ITEMS else ""
        return [Field(name, f"{len(value)}: {shown}{more}" if value else "none")]
    return [Field(name, _text(value))]


def _item(item: Any) -> str:
    if isinstance(item, dict):
        # A configuration key reads as key=value; other objects as their values.
        if "key" in item:
            return f"{item['key']}={item.get('value', '')}"
        return " ".join(_text(v) for v in item.values())
    return _text(item)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value) if value else "none"
    return "" if value is None else str(value)


# OCPP-J message types in words (the page's script, charger-page.js, gets the same words from the page).
MESSAGE_TYPE_WORDS = {2: "CALL", 3: "RESULT", 4: "ERROR"}


@dataclass(frozen=True)
class LogLine:
    """One frame of the live tail, as the page shows it; the events of new frames read the same."""

    direction: str
    kind: str
    action: str
    error_code: str
    text: str
    created_at: datetime


def log_lines(rows: list[MessageLog]) -> list[LogLine]:
    return [
        LogLine(
            direction=row.direction,
            kind=MESSAGE_TYPE_WORDS.get(row.message_type, ""),
            action=row.action,
            error_code=row.error_code,
            text=(json.dumps(row.payload, ensure_ascii=False) if row.payload is not None else row.raw)[
                :TAIL_TEXT_CHARS
            ],
            created_at=row.created_at,
        )
        for row in rows
    ]
