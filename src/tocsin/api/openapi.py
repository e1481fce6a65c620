"""The OpenAPI document: bodies of endpoints that read them by hand (to validate them once),
and the error answers every endpoint may give (``document_errors``)."""

from __future__ import annotations

import json
from typing import Any

import pydantic
from fastapi import FastAPI

from tocsin.api.access import PUBLIC, RULES

__all__ = [
    "ERROR_BODY",
    "MESSAGE_BODY",
    "document_errors",
    "error_responses",
    "json_body",
]


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(defs[ref.removeprefix("#/$defs/")], defs)
        return {k: _inline(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


_BY_HAND = "x-tocsin-read-by-hand"


def json_body(schema: type[pydantic.BaseModel] | dict[str, Any]) -> dict[str, Any]:
    """``openapi_extra`` declaring a required JSON body; pydantic's ``$defs`` are inlined so
    the schema stands on its own inside the OpenAPI document."""
    if isinstance(schema, dict):
        resolved = schema
    else:
        full = schema.model_json_schema()
        resolved = _inline(full, full.get("$defs", {}))
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": resolved}},
            _BY_HAND: True,  # under read_body's limit: 413 (taken out by document_errors)
        }
    }


#: Tocsin's error body (api/errors.py): the message, and each field with its problem.
ERROR_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["message", "errors"],
    "properties": {
        "message": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "problem"],
                "properties": {"field": {"type": "string"}, "problem": {"type": "string"}},
            },
        },
    },
}

_ERRORS = {
    400: "Invalid input: each field and its problem",
    401: "No valid token",
    403: "The token may not do this",
    404: "Not found",
    409: "Conflicts with the object's state",
    413: "The body is larger than the configured limit",
    429: "Over the rate limit (Retry-After: seconds)",
    503: "Unavailable for now",
}


#: The refusals of webhooks called by other services (Slack, Twilio): a message only.
MESSAGE_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["message"],
    "properties": {"message": {"type": "string"}},
}


def error_responses(
    *codes: int, schema: dict[str, Any] = ERROR_BODY
) -> dict[int | str, dict[str, Any]]:
    """``responses`` for a route answering these codes with Tocsin's error body (or
    ``schema``)."""
    return {
        code: {
            "description": _ERRORS[code],
            "content": {"application/json": {"schema": schema}},
        }
        for code in codes
    }


def document_errors(app: FastAPI) -> None:
    """Declare in ``app``'s OpenAPI document the errors its handlers answer (api/errors.py),
    where a route does not declare them itself: 400 (not FastAPI's 422) for anything with
    input, 401, 403 and 429 where an API token is checked (api/access.py), 404 for /api
    paths with parameters (and 409 for changes to the object they name), 413 for bodies
    read by hand (``read_body``, under ``TOCSIN_MAX_BODY_BYTES``).
    Routes answering otherwise (the ingest APIs' own shapes, HTML, calendars) declare it."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                _declare_errors(path, method.upper(), operation)
        _drop_unused(schema, ("HTTPValidationError", "ValidationError"))
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _declare_errors(path: str, method: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    body = operation.get("requestBody", {})
    by_hand = _BY_HAND in body
    if by_hand:  # a copy: the route's own openapi_extra may be this very dict
        operation["requestBody"] = {k: v for k, v in body.items() if k != _BY_HAND}
    if "HTTPValidationError" in json.dumps(responses.get("422", "")):
        del responses["422"]  # FastAPI's; Tocsin answers 400 (api/errors.py)
    parameters = operation.get("parameters", [])
    has_body = "requestBody" in operation
    codes: list[int] = []
    if parameters or has_body:
        codes.append(400)
    token_checked = path.startswith("/api/") and RULES.get((method, path), PUBLIC) != PUBLIC
    if token_checked:
        codes += [401, 403, 429]
    if path.startswith("/api/") and any(p.get("in") == "path" for p in parameters):
        codes.append(404)
        if token_checked and method != "GET":
            codes.append(409)  # a change the object's state does not allow
    if has_body and by_hand:
        codes.append(413)  # read_body's limit (FastAPI reads the others whole)
    for code, response in error_responses(*codes).items():
        responses.setdefault(str(code), response)


def _drop_unused(schema: dict[str, Any], names: tuple[str, ...]) -> None:
    """Remove the component schemas ``names`` (in order) that nothing else refers to."""
    schemas: dict[str, Any] = schema.get("components", {}).get("schemas", {})
    for name in names:
        others = {k: v for k, v in schemas.items() if k != name}
        rest = {k: v for k, v in schema.items() if k != "components"}
        if name in schemas and f"#/components/schemas/{name}" not in json.dumps([rest, others]):
            del schemas[name]
