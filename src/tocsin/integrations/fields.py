"""Pydantic field types shared by the senders' payloads: label and annotation maps with
Alertmanager's name rules, optional times, and free-form JSON that can be stored as is."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

from tocsin.domain.labels import label_name_problem, normalise_labels

__all__ = [
    "AnnotationMap",
    "JsonObject",
    "LabelMap",
    "LabelName",
    "OptionalTime",
    "StorableJson",
]


def _check_name(name: str) -> str:
    problem = label_name_problem(name)
    if problem:
        raise ValueError(problem)
    return name


def _time(value: object) -> object:
    # Go's zero time means "not set" in Alertmanager payloads.
    if isinstance(value, str) and value.startswith("0001-01-01T00:00:00"):
        return None
    return value


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


#: A label or annotation name; a bad one is reported at its own key.
LabelName = Annotated[str, AfterValidator(_check_name)]
LabelMap = Annotated[dict[LabelName, str], AfterValidator(normalise_labels)]
AnnotationMap = dict[LabelName, str]
OptionalTime = Annotated[datetime | None, BeforeValidator(_time), AfterValidator(_utc)]


_INT64 = 2**63


def _storable(value: Any) -> Any:
    """Free-form JSON as every database stores it: non-finite numbers are refused, integers
    beyond 64 bits are kept exactly, as their decimal string."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("numbers must be finite")
    if isinstance(value, int) and not isinstance(value, bool) and not -_INT64 <= value < _INT64:
        return str(value)
    if isinstance(value, dict):
        return {str(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v) for v in value]
    return value


StorableJson = Annotated[Any, AfterValidator(_storable)]
JsonObject = Annotated[dict[str, Any], AfterValidator(_storable)]
