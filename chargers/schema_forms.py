"""Typed Django forms built from JSON schemas: one form per OCPP operation, from the OCA schema of its request.

Scalars become typed fields (integers, enums as choices, date-times); nested objects and lists of objects
(a charging profile, a local list) become JSON fields, checked against the same schema when the command is
created. `payload` turns cleaned data back into the OCPP payload.
"""

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from django import forms

from chargers.ocpp.schemas import request_schema
from chargers.ocpp.timestamps import format_timestamp

# Fields the portal fills in when they are left empty.
PORTAL_OWNED = {"ReserveNow": {"reservationId"}}


def schema_field(name: str, spec: dict, required: bool) -> forms.Field:
    """The form field for one property of a JSON schema (OCA request schemas, vendors' DataTransfer schemas)."""
    kind = spec.get("type")
    label = spec.get("description") or name
    bounds = {"min_value": spec.get("minimum"), "max_value": spec.get("maximum")}
    if kind == "integer":
        return forms.IntegerField(required=required, label=label, **bounds)
    if kind == "number":
        return forms.DecimalField(required=required, label=label, **bounds)
    if kind == "boolean":
        return forms.BooleanField(required=False, label=label)
    if kind == "string" and "enum" in spec:
        choices = [(value, value) for value in spec["enum"]]
        return forms.ChoiceField(choices=([] if required else [("", "—")]) + choices, required=required, label=label)
    if kind == "string" and spec.get("format") == "date-time":
        return forms.DateTimeField(required=required, label=label, help_text="UTC unless a zone is given")
    if kind == "string":
        return forms.CharField(required=required, label=label, max_length=spec.get("maxLength"))
    if kind == "array" and spec.get("items", {}).get("type") == "string":
        return forms.CharField(
            required=required, label=label, widget=forms.Textarea(attrs={"rows": 3}), help_text="One value per line"
        )
    return forms.JSONField(
        required=required,
        label=label,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="JSON, as in the OCPP 1.6 specification",
    )


def schema_form_class(schema: dict, *, name: str, optional: frozenset[str] = frozenset()) -> type[forms.Form]:
    required = set(schema.get("required", [])) - optional
    fields = {key: schema_field(key, spec, key in required) for key, spec in schema.get("properties", {}).items()}
    form_class = type(f"{name}Form", (forms.Form,), fields)
    form_class.json_schema = schema
    return form_class


def action_form_class(action: str) -> type[forms.Form]:
    return schema_form_class(request_schema(action), name=action, optional=frozenset(PORTAL_OWNED.get(action, ())))


def payload(schema: dict, cleaned_data: dict[str, Any]) -> dict:
    """The OCPP payload for cleaned form data: empty optional fields are left out, types as OCPP wants."""
    result: dict[str, Any] = {}
    for key, spec in schema.get("properties", {}).items():
        value = cleaned_data.get(key)
        if value is None or value == "" or value == []:
            continue
        result[key] = _ocpp_value(spec, value)
    return result


def _ocpp_value(spec: dict, value: Any) -> Any:
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, Decimal):
        return float(value)
    if spec.get("type") == "array" and isinstance(value, str):
        return [line.strip() for line in value.splitlines() if line.strip()]
    return value


def payload_text(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)
