"""Typed Django forms built from JSON schemas: the OCA schema of an operation's request (the command forms,
chargers/commands/forms.py), a vendor's DataTransfer schema (the profile forms).

Scalars become typed fields (integers, enums as choices, date-times); nested objects and lists of objects
(a charging profile, a local list) become JSON fields, checked against the same schema when the command is
created. The schemas are handed in: forms never import the protocol room.
"""

import json

from django import forms


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


def payload_text(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)
