"""OpenAPI for endpoints that read their body themselves (to validate it once, by hand)."""

from __future__ import annotations

from typing import Any

import pydantic

__all__ = ["json_body"]


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(defs[ref.removeprefix("#/$defs/")], defs)
        return {k: _inline(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


def json_body(schema: type[pydantic.BaseModel] | dict[str, Any]) -> dict[str, Any]:
    """``openapi_extra`` declaring a required JSON body; pydantic's ``$defs`` are inlined so
    the schema stands on its own inside the OpenAPI document."""
    if isinstance(schema, dict):
        resolved = schema
    else:
        full = schema.model_json_schema()
        resolved = _inline(full, full.get("$defs", {}))
    return {
        "requestBody": {"required": True, "content": {"application/json": {"schema": resolved}}}
    }
