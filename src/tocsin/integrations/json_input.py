"""Decode a JSON body against a pydantic type and report problems field by field."""

from __future__ import annotations

from typing import Any, TypeVar

import pydantic

from tocsin.config.validation import describe, field_path, problems_of
from tocsin.errors import FieldProblem, InputError

__all__ = ["decode", "describe", "field_path", "problems_of"]

T = TypeVar("T")


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
