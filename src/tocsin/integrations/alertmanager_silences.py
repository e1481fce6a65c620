"""Alertmanager API v2 silences: the postable shape, and the gettable one."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pydantic

from tocsin.config.time_intervals import SpecError, parse_spec
from tocsin.domain.matchers import Matcher, MatchOp
from tocsin.domain.silences import Silence, SilenceState
from tocsin.domain.time_intervals import TimeInterval
from tocsin.errors import FieldProblem, InputError
from tocsin.integrations.fields import LabelName, OptionalTime, Text
from tocsin.integrations.json_input import decode

__all__ = [
    "PostableSilence",
    "gettable_silence",
    "parse_postable_silence",
    "resolve_recurrence",
]


class MatcherIn(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="ignore")

    name: LabelName
    value: str
    isRegex: bool
    isEqual: bool = True


class RecurrenceIn(pydantic.BaseModel):
    """Tocsin: mute only while a time interval holds; a named one from the configuration's
    ``time_intervals``, or one given here in Alertmanager's time interval syntax."""

    model_config = pydantic.ConfigDict(extra="forbid")

    timeInterval: Text | None = None
    timeIntervals: list[dict[str, Any]] | None = None


class PostableSilence(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="ignore")

    id: Text | None = None
    matchers: list[MatcherIn]
    startsAt: OptionalTime
    endsAt: OptionalTime
    createdBy: Text
    comment: Text
    recurrence: RecurrenceIn | None = None


_ADAPTER = pydantic.TypeAdapter(PostableSilence)


def parse_postable_silence(body: bytes) -> tuple[PostableSilence, tuple[Matcher, ...]]:
    silence = decode(_ADAPTER, body)
    matchers = []
    problems = []
    for i, m in enumerate(silence.matchers):
        try:
            matchers.append(Matcher.of(m.name, MatchOp.from_flags(m.isRegex, m.isEqual), m.value))
        except ValueError as exc:
            problems.append(FieldProblem(f"matchers[{i}].value", str(exc)))
    for field in ("startsAt", "endsAt"):
        if getattr(silence, field) is None:
            problems.append(FieldProblem(field, "is required"))
    if problems:
        raise InputError(problems)
    return silence, tuple(matchers)


def resolve_recurrence(
    recurrence: RecurrenceIn | None, named: Mapping[str, TimeInterval]
) -> TimeInterval | None:
    """The time interval a recurring silence follows; InputError naming the field."""
    if recurrence is None:
        return None
    if (recurrence.timeInterval is None) == (recurrence.timeIntervals is None):
        raise InputError(
            [FieldProblem("recurrence", "give exactly one of timeInterval and timeIntervals")]
        )
    if recurrence.timeInterval is not None:
        interval = named.get(recurrence.timeInterval)
        if interval is None:
            known = ", ".join(sorted(named)) or "none are configured"
            raise InputError(
                [
                    FieldProblem(
                        "recurrence.timeInterval",
                        f"unknown time interval {recurrence.timeInterval!r} (known: {known})",
                    )
                ]
            )
        return interval
    specs = []
    for i, raw in enumerate(recurrence.timeIntervals or []):
        try:
            specs.append(parse_spec(raw))
        except SpecError as exc:
            where = "".join(f".{k}" if isinstance(k, str) else f"[{k}]" for k in exc.keys)
            raise InputError(
                [FieldProblem(f"recurrence.timeIntervals[{i}]{where}", str(exc))]
            ) from None
    if not specs:
        raise InputError([FieldProblem("recurrence.timeIntervals", "must not be empty")])
    return TimeInterval("", tuple(specs))


def _time(value: datetime) -> str:
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def gettable_silence(silence: Silence, state: SilenceState) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": silence.id,
        "status": {"state": state.value},
        "updatedAt": _time(silence.updated_at),
        "matchers": [m.as_api() for m in silence.matchers],
        "startsAt": _time(silence.starts_at),
        "endsAt": _time(silence.ends_at),
        "createdBy": silence.created_by,
        "comment": silence.comment,
    }
    if silence.recurrence is not None:
        out["recurrence"] = {"timeInterval": silence.recurrence.name or None}
    return out
