"""``postmortems:`` and ``reports:`` in tocsin.yaml::

postmortems:
  required_for: [SEV1, SEV2]     # others get a postmortem on request
  due_in: 5                      # business days after the incident is resolved
  business_days: [mon, tue, wed, thu, fri]
  time_zone: Europe/Berlin       # where business days are counted (default UTC)
  template: postmortem.md        # Markdown with {placeholders}; relative to tocsin.yaml
  categories: [deploy, config, capacity, dependency]
  remind_before: 2d              # action item owners, before the due date
  remind_after: 1d               # and after it, again every remind_after until done
  follow_up_review: 14d          # after publication: are the action items done?
reports:
  working_hours: {days: [mon, tue, wed, thu, fri], start: "09:00", end: "18:00"}
  sleep_hours: {start: "22:00", end: "07:00"}
  page_budget: 2                 # pages per shift, on average, before a flag
  repeat_window: 30d
"""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pydantic

from tocsin.config import files
from tocsin.config.validation import Problem, positive_duration, validated
from tocsin.domain.learning_policy import WEEKDAYS, HealthPolicy, PostmortemPolicy
from tocsin.domain.postmortem_template import unknown_placeholders

__all__ = ["compile_health_policy", "compile_postmortem_policy"]

Keys = list[str | int]
_SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")


class _Strict(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")


class _Postmortems(_Strict):
    required_for: list[str] = ["SEV1", "SEV2"]
    due_in: int = pydantic.Field(default=5, ge=1, le=60)
    business_days: list[str] = list(WEEKDAYS[:5])
    time_zone: str = "UTC"
    template: str | None = None
    categories: list[pydantic.constr(min_length=1, max_length=100)] = []  # type: ignore[valid-type]
    remind_before: str = "2d"
    remind_after: str = "1d"
    follow_up_review: str = "14d"


class _Sleep(_Strict):
    """Every night: sleep does not take weekends off."""

    start: str
    end: str


class _Hours(_Sleep):
    days: list[str] = list(WEEKDAYS[:5])


class _Reports(_Strict):
    working_hours: _Hours = _Hours(start="09:00", end="18:00")
    sleep_hours: _Sleep = _Sleep(start="22:00", end="07:00")
    page_budget: float = pydantic.Field(default=2.0, gt=0)
    repeat_window: str = "30d"


def _days(names: list[str], keys: Keys, problem: Problem) -> frozenset[int] | None:
    wrong = [n for n in names if n.lower()[:3] not in WEEKDAYS]
    if wrong or not names:
        problem(keys, f"days are mon, tue, wed, thu, fri, sat, sun, not {wrong or 'none'}")
        return None
    return frozenset(WEEKDAYS.index(n.lower()[:3]) for n in names)


def _clock(text: str, keys: Keys, problem: Problem) -> time | None:
    try:
        return time.fromisoformat(text)
    except ValueError:
        problem(keys, f"{text!r} is not a time of day like 09:00")
        return None


def compile_postmortem_policy(raw: Any, base: Path, problem: Problem) -> PostmortemPolicy:
    if raw is None:
        return PostmortemPolicy()
    keys: Keys = ["postmortems"]
    cfg = validated(_Postmortems, raw, keys, problem)
    if cfg is None:
        return PostmortemPolicy()
    for i, sev in enumerate(cfg.required_for):
        if sev not in _SEVERITIES:
            problem([*keys, "required_for", i], f"{sev!r} is not one of {', '.join(_SEVERITIES)}")
    days = _days(cfg.business_days, [*keys, "business_days"], problem)
    try:
        ZoneInfo(cfg.time_zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "America"
        problem([*keys, "time_zone"], f"{cfg.time_zone!r} is not a time zone")
    template = None
    if cfg.template is not None:
        path = base / cfg.template
        try:
            template = files.read_text(path)
        except (OSError, UnicodeDecodeError) as exc:
            problem([*keys, "template"], f"cannot read {path}: {getattr(exc, 'strerror', exc)}")
        for name, line in unknown_placeholders(template or ""):
            problem([*keys, "template"], f"{path}:{line}: unknown placeholder {{{name}}}")
    spans = {
        name: positive_duration(getattr(cfg, name), [*keys, name], problem)
        for name in ("remind_before", "remind_after", "follow_up_review")
    }
    return PostmortemPolicy(
        required_for=frozenset(s for s in cfg.required_for if s in _SEVERITIES),
        due_business_days=cfg.due_in,
        business_days=days or frozenset(range(5)),
        time_zone=cfg.time_zone,
        template=template,
        categories=tuple(cfg.categories),
        remind_before=spans["remind_before"] or timedelta(days=2),
        remind_after=spans["remind_after"] or timedelta(days=1),
        follow_up_review=spans["follow_up_review"] or timedelta(days=14),
    )


def compile_health_policy(raw: Any, problem: Problem) -> HealthPolicy:
    if raw is None:
        return HealthPolicy()
    keys: Keys = ["reports"]
    cfg = validated(_Reports, raw, keys, problem)
    if cfg is None:
        return HealthPolicy()
    work, sleep = cfg.working_hours, cfg.sleep_hours
    wk = [*keys, "working_hours"]
    days = _days(work.days, [*wk, "days"], problem)
    start = _clock(work.start, [*wk, "start"], problem)
    end = _clock(work.end, [*wk, "end"], problem)
    if start is not None and end is not None and end <= start:
        problem([*wk, "end"], "must be after start (working hours do not cross midnight)")
    sl = [*keys, "sleep_hours"]
    sleep_start = _clock(sleep.start, [*sl, "start"], problem)
    sleep_end = _clock(sleep.end, [*sl, "end"], problem)
    window = positive_duration(cfg.repeat_window, [*keys, "repeat_window"], problem)
    default = HealthPolicy()
    return HealthPolicy(
        working_days=days or default.working_days,
        working_start=start or default.working_start,
        working_end=end or default.working_end,
        sleep_start=sleep_start or default.sleep_start,
        sleep_end=sleep_end or default.sleep_end,
        page_budget=cfg.page_budget,
        repeat_window=window or default.repeat_window,
    )
