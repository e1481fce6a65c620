"""The home board: open incidents by severity, who is on call, firing alerts, activity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from tocsin.domain.incidents import Incident, Severity
from tocsin.domain.schedules import oncall_at, shifts
from tocsin.services.alert_views import AlertView
from tocsin.services.runtime import Runtime
from tocsin.store.incidents import Event
from tocsin.web.render import page
from tocsin.web.routing import web_router
from tocsin.web.session import Viewer, runtime_of, viewing

__all__ = ["router"]

router = web_router()
#: The board lists this many open incidents of each severity (and links to the rest).
PER_SEVERITY = 10


@dataclass(frozen=True)
class OnCallNow:
    schedule: str
    user: str | None
    until: datetime | None
    next_user: str | None


@dataclass(frozen=True)
class Board:
    #: Per severity: how many are open, and the newest of them.
    by_severity: list[tuple[Severity, int, list[Incident]]]
    oncall: list[OnCallNow]
    firing: list[AlertView]
    suppressed: int
    activity: list[Event]


def board(runtime: Runtime, now: datetime) -> Board:
    by_severity = runtime.incidents.open_board(PER_SEVERITY)
    oncall = []
    for name, schedule in sorted(runtime.schedules.all(from_=now).items()):
        ahead = shifts(schedule, now, now + timedelta(days=14))
        current = next((s for s in ahead if s.start <= now < s.end), None)
        upcoming = next((s for s in ahead if s.start >= now and s is not current), None)
        oncall.append(
            OnCallNow(
                name,
                oncall_at(schedule, now),
                current.end if current else (upcoming.start if upcoming else None),
                upcoming.user if upcoming else None,
            )
        )
    views = runtime.views.open()
    firing = [v for v in views if not v.suppressed]
    suppressed = sum(1 for v in views if v.suppressed)
    return Board(by_severity, oncall, firing, suppressed, runtime.incidents.recent_activity(15))


@router.get("/")
async def home(request: Request, viewer: Annotated[Viewer, Depends(viewing)]) -> Response:
    runtime = runtime_of(request)
    found = await run_in_threadpool(board, runtime, runtime.clock.now())
    open_count = sum(count for _, count, _ in found.by_severity)
    return page(request, "home.html", viewer, title="Home", board=found, open_count=open_count)
