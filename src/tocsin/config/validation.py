"""Pydantic validation errors as ``FieldProblem``s: a field path and a problem a person can act
on. Shared by HTTP intake (4xx bodies) and configuration files (file:line: key: problem)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import pydantic
from pydantic_core import ErrorDetails

from tocsin.config.durations import parse_duration
from tocsin.domain.labels import LABEL_NAME, NO_NUL
from tocsin.errors import FieldProblem

__all__ = ["Problem", "describe", "field_path", "positive_duration", "problems_of", "validated"]

M = TypeVar("M", bound=pydantic.BaseModel)
#: Reports a problem at the keys of a configuration file (``file:line: key: problem``).
Problem = Callable[[list[str | int], str], None]


def field_path(loc: tuple[int | str, ...], root: str = "") -> str:
    out = root
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "body"


def describe(err: ErrorDetails) -> str:
    """One validation error in words a sender can act on."""
    kind = err["type"]
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known field"
    if kind == "string_pattern_mismatch":
        pattern = err.get("ctx", {}).get("pattern")
        if pattern == LABEL_NAME.pattern:
            return "invalid label name: must match [a-zA-Z_][a-zA-Z0-9_]*"
        if pattern == NO_NUL:
            return "must not contain NUL characters"
    return err["msg"].removeprefix("Value error, ")


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
        problems.append(FieldProblem(field_path(loc, root), describe(err)))
    return problems


def validated(model: type[M], raw: Any, keys: list[str | int], problem: Problem) -> M | None:
    """``raw`` (a section of a configuration file at ``keys``) as ``model``; None when it
    does not validate, each problem reported at its own keys."""
    try:
        return model.model_validate(raw)
    except pydantic.ValidationError as exc:
        for err in exc.errors():
            loc = [p for p in err["loc"] if isinstance(p, str | int) and p != "[key]"]
            problem([*keys, *loc], describe(err))
        return None


def positive_duration(
    text: str, keys: list[str | int], problem: Problem, *, zero: bool = False
) -> timedelta | None:
    """A configured duration that must be longer than nothing (or, with ``zero``, not
    negative); None, with the problem reported at ``keys``, when it is not."""
    try:
        span = parse_duration(text)
    except ValueError as exc:
        problem(keys, str(exc))
        return None
    if span < timedelta(0) or (span == timedelta(0) and not zero):
        problem(keys, "must be longer than nothing" if not zero else "must not be negative")
        return None
    return span
