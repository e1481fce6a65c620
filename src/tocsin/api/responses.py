"""JSON responses encoded with orjson, and Tocsin's error body."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Response

from tocsin.errors import InputError

__all__ = ["error_body", "json_response"]


def json_response(
    content: Any, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(content),
        status_code=status_code,
        media_type="application/json",
        headers=headers,
    )


def error_body(exc: InputError) -> dict[str, Any]:
    return {
        "message": str(exc),
        "errors": [{"field": p.field, "problem": p.problem} for p in exc.problems],
    }
