"""Alertmanager API v2 silences: the postable shape, and the gettable one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pydantic

from tocsin.domain.matchers import Matcher, MatchOp
from tocsin.domain.silences import Silence, SilenceState
from tocsin.errors import FieldProblem, InputError
from tocsin.integrations.fields import LabelName, OptionalTime, Text
from tocsin.integrations.json_input import decode

__all__ = ["PostableSilence", "gettable_silence", "parse_postable_silence"]


class MatcherIn(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="ignore")

    name: LabelName
    value: str
    isRegex: bool
    isEqual: bool = True


class PostableSilence(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="ignore")

    id: Text | None = None
    matchers: list[MatcherIn]
    startsAt: OptionalTime
    endsAt: OptionalTime
    createdBy: Text
    comment: Text


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


def _time(value: datetime) -> str:
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def gettable_silence(silence: Silence, state: SilenceState) -> dict[str, Any]:
    return {
        "id": silence.id,
        "status": {"state": state.value},
        "updatedAt": _time(silence.updated_at),
        "matchers": [m.as_api() for m in silence.matchers],
        "startsAt": _time(silence.starts_at),
        "endsAt": _time(silence.ends_at),
        "createdBy": silence.created_by,
        "comment": silence.comment,
    }
