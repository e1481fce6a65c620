"""``on_call:`` in tocsin.yaml: what the engine does around schedules (handoff summaries,
reminders before a shift, alerts about coverage gaps)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pydantic

from tocsin.config.durations import parse_duration
from tocsin.config.validation import Problem, validated
from tocsin.domain.labels import label_name_problem

__all__ = ["OnCallPolicy", "compile_on_call"]


@dataclass(frozen=True)
class OnCallPolicy:
    #: Send the outgoing and the incoming person a summary at each handoff.
    handoff_summaries: bool = True
    #: Remind a person this long before each of their shifts starts (longest first).
    shift_reminders: tuple[timedelta, ...] = (timedelta(days=1), timedelta(hours=1))
    #: Raise an alert when nobody will be on call within this horizon (None: never).
    gap_horizon: timedelta | None = timedelta(days=7)
    #: How often the engine checks schedules (gaps, handoffs and reminders to plan).
    check_interval: timedelta = timedelta(minutes=5)
    #: Labels added to the gap alert (besides alertname and schedule).
    gap_labels: Mapping[str, str] = field(default_factory=lambda: {"severity": "warning"})

    @property
    def lookahead(self) -> timedelta:
        """How far ahead handoffs and reminders are planned as timers."""
        longest = max(self.shift_reminders, default=timedelta(0))
        return longest + 2 * self.check_interval + timedelta(hours=1)


class _GapAlerts(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    enabled: bool = True
    horizon: str = "7d"
    labels: dict[str, str] = pydantic.Field(default_factory=lambda: {"severity": "warning"})


class _OnCall(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    handoff_summaries: bool = True
    shift_reminders: list[str] = pydantic.Field(default_factory=lambda: ["1d", "1h"])
    gap_alerts: _GapAlerts = pydantic.Field(default_factory=_GapAlerts)
    check_interval: str = "5m"


def compile_on_call(raw: Mapping[str, Any] | None, problem: Problem) -> OnCallPolicy:
    keys: list[str | int] = ["on_call"]
    cfg = validated(_OnCall, raw or {}, keys, problem)
    if cfg is None:
        return OnCallPolicy()

    def duration(text: str, where: list[str | int]) -> timedelta | None:
        try:
            value = parse_duration(text)
        except ValueError as exc:
            problem([*keys, *where], str(exc))
            return None
        if value <= timedelta(0):
            problem([*keys, *where], "must be more than 0")
            return None
        return value

    reminders = [
        d
        for i, text in enumerate(cfg.shift_reminders)
        if (d := duration(text, ["shift_reminders", i])) is not None
    ]
    if len(set(reminders)) != len(reminders):
        problem([*keys, "shift_reminders"], "the same reminder is given twice")
    interval = duration(cfg.check_interval, ["check_interval"]) or timedelta(minutes=5)
    if interval < timedelta(seconds=10):
        problem([*keys, "check_interval"], "must be at least 10s")
    horizon = duration(cfg.gap_alerts.horizon, ["gap_alerts", "horizon"])
    labels = dict(cfg.gap_alerts.labels)
    for name in labels:
        bad = label_name_problem(name)
        if bad:
            problem([*keys, "gap_alerts", "labels", name], bad)
        elif name in ("alertname", "schedule"):
            problem([*keys, "gap_alerts", "labels", name], "is set by Tocsin")
    return OnCallPolicy(
        handoff_summaries=cfg.handoff_summaries,
        shift_reminders=tuple(sorted(set(reminders), reverse=True)),
        gap_horizon=horizon if cfg.gap_alerts.enabled else None,
        check_interval=interval,
        gap_labels=labels,
    )
