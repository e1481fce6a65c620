"""Label sets as Prometheus and Alertmanager define them, and their fingerprint."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

__all__ = [
    "LABEL_NAME",
    "NO_NUL",
    "fingerprint",
    "label_name_problem",
    "normalise_labels",
    "scoped_key",
]

#: Alertmanager's (classic) label-name rule.
LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
#: Strings kept in text columns must not hold NUL (PostgreSQL's text cannot).
NO_NUL = r"^[^\x00]*$"

_FNV_OFFSET = 14695981039346656037
_FNV_PRIME = 1099511628211
_MASK = (1 << 64) - 1
_SEPARATOR = 0xFF


def label_name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid label name, or None when it is."""
    if not name:
        return "label name must not be empty"
    if not LABEL_NAME.match(name):
        return f"invalid label name {name!r}: must match [a-zA-Z_][a-zA-Z0-9_]*"
    return None


def normalise_labels(labels: Mapping[str, str]) -> dict[str, str]:
    """Drop empty values (an empty label equals an absent one) and sort by name."""
    return {k: labels[k] for k in sorted(labels) if labels[k] != ""}


def _fnv(parts: list[str]) -> str:
    # Every part followed by the 0xff separator, hashed as one byte string (one loop).
    h = _FNV_OFFSET
    for byte in b"\xff".join([p.encode() for p in parts]) + b"\xff":
        h = ((h ^ byte) * _FNV_PRIME) & _MASK
    return f"{h:016x}"


def fingerprint(labels: Mapping[str, str]) -> str:
    """Alertmanager's fingerprint of a label set: FNV-1a 64 over sorted name/value pairs.

    Identical to ``model.LabelSet.Fingerprint()`` in prometheus/common, so Tocsin and a real
    Alertmanager name the same alert with the same 16 hex digits.
    """
    if not labels:
        return f"{_FNV_OFFSET:016x}"
    return _fnv_cached(tuple(part for name in sorted(labels) for part in (name, labels[name])))


@functools.lru_cache(maxsize=65536)
def _fnv_cached(parts: tuple[str, ...]) -> str:
    # Senders repeat the same label sets all day (Prometheus re-sends every firing alert each
    # evaluation interval); the byte loop in _fnv is the costliest step of parsing an alert.
    return _fnv(list(parts))


def scoped_key(scope: str, key: str) -> str:
    """Fingerprint for alerts identified by a sender's dedup key inside one integration."""
    return _fnv(["\x00scoped", scope, key])
