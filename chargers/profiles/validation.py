"""Checks of a profile's answers that its models run (field validators, `clean`, `save`).

Below the models on purpose: it imports Django's ValidationError, jsonschema and the vocabulary only, so that a
model can check and normalise itself without reaching up into the services.
"""

import re

import jsonschema
from django.core.exceptions import ValidationError

from chargers.actions import OCPP_MESSAGES
from chargers.profiles.vocabulary import SECURITY_SCHEMES, UPLOAD_PROTOCOLS, Transport, messages_for

# --- Field validators -------------------------------------------------------------------------------------


def validate_regex(value: str) -> None:
    try:
        re.compile(value)
    except re.error as error:
        raise ValidationError(f"not a valid regular expression: {error}") from None


def _validate_choice_list(value: object, allowed: tuple[str, ...], what: str) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError(f"a list of {what}")
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise ValidationError(f"unknown {what}: {', '.join(unknown)} (allowed: {', '.join(allowed)})")


def validate_upload_protocols(value: object) -> None:
    _validate_choice_list(value, UPLOAD_PROTOCOLS, "upload protocols")


def validate_security_schemes(value: object) -> None:
    _validate_choice_list(value, SECURITY_SCHEMES, "schemes")


def validate_transports(value: object) -> None:
    _validate_choice_list(value, tuple(Transport.values), "transports")


def validate_supported_messages(value: object) -> None:
    """{transport: [message, ...]}: known transports, known OCPP messages, none a transport cannot carry."""
    if not isinstance(value, dict):
        raise ValidationError("an object of transport → list of OCPP messages")
    problems = []
    for transport, names in value.items():
        if transport not in Transport.values:
            problems.append(f"unknown transport {transport!r} (allowed: {', '.join(Transport.values)})")
            continue
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            problems.append(f"{transport}: a list of OCPP message names")
            continue
        unknown = sorted(set(names) - set(OCPP_MESSAGES))
        if unknown:
            problems.append(f"{transport}: unknown OCPP message(s) {', '.join(unknown)}")
        impossible = sorted(set(names) & set(OCPP_MESSAGES) - set(messages_for(transport)))
        if impossible:
            problems.append(f"{transport}: {', '.join(impossible)} do(es) not exist in OCPP 1.5")
    if problems:
        raise ValidationError(problems)


# --- DataTransfer schemas ---------------------------------------------------------------------------------

# The property types a form can be built for (DataTransfer `data` of real chargers is flat).
FORM_TYPES = frozenset({"string", "integer", "number", "boolean"})


def json_schema_problem(schema: object) -> str:
    """Why `schema` cannot describe a DataTransfer `data` object, or "" when it can. {} means: not known."""
    if schema in ({}, None):
        return ""
    if not isinstance(schema, dict):
        return "a JSON schema is a JSON object"
    try:
        jsonschema.Draft7Validator.check_schema(schema)
    except jsonschema.SchemaError as error:
        where = "/".join(str(p) for p in error.path)
        return f"not a valid JSON schema{f' at {where}' if where else ''}: {error.message}"
    if schema.get("type") != "object":
        return 'the schema of `data` must have "type": "object" (data is a JSON object sent as a string)'
    properties = schema.get("properties", {})
    for name, spec in properties.items():
        kind = spec.get("type") if isinstance(spec, dict) else None
        if kind not in FORM_TYPES:
            return f"property {name!r}: type must be one of {', '.join(sorted(FORM_TYPES))}"
    missing = [n for n in schema.get("required", []) if n not in properties]
    if missing:
        return f"required names no property: {', '.join(missing)}"
    return ""


def json_schema_with_property_order(schema: object) -> object:
    """The schema with "propertyOrder" on each property, from the order they were written in. PostgreSQL's
    jsonb does not keep key order, and a form should ask connectorId before chargingMode."""
    if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
        return schema
    properties = {
        name: ({"propertyOrder": i, **spec} if isinstance(spec, dict) and "propertyOrder" not in spec else spec)
        for i, (name, spec) in enumerate(schema["properties"].items())
    }
    return {**schema, "properties": properties}


def json_schema_properties(schema: dict) -> list[tuple[str, dict]]:
    """(name, spec) of a schema's properties, in their "propertyOrder"."""
    items = list((schema.get("properties") or {}).items())
    return sorted(items, key=lambda item: item[1].get("propertyOrder", len(items)) if isinstance(item[1], dict) else 0)
