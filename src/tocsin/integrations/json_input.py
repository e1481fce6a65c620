"""Decode a JSON body against a pydantic type and report problems field by field."""

from __future__ import annotations

from typing import Any, TypeVar

import pydantic

from tocsin.errors import FieldProblem, InputError

__all__ = ["decode", "field_path", "problems_of"]

T = TypeVar("T")


def field_path(loc: tuple[int | str, ...], root: str = "") -> str:
    out = root
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "body"


def problems_of(exc: pydantic.ValidationError, root: str = "") -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = tuple(
            p
            for p in err["loc"]
            if not (isinstance(p, str) and (p.startswith("function-") or p == "[key]"))
        )
        if err["type"] == "json_invalid":
            detail = err.get("ctx", {}).get("error", "")
            problems.append(FieldProblem("body", f"is not valid JSON ({detail})"))
            continue
        message = err["msg"]
        if err["type"] == "missing":
            message = "is required"
        elif err["type"] == "extra_forbidden":
            message = "is not a known field"
        elif message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        problems.append(FieldProblem(field_path(loc, root), message))
    return problems


def decode(adapter: pydantic.TypeAdapter[T], body: bytes, root: str = "") -> T:
    """Validate ``body`` (JSON bytes) as the adapter's type; InputError on any problem."""
    if not body.strip():
        raise InputError(FieldProblem("body", "is empty; expected a JSON document"))
    try:
        return adapter.validate_json(body)
    except pydantic.ValidationError as exc:
        raise InputError(problems_of(exc, root)) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise InputError(FieldProblem("body", f"is not valid JSON ({exc})")) from None


def as_str_map(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()}
