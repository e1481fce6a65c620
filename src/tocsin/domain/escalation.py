"""Escalation policies and how an incident climbs them: pure functions of (policy, state, now).

A policy is an ordered list of levels. When an incident opens, level 0 fires: its targets are
paged. If nobody acknowledges within the level's delay, the next level fires, and so on; after
the last level the policy starts over, ``repeat`` more times; then it is exhausted (the last
people paged keep their notification rules running, nobody new is added).

A level whose targets reach no person (a schedule gap) is skipped at once (its Slack channels
still hear of it); a whole pass that reached nobody pages the fallback (the policy's owner,
else the admins).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

__all__ = [
    "EscalationPolicy",
    "Level",
    "Mode",
    "Position",
    "Reached",
    "Target",
    "TargetKind",
    "next_position",
    "policy_from_snapshot",
    "resolve_level",
    "snapshot",
]


class TargetKind(StrEnum):
    USER = "user"
    SCHEDULE = "schedule"
    SLACK_CHANNEL = "slack_channel"


class Mode(StrEnum):
    ALL = "all"
    ROUND_ROBIN = "round_robin"


@dataclass(frozen=True)
class Target:
    kind: TargetKind
    name: str

    def __str__(self) -> str:
        return f"{self.kind.value} {self.name}"


@dataclass(frozen=True)
class Level:
    targets: tuple[Target, ...]
    #: How long after this level fires the next one does, if nobody acknowledged.
    delay: timedelta = timedelta(minutes=5)
    mode: Mode = Mode.ALL


@dataclass(frozen=True)
class EscalationPolicy:
    name: str
    levels: tuple[Level, ...]
    #: How many more times the whole policy runs after the first pass.
    repeat: int = 0
    #: An acknowledged incident not resolved within this re-triggers (None: never).
    ack_timeout: timedelta | None = None
    #: Paged when a whole pass reached nobody (else every admin).
    owner: str | None = None
    team: str | None = None
    description: str = ""


@dataclass(frozen=True, order=True)
class Position:
    """Where an incident is on its policy: the level that fired last, in which pass."""

    loop: int
    level: int


def next_position(policy: EscalationPolicy, at: Position) -> Position | None:
    """The level after ``at``, wrapping into the next pass; None when the policy is done."""
    if at.level + 1 < len(policy.levels):
        return Position(at.loop, at.level + 1)
    if at.loop < policy.repeat:
        return Position(at.loop + 1, 0)
    return None


@dataclass(frozen=True)
class Reached:
    """Who a level reaches when it fires."""

    users: tuple[str, ...]
    slack_channels: tuple[str, ...]
    #: Schedules that had nobody on call (a gap), for the timeline.
    gaps: tuple[str, ...]
    #: The round-robin counter to store for this level (None: not round-robin).
    next_counter: int | None = None

    @property
    def nobody(self) -> bool:
        """No person is paged (a Slack channel alone does not acknowledge)."""
        return not self.users


def resolve_level(
    level: Level,
    oncall: Callable[[str], str | None],
    counter: int = 0,
) -> Reached:
    """The people and channels ``level`` pages now. ``oncall(schedule)`` says who is on
    call now (None: a gap). Round-robin picks one target, the ``counter``-th (wrapping),
    skipping targets that reach nobody."""
    targets = level.targets
    if level.mode is Mode.ROUND_ROBIN and targets:
        gaps: list[str] = []
        for step in range(len(targets)):
            index = (counter + step) % len(targets)
            reached = _reach((targets[index],), oncall)
            gaps += reached.gaps
            if not reached.nobody:
                return Reached(reached.users, reached.slack_channels, tuple(gaps), index + 1)
        return Reached((), (), tuple(gaps), counter + 1)
    return _reach(targets, oncall)


def _reach(targets: Sequence[Target], oncall: Callable[[str], str | None]) -> Reached:
    users: list[str] = []
    channels: list[str] = []
    gaps: list[str] = []
    for target in targets:
        if target.kind is TargetKind.USER:
            person: str | None = target.name
        elif target.kind is TargetKind.SCHEDULE:
            person = oncall(target.name)
            if person is None:
                gaps.append(target.name)
        else:
            person = None
            if target.name not in channels:
                channels.append(target.name)
        if person is not None and person not in users:
            users.append(person)
    return Reached(tuple(users), tuple(channels), tuple(gaps))


# -- snapshots: the policy as it was when the incident opened --------------------------------


def snapshot(policy: EscalationPolicy) -> dict[str, Any]:
    """A JSON-able copy of ``policy``, stored on the incident so later edits to the
    configuration do not change pages already in flight."""
    return {
        "name": policy.name,
        "repeat": policy.repeat,
        "ack_timeout": policy.ack_timeout.total_seconds() if policy.ack_timeout else None,
        "owner": policy.owner,
        "team": policy.team,
        "levels": [
            {
                "delay": level.delay.total_seconds(),
                "mode": level.mode.value,
                "targets": [{"kind": t.kind.value, "name": t.name} for t in level.targets],
            }
            for level in policy.levels
        ],
    }


def policy_from_snapshot(data: Mapping[str, Any]) -> EscalationPolicy:
    timeout = data.get("ack_timeout")
    return EscalationPolicy(
        name=data["name"],
        repeat=int(data.get("repeat", 0)),
        ack_timeout=timedelta(seconds=timeout) if timeout else None,
        owner=data.get("owner"),
        team=data.get("team"),
        levels=tuple(
            Level(
                targets=tuple(Target(TargetKind(t["kind"]), t["name"]) for t in level["targets"]),
                delay=timedelta(seconds=level["delay"]),
                mode=Mode(level["mode"]),
            )
            for level in data["levels"]
        ),
    )
