"""``schedules:`` in tocsin.yaml: on-call schedules as config, compiled to domain schedules.

Every problem names the schedule, the layer and the field, with the file and line.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pydantic

from tocsin.config.durations import parse_duration
from tocsin.config.validation import Problem, validated
from tocsin.domain.schedules import Layer, Override, Restriction, Rotation, Schedule, Unit

__all__ = ["ScheduleConfig", "compile_schedules"]

Keys = list[str | int]

_ROTATIONS = {"hourly": Unit.HOURS, "daily": Unit.DAYS, "weekly": Unit.WEEKS}


class _Strict(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")


class RotationConfig(_Strict):
    type: Literal["hourly", "daily", "weekly", "custom"]
    length: int = 1
    unit: Literal["hours", "days", "weeks"] | None = None
    handoff: time = time(0)
    handoff_weekday: int | None = pydantic.Field(default=None, ge=1, le=7)
    virtual_start: datetime | None = None


class RestrictionConfig(_Strict):
    type: Literal["daily", "weekly"]
    start: time
    duration: str
    weekday: int | None = pydantic.Field(default=None, ge=1, le=7)


class LayerConfig(_Strict):
    name: str = ""
    start: datetime
    end: datetime | None = None
    rotation: RotationConfig
    users: list[str]
    restrictions: list[RestrictionConfig] = pydantic.Field(default_factory=list)


class OverrideConfig(_Strict):
    start: datetime
    end: datetime
    user: str


class ScheduleConfig(_Strict):
    name: str = pydantic.Field(min_length=1)
    time_zone: str
    layers: list[LayerConfig]
    overrides: list[OverrideConfig] = pydantic.Field(default_factory=list)
    #: The team that owns it (docs/security.md).
    team: str | None = None


def _aware(value: datetime, zone: ZoneInfo) -> datetime:
    """A config time without an offset is wall-clock time in the schedule's zone."""
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


def compile_schedules(
    raw: Sequence[Any], problem: Problem, users: Collection[str]
) -> dict[str, Schedule]:
    """Compile every schedule; each user named must be one of ``users``."""
    out: dict[str, Schedule] = {}
    for i, item in enumerate(raw):
        keys: Keys = ["schedules", i]
        cfg = validated(ScheduleConfig, item, keys, problem)
        if cfg is None:
            continue
        where = f"schedule {cfg.name!r}"
        if cfg.name in out:
            problem([*keys, "name"], f"{where}: the name is used twice")
        try:
            zone = ZoneInfo(cfg.time_zone)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "America"
            problem([*keys, "time_zone"], f"{where}: unknown time zone {cfg.time_zone!r}")
            continue
        layers = []
        for j, layer in enumerate(cfg.layers):
            compiled = _layer(
                layer, zone, [*keys, "layers", j], f"{where} layer {layer.name or j}", problem
            )
            for k, user in enumerate(layer.users):
                if user not in users:
                    problem(
                        [*keys, "layers", j, "users", k],
                        f"{where} layer {layer.name or j}: unknown user {user!r} "
                        "(declare it under users:)",
                    )
                    compiled = None
            if compiled is not None:
                layers.append(compiled)
        if not cfg.layers:
            problem([*keys, "layers"], f"{where}: needs at least one layer")
        overrides = []
        for j, o in enumerate(cfg.overrides):
            if o.user not in users:
                problem(
                    [*keys, "overrides", j, "user"],
                    f"{where} override {j}: unknown user {o.user!r} (declare it under users:)",
                )
                continue
            start, end = _aware(o.start, zone), _aware(o.end, zone)
            if end <= start:
                problem(
                    [*keys, "overrides", j, "end"], f"{where} override {j}: ends before it starts"
                )
                continue
            overrides.append(Override(start, end, o.user))
        out[cfg.name] = Schedule(cfg.name, zone, tuple(layers), tuple(overrides), cfg.team)
    return out


def _layer(
    cfg: LayerConfig, zone: ZoneInfo, keys: Keys, where: str, problem: Problem
) -> Layer | None:
    ok = True
    if not cfg.users:
        problem([*keys, "users"], f"{where}: needs at least one user")
        ok = False
    r = cfg.rotation
    if r.length < 1:
        problem([*keys, "rotation", "length"], f"{where}: rotation length must be at least 1")
        ok = False
    if r.type == "custom":
        if r.unit is None:
            problem([*keys, "rotation", "unit"], f"{where}: a custom rotation needs a unit")
            ok = False
        unit = Unit(r.unit or "hours")
    else:
        unit = _ROTATIONS[r.type]
    start = _aware(cfg.start, zone)
    end = _aware(cfg.end, zone) if cfg.end is not None else None
    if end is not None and end <= start:
        problem([*keys, "end"], f"{where}: ends before it starts")
        ok = False
    restrictions = []
    for k, rc in enumerate(cfg.restrictions):
        rkeys = [*keys, "restrictions", k]
        try:
            duration = parse_duration(rc.duration)
        except ValueError as exc:
            problem([*rkeys, "duration"], f"{where}: {exc}")
            ok = False
            continue
        if not timedelta(0) < duration <= timedelta(days=7):
            problem(
                [*rkeys, "duration"], f"{where}: a restriction lasts more than 0 and at most 7 days"
            )
            ok = False
        if (rc.type == "weekly") != (rc.weekday is not None):
            problem(
                [*rkeys, "weekday"],
                f"{where}: a weekly restriction needs a weekday "
                "(1 = Monday .. 7 = Sunday), a daily one none",
            )
            ok = False
        restrictions.append(Restriction(rc.start, duration, rc.weekday))
    if not ok:
        return None
    rotation = Rotation(
        r.length,
        unit,
        r.handoff,
        r.handoff_weekday,
        r.virtual_start.replace(tzinfo=None) if r.virtual_start else None,
    )
    return Layer(start, rotation, tuple(cfg.users), end, tuple(restrictions), cfg.name)
