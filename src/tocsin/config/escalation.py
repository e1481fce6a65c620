"""``escalation_policies:`` in tocsin.yaml: who is paged, in what order, how soon.

```yaml
escalation_policies:
  - name: platform
    team: platform
    owner: ann              # paged when a whole pass reaches nobody (else the admins)
    repeat: 2               # run the policy twice more if nobody acknowledges
    ack_timeout: 30m        # an acknowledged, unresolved incident pages again after this
    levels:
      - delay: 5m           # the next level fires 5 minutes later if nobody acknowledged
        targets: [{schedule: primary}, {slack_channel: C0123ALERTS}]
      - delay: 10m
        mode: round_robin   # one of the targets per firing, in turn (default: all)
        targets: [{user: bob}, {user: cat}]
```
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import timedelta
from typing import Any, Literal

import pydantic

from tocsin.config.durations import parse_duration
from tocsin.config.validation import Problem, validated
from tocsin.domain.escalation import EscalationPolicy, Level, Mode, Target, TargetKind
from tocsin.domain.users import User

__all__ = ["compile_policies"]

Keys = list[str | int]


class _Strict(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")


class TargetConfig(_Strict):
    user: str | None = None
    schedule: str | None = None
    slack_channel: str | None = None


class LevelConfig(_Strict):
    targets: list[TargetConfig] = pydantic.Field(min_length=1)
    delay: str = "5m"
    mode: Literal["all", "round_robin"] = "all"


class PolicyConfig(_Strict):
    name: str = pydantic.Field(min_length=1, max_length=200)
    description: str = ""
    team: str | None = None
    owner: str | None = None
    repeat: int = pydantic.Field(default=0, ge=0, le=20)
    ack_timeout: str | None = None
    levels: list[LevelConfig] = pydantic.Field(min_length=1, max_length=20)


def compile_policies(
    raw: Sequence[Any],
    problem: Problem,
    users: Mapping[str, User],
    schedules: Collection[str],
    teams: Collection[str],
) -> dict[str, EscalationPolicy]:
    out: dict[str, EscalationPolicy] = {}
    for i, item in enumerate(raw):
        keys: Keys = ["escalation_policies", i]
        cfg = validated(PolicyConfig, item, keys, problem)
        if cfg is None:
            continue
        where = f"escalation policy {cfg.name!r}"
        if cfg.name in out:
            problem([*keys, "name"], f"{where}: the name is used twice")
        if cfg.team is not None and cfg.team not in teams:
            problem([*keys, "team"], f"{where}: no team {cfg.team!r} in teams")
        if cfg.owner is not None and cfg.owner not in users:
            problem([*keys, "owner"], f"{where}: no user {cfg.owner!r} in users")
        ack_timeout = _duration(cfg.ack_timeout, [*keys, "ack_timeout"], problem)
        levels: list[Level] = []
        for j, level in enumerate(cfg.levels):
            level_keys: Keys = [*keys, "levels", j]
            delay = _duration(level.delay, [*level_keys, "delay"], problem) or timedelta(0)
            if delay < timedelta(minutes=1):
                problem(
                    [*level_keys, "delay"],
                    f"{where}: a level's delay must be at least 1m (put targets paged "
                    "together in one level)",
                )
            targets: list[Target] = []
            for k, t in enumerate(level.targets):
                target = _target(t, [*level_keys, "targets", k], where, problem, users, schedules)
                if target is not None:
                    targets.append(target)
            levels.append(Level(tuple(targets), delay, Mode(level.mode)))
        out[cfg.name] = EscalationPolicy(
            name=cfg.name,
            levels=tuple(levels),
            repeat=cfg.repeat,
            ack_timeout=ack_timeout,
            owner=cfg.owner,
            team=cfg.team,
            description=cfg.description,
        )
    return out


def _duration(value: str | None, keys: Keys, problem: Problem) -> timedelta | None:
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as exc:
        problem(keys, str(exc))
        return None


def _target(
    cfg: TargetConfig,
    keys: Keys,
    where: str,
    problem: Problem,
    users: Mapping[str, User],
    schedules: Collection[str],
) -> Target | None:
    given = [(k, v) for k, v in cfg.model_dump().items() if v is not None]
    if len(given) != 1:
        problem(keys, f"{where}: a target is exactly one of user, schedule or slack_channel")
        return None
    kind, name = given[0]
    if kind == "user" and name not in users:
        problem([*keys, kind], f"{where}: no user {name!r} in users")
        return None
    if kind == "schedule" and name not in schedules:
        problem([*keys, kind], f"{where}: no schedule {name!r} in schedules")
        return None
    return Target(TargetKind(kind), name)
