"""``drills:`` in tocsin.yaml, and the tabletop scenario files it points at::

drills:
  timeout: 1h                     # an unacknowledged drill ends this long after its last level
  scenarios: tabletop/            # a directory of scenario files, relative to tocsin.yaml
  scheduled:
    - policy: platform
      rrule: "FREQ=MONTHLY;BYDAY=1TU;BYHOUR=10;BYMINUTE=0"
      time_zone: Europe/Berlin
      severity: SEV3
      title: Monthly paging drill  # optional

A scenario file (``*.yaml`` in the directory; its name without ``.yaml`` names it)::

title: API latency at 2 a.m.
summary: ...
roles: [incident commander, on-call engineer]
steps:
  - title: The page
    situation: |
      Markdown ...
    inject: optional new information
    questions: [What do you do first?]
debrief: [What went well?]

A problem names the file, the line and the key.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pydantic

from tocsin.config import files
from tocsin.config.validation import Problem, positive_duration, validated
from tocsin.config.yaml_source import YamlSource, load_yaml
from tocsin.domain.drills import DrillPolicy, ScheduledDrill, parse_rrule
from tocsin.domain.incidents import Severity
from tocsin.domain.tabletop import Scenario, Step
from tocsin.errors import ConfigError

__all__ = ["compile_drills", "load_scenario", "load_scenarios"]

Keys = list[str | int]
_Text = pydantic.constr(min_length=1, max_length=10_000)


class _Strict(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")


class _Scheduled(_Strict):
    policy: str
    rrule: str
    time_zone: str = "UTC"
    severity: str = "SEV3"
    title: str = pydantic.Field(default="", max_length=500)


class _Drills(_Strict):
    timeout: str = "1h"
    scenarios: str | None = None
    scheduled: list[_Scheduled] = []


class _Step(_Strict):
    title: pydantic.constr(min_length=1, max_length=200)  # type: ignore[valid-type]
    situation: _Text  # type: ignore[valid-type]
    inject: _Text | None = None  # type: ignore[valid-type]
    questions: list[_Text] = pydantic.Field(min_length=1)  # type: ignore[valid-type]


class _Scenario(_Strict):
    title: pydantic.constr(min_length=1, max_length=500)  # type: ignore[valid-type]
    summary: str = ""
    roles: list[pydantic.constr(min_length=1, max_length=100)] = []  # type: ignore[valid-type]
    steps: list[_Step] = pydantic.Field(min_length=1)
    debrief: list[_Text] = []  # type: ignore[valid-type]


def load_scenario(source: YamlSource) -> Scenario:
    """A scenario file as a Scenario; ConfigError naming the file, line and key."""
    if not isinstance(source.data, dict):
        raise source.error([], "a scenario is a mapping with title, summary, roles, steps")
    try:
        cfg = _Scenario.model_validate(source.data)
    except pydantic.ValidationError as exc:
        raise source.validation_error(exc) from None
    return Scenario(
        name=Path(source.path).stem,
        title=cfg.title,
        summary=cfg.summary,
        roles=tuple(cfg.roles),
        steps=tuple(
            Step(s.title, s.situation, tuple(s.questions), s.inject or None) for s in cfg.steps
        ),
        debrief=tuple(cfg.debrief),
        path=source.path,
    )


def load_scenarios(directory: Path, report: Callable[[str], None]) -> dict[str, Scenario]:
    """Every ``*.yaml`` / ``*.yml`` scenario in ``directory``, by name; each problem
    reported (``file:line: key: problem``)."""
    found: dict[str, Scenario] = {}
    paths = [
        Path(p)
        for p in sorted(
            [*files.glob(str(directory / "*.yaml")), *files.glob(str(directory / "*.yml"))]
        )
    ]
    for path in paths:
        try:
            scenario = load_scenario(load_yaml(path))
        except ConfigError as exc:
            report(str(exc))
            continue
        if scenario.name in found:
            report(f"{path}: a scenario named {scenario.name!r} is also in {directory}")
            continue
        found[scenario.name] = scenario
    return found


def compile_drills(
    raw: Any, base: Path, policies: Collection[str], problem: Problem, report: Callable[[str], None]
) -> DrillPolicy:
    """``drills:``; ``policies`` are the escalation policies a scheduled drill may name.
    Problems in tocsin.yaml go to ``problem`` (keys), those in scenario files to ``report``
    (already ``file:line: key: problem``)."""
    if raw is None:
        return DrillPolicy()
    keys: Keys = ["drills"]
    cfg = validated(_Drills, raw, keys, problem)
    if cfg is None:
        return DrillPolicy()
    timeout = positive_duration(cfg.timeout, [*keys, "timeout"], problem) or timedelta(hours=1)
    scheduled: list[ScheduledDrill] = []
    for i, entry in enumerate(cfg.scheduled):
        at: Keys = [*keys, "scheduled", i]
        ok = True
        if entry.policy not in policies:
            problem([*at, "policy"], f"no escalation policy {entry.policy!r}")
            ok = False
        try:
            parse_rrule(entry.rrule)
        except ValueError as exc:
            problem([*at, "rrule"], str(exc))
            ok = False
        try:
            ZoneInfo(entry.time_zone)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "America"
            problem([*at, "time_zone"], f"{entry.time_zone!r} is not a time zone")
            ok = False
        try:
            severity = Severity.parse(entry.severity)
        except ValueError as exc:
            problem([*at, "severity"], str(exc))
            ok = False
        if ok:
            scheduled.append(
                ScheduledDrill(entry.policy, entry.rrule, entry.time_zone, severity, entry.title)
            )
    ids = [s.id for s in scheduled]
    for i, sid in enumerate(ids):
        if sid in ids[:i]:
            problem([*keys, "scheduled"], "the same scheduled drill is given twice")
    scenarios: dict[str, Scenario] = {}
    directory = None
    if cfg.scenarios is not None:
        path = base / cfg.scenarios
        directory = str(path)
        if not files.is_dir(path):
            problem([*keys, "scenarios"], f"{path} is not a directory")
        else:
            scenarios = load_scenarios(path, report)
    return DrillPolicy(
        timeout=timeout,
        scenarios=scenarios,
        scenarios_dir=directory,
        scheduled=tuple(scheduled),
    )
