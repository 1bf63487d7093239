"""The error answers of the REST API, documented once for every operation (a drf-spectacular postprocessing hook
in settings.SPECTACULAR_SETTINGS): each operation of every app, present and future, lists them without a line
of its own. What DRF and the portal answer, and when:

- 400: a body or query parameter that does not validate: `{"<field>": ["message", ...]}` (a nested field holds
  the same shape, `non_field_errors` what belongs to no one field); a few answer a list of messages.
- 401: no or a wrong `Authorization: Token`; 403: a customer, a viewer writing, a key without the scope.
- 404: an unknown object, an unknown path under /api/v1/, "Invalid page." or "Invalid cursor" on a list.
- 415: a body that is not one of the operation's content types.
- 429: over the API key's rate (Retry-After says when to try again) or too many wrong keys from one address.
- 409 where an operation documents it itself (e.g. cancelling a command already sent).
"""

from typing import Any

DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string", "description": "What went wrong, in words"}},
    "required": ["detail"],
}
FIELD_ERRORS = {
    "description": "The field(s) at fault: each field's messages (a nested field: an object of the same shape; "
    "`non_field_errors`: what concerns no one field). A few checks answer a plain list of messages.",
    "oneOf": [
        {
            "type": "object",
            "additionalProperties": {
                "oneOf": [{"type": "array", "items": {}}, {"type": "object"}, {"type": "string"}],
            },
        },
        {"type": "array", "items": {"type": "string"}},
    ],
}
COMPONENTS = {"Error": DETAIL, "ValidationError": FIELD_ERRORS}

ERRORS: dict[str, str] = {
    "400": "Invalid input: the field(s) at fault",
    "401": "Authentication credentials were not provided or are wrong",
    "403": "Not allowed: not an operator, a read-only viewer, or the API key lacks the scope",
    "404": 'Not found (an unknown object or path), or "Invalid page." / "Invalid cursor" on a list',
    "409": "Conflict with the object's current state",
    "415": "Unsupported media type: send the body as one of the documented content types",
    "429": "Too many requests: wait for Retry-After seconds",
}
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait"}}


def _codes(operation: dict) -> list[str]:
    codes = ["401", "403", "404", "429"]
    has_query = any(parameter.get("in") == "query" for parameter in operation.get("parameters", []))
    if "requestBody" in operation or has_query:
        codes.append("400")
    if "requestBody" in operation:
        codes.append("415")
    return codes


def _response(code: str, existing: dict | None) -> dict:
    # A conflict names the field whose state forbids the change, as a 400 does ({"status": ["..."]}).
    schema = "ValidationError" if code in ("400", "409") else "Error"
    response = dict(existing or {"description": ERRORS[code]})
    reference = {"$ref": f"#/components/schemas/{schema}"}
    # A view that names the code only in words (OpenApiResponse(description=...)) gets the body's shape here.
    response.setdefault("content", {"application/json": {"schema": reference}})
    body = response["content"].get("application/json")
    if code == "400" and body is not None and body.get("schema") != reference:
        # A view that documents its own 400 (an import's report) still answers field errors for a missing or
        # malformed field: DRF's serializers do, before the view's own code runs.
        body["schema"] = {"anyOf": [body["schema"], reference]}
    if code == "429":
        response.setdefault("headers", RETRY_AFTER)
    return response


def document_errors(result: dict[str, Any], generator: object, request: object, public: bool) -> dict[str, Any]:
    result.setdefault("components", {}).setdefault("schemas", {}).update(COMPONENTS)
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for code in {*_codes(operation), *(code for code in responses if code in ERRORS)}:
                responses[code] = _response(code, responses.get(code))
    return result
