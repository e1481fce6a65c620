"""Pydantic field types for label and annotation maps, with Alertmanager's name rules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator

from tocsin.domain.labels import label_name_problem, normalise_labels

__all__ = ["AnnotationMap", "LabelMap", "OptionalTime"]


def _check_names(value: dict[str, str]) -> dict[str, str]:
    for name in value:
        problem = label_name_problem(name)
        if problem:
            raise ValueError(problem)
    return value


def _labels(value: dict[str, str]) -> dict[str, str]:
    return normalise_labels(_check_names(value))


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


LabelMap = Annotated[dict[str, str], AfterValidator(_labels)]
AnnotationMap = Annotated[dict[str, str], AfterValidator(_check_names)]
OptionalTime = Annotated[datetime | None, BeforeValidator(_time), AfterValidator(_utc)]
