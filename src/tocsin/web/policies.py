"""Escalation policies as a flow people can read: each level's targets (with who is on call
for a schedule now), how long until the next, the repeats, what happens when nobody can
be reached, and which receivers page through the policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from tocsin.domain.escalation import EscalationPolicy, Mode, TargetKind
from tocsin.domain.schedules import oncall_at
from tocsin.domain.users import Team
from tocsin.services.runtime import Runtime
from tocsin.web.render import page
from tocsin.web.routing import web_router
from tocsin.web.session import Viewer, runtime_of, viewing

__all__ = ["Flow", "Step", "Target", "flows", "span", "router"]

router = web_router()


def span(length: timedelta) -> str:
    """``5 min``, ``1 h 30 min``, ``45 s``, ``2 days``: how long, as people say it."""
    seconds = int(length.total_seconds())
    if seconds <= 0:
        return "no time"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days} day" + ("s" if days != 1 else ""))
    if hours:
        parts.append(f"{hours} h")
    if minutes:
        parts.append(f"{minutes} min")
    if secs:
        parts.append(f"{secs} s")
    return " ".join(parts)


@dataclass(frozen=True)
class Target:
    """One target of a level, in words: ``kind`` is user, schedule or slack_channel."""

    kind: str
    name: str
    #: For a schedule: who is on call now (None: nobody, a gap).
    now: str | None = None
    #: For a schedule or user: whether it exists in the configuration.
    known: bool = True


@dataclass(frozen=True)
class Step:
    number: int
    round_robin: bool
    targets: tuple[Target, ...]
    delay: timedelta
    #: What happens if nobody acknowledges within ``delay``: "next", "again" or "stop".
    then: str


@dataclass(frozen=True)
class Flow:
    policy: EscalationPolicy
    steps: tuple[Step, ...]
    team: Team | None
    receivers: tuple[str, ...]
    #: Who is paged when a whole pass reaches nobody: the owner, else the admins.
    fallback: tuple[str, ...]
    fallback_is_owner: bool


def flows(runtime: Runtime, now: datetime) -> list[Flow]:
    config = runtime.current.routing
    if config is None:
        return []
    schedules = runtime.schedules.all(from_=now)
    receivers = runtime.people.policy_receivers()
    admins = tuple(u.id for u in runtime.people.users() if u.admin and u.methods)
    out = []
    for policy in runtime.people.policies():
        steps = []
        for i, level in enumerate(policy.levels):
            targets = []
            for t in level.targets:
                if t.kind is TargetKind.SCHEDULE:
                    schedule = schedules.get(t.name)
                    who = oncall_at(schedule, now) if schedule is not None else None
                    targets.append(Target(t.kind.value, t.name, who, schedule is not None))
                elif t.kind is TargetKind.USER:
                    targets.append(Target(t.kind.value, t.name, known=t.name in config.users))
                else:
                    targets.append(Target(t.kind.value, t.name))
            last = i + 1 == len(policy.levels)
            then = "next" if not last else ("again" if policy.repeat else "stop")
            steps.append(
                Step(i + 1, level.mode is Mode.ROUND_ROBIN, tuple(targets), level.delay, then)
            )
        out.append(
            Flow(
                policy,
                tuple(steps),
                config.teams.get(policy.team) if policy.team else None,
                tuple(receivers.get(policy.name, ())),
                (policy.owner,) if policy.owner else admins,
                policy.owner is not None,
            )
        )
    return out


@router.get("/oncall/policies")
async def policies_page(request: Request, viewer: Annotated[Viewer, Depends(viewing)]) -> Response:
    runtime = runtime_of(request)
    found = await run_in_threadpool(flows, runtime, runtime.clock.now())
    return page(
        request, "oncall/policies.html", viewer, title="Escalation policies", flows=found, span=span
    )
