"""Prometheus durations: ``30s``, ``5m``, ``1h30m``, ``2d``, ``1w``, ``250ms``, ``0``."""

from __future__ import annotations

import re
from datetime import timedelta

from tocsin.errors import FieldProblem, InputError

__all__ = ["duration_input", "parse_duration"]

_UNITS = {
    "ms": timedelta(milliseconds=1),
    "s": timedelta(seconds=1),
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
    "y": timedelta(days=365),
}
_PART = re.compile(r"(\d+)(ms|y|w|d|h|m|s)")
_WHOLE = re.compile(r"^((\d+)(ms|y|w|d|h|m|s))+$")


def parse_duration(text: str) -> timedelta:
    """A Prometheus duration; ValueError naming the text if it is not one."""
    if text == "0":
        return timedelta(0)
    if not _WHOLE.match(text):
        raise ValueError(f"not a valid duration string: {text!r} (use e.g. 30s, 5m, 1h30m)")
    units = [unit for _, unit in _PART.findall(text)]
    order = ["y", "w", "d", "h", "m", "s", "ms"]
    if [order.index(u) for u in units] != sorted(order.index(u) for u in units) or len(
        set(units)
    ) != len(units):
        raise ValueError(f"not a valid duration string: {text!r} (units out of order)")
    try:
        return sum((int(n) * _UNITS[unit] for n, unit in _PART.findall(text)), timedelta(0))
    except OverflowError:
        raise ValueError(f"duration {text!r} is too long") from None


def duration_input(text: str, field: str) -> timedelta:
    """A duration given in ``field`` of a request or command; InputError naming the field
    if it is not one."""
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise InputError(FieldProblem(field, str(exc))) from None
