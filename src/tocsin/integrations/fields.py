"""Pydantic field types shared by the senders' payloads: label and annotation maps with
Alertmanager's name rules, optional times, and free-form JSON that can be stored as is."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, StringConstraints

from tocsin.domain.labels import LABEL_NAME, NO_NUL, normalise_labels

__all__ = [
    "AnnotationMap",
    "JsonObject",
    "LabelMap",
    "LabelName",
    "OptionalTime",
    "StorableJson",
    "Text",
]


def _utc(value: datetime | None) -> datetime | None:
    # Go's zero time (0001-01-01T00:00:00Z) means "not set" in Alertmanager payloads.
    if value is None or value.year == 1:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


#: A label or annotation name, checked in pydantic's core (this runs for every label of
#: every alert); a bad one is reported at its own key.
LabelName = Annotated[str, StringConstraints(pattern=LABEL_NAME.pattern)]
LabelMap = Annotated[dict[LabelName, str], AfterValidator(normalise_labels)]
AnnotationMap = dict[LabelName, str]
OptionalTime = Annotated[datetime | None, AfterValidator(_utc)]
#: Text stored in a column of its own: PostgreSQL text cannot hold a NUL character.
Text = Annotated[str, StringConstraints(pattern=NO_NUL)]


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
