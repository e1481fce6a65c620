"""On-call pages: every schedule as a calendar (layers, overrides, the final say, its gaps),
who is on call now and next, calendar feed links. Overrides and escalation policies have
their own modules, included here so one router is mounted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from tocsin.domain.schedules import Override
from tocsin.errors import FieldProblem, InputError
from tocsin.services.runtime import Runtime
from tocsin.store.overrides import StoredOverride
from tocsin.web import oncall_overrides, policies
from tocsin.web.oncall_calendar import DAY_CHOICES, ScheduleView, period, stamp, view
from tocsin.web.render import page
from tocsin.web.routing import web_router
from tocsin.web.session import Acting, Viewer, acting, runtime_of, viewing

__all__ = ["feed_base", "router"]

router = web_router()
router.include_router(oncall_overrides.router)
router.include_router(policies.router)


@dataclass(frozen=True)
class Listed:
    """A schedule as the page shows it: its calendar and its overrides."""

    view: ScheduleView
    #: Overrides made here or through the API, not yet over (these can be removed).
    stored: list[StoredOverride]
    #: Overrides in the configuration file, not yet over (they cannot be removed here).
    from_file: list[Override]


def feed_base(request: Request) -> str:
    """Where calendar apps reach Tocsin: its external URL, else the address this browser
    used."""
    external = runtime_of(request).settings.external_url
    return (external or str(request.base_url)).rstrip("/")


def _listed(runtime: Runtime, now: datetime, zone: ZoneInfo, days: int) -> list[Listed]:
    start, end = period(now, zone, days)
    config = runtime.current.routing
    people = sorted(config.users) if config is not None else []
    out = []
    for name, schedule in sorted(runtime.schedules.all(from_=start).items()):
        stored = runtime.schedules.overrides(name)
        configured = config.schedules[name].overrides if config is not None else ()
        out.append(
            Listed(
                view(schedule, start, end, now, zone, people, days),
                stored,
                [o for o in configured if o.end > now],
            )
        )
    return out


@router.get("/oncall")
async def oncall_page(
    request: Request, viewer: Annotated[Viewer, Depends(viewing)], days: int = 14
) -> Response:
    if days not in DAY_CHOICES:
        raise InputError(FieldProblem("days", "must be 7, 14 or 28"))
    runtime = runtime_of(request)
    now = runtime.clock.now()
    listed = await run_in_threadpool(_listed, runtime, now, viewer.zone, days)
    return page(
        request,
        "oncall/index.html",
        viewer,
        title="On-call",
        listed=listed,
        days=days,
        choices=DAY_CHOICES,
        stamp=lambda at: stamp(at, viewer.zone),
        base=feed_base(request),
    )


@router.post("/oncall/calendar-link")
async def new_calendar_link(request: Request, form: Annotated[Acting, Depends(acting)]) -> Response:
    """A new personal calendar token, shown once (only its digest is kept): the answer is
    the page itself, not a redirect, so the secret is never in a URL or a later page."""
    runtime = runtime_of(request)
    viewer = form.viewer
    token = await run_in_threadpool(runtime.schedules.new_calendar_token, viewer.user_id)
    names = sorted(runtime.current.routing.schedules) if runtime.current.routing else []
    return page(
        request,
        "oncall/calendar_link.html",
        viewer,
        title="Your new calendar link",
        token=token,
        schedules=names,
        base=feed_base(request),
    )
