"""The admin's command form: a typed form for an operation's request, built from the request's JSON schema
(chargers/schema_forms.py), and the cleaned data turned back into the OCPP payload.

The schema and the timestamp format are the protocol room's: the admin takes them from it and hands them in, so
that forms never import the room.
"""

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django import forms

from chargers.commands.services import PORTAL_OWNED
from chargers.schema_forms import schema_form_class


def action_form_class(*, action: str, schema: dict) -> type[forms.Form]:
    """The typed form of `action`'s request `schema`; what the portal fills in itself is optional."""
    return schema_form_class(schema, name=action, optional=PORTAL_OWNED.get(action, frozenset()))


def command_payload(*, schema: dict, cleaned_data: dict[str, Any], format_time: Callable[[datetime], str]) -> dict:
    """The OCPP payload for cleaned form data: empty optional fields are left out, types as OCPP wants
    (date-times through `format_time`)."""
    result: dict[str, Any] = {}
    for key, spec in schema.get("properties", {}).items():
        value = cleaned_data.get(key)
        if value is None or value == "" or value == []:
            continue
        result[key] = _ocpp_value(spec, value, format_time)
    return result


def _ocpp_value(spec: dict, value: Any, format_time: Callable[[datetime], str]) -> Any:
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, Decimal):
        return float(value)
    if spec.get("type") == "array" and isinstance(value, str):
        return [line.strip() for line in value.splitlines() if line.strip()]
    return value
