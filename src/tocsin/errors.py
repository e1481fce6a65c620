"""Tocsin's exceptions.

TocsinError
├── InputError        bad input from a client or a file; carries field problems (-> 4xx)
│   └── PayloadTooLarge   the body is over the configured limit (-> 413)
├── Unauthorized      no or wrong credentials; never says which integrations exist (-> 401)
├── NotFound          a named thing does not exist (-> 404)
├── Conflict          the request contradicts stored state (-> 409)
└── ConfigError       a configuration value or file is invalid (names file, line and key)
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "Conflict",
    "ConfigError",
    "FieldProblem",
    "Forbidden",
    "InputError",
    "NotFound",
    "PayloadTooLarge",
    "TocsinError",
    "Unauthorized",
    "Unavailable",
]


class TocsinError(Exception):
    """Base of every error Tocsin raises on purpose."""


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with one field of the input, e.g. ``alerts[0].labels``: "is required"."""

    field: str
    problem: str

    def __str__(self) -> str:
        return f"{self.field}: {self.problem}" if self.field else self.problem


class InputError(TocsinError):
    def __init__(self, problems: list[FieldProblem] | FieldProblem | str) -> None:
        if isinstance(problems, str):
            problems = [FieldProblem("", problems)]
        elif isinstance(problems, FieldProblem):
            problems = [problems]
        self.problems: list[FieldProblem] = problems
        super().__init__("; ".join(str(p) for p in problems))


class PayloadTooLarge(InputError):
    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(FieldProblem("body", f"is larger than the limit of {limit} bytes"))


class Unauthorized(TocsinError):
    pass


class Forbidden(TocsinError):
    """Who is asking is known, and may not do this (the message says why)."""


class NotFound(TocsinError):
    pass


class Conflict(TocsinError):
    pass


class ConfigError(TocsinError):
    pass


class Unavailable(TocsinError):
    """Something Tocsin depends on (Prometheus, for an SLO) cannot answer now."""
