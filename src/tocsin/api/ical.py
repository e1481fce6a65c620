"""Calendar feeds: a schedule's shifts, and one person's shifts in every schedule.

Calendar apps cannot send headers, so feeds take ``?token=``: a person's secret calendar
token (``tocsin user calendar-token USER``). A schedule's feed also opens with an API
token that may read, in the Authorization header.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, Response

from tocsin.api.access import require
from tocsin.api.openapi import error_responses
from tocsin.api.runtime import runtime_of
from tocsin.domain.access import Need
from tocsin.domain.schedules import shifts
from tocsin.errors import NotFound
from tocsin.integrations.ical import FeedShift, calendar

__all__ = ["router"]

router = APIRouter(prefix="/ical", tags=["Calendar feeds"])

#: What a feed covers, around now.
PAST, FUTURE = timedelta(days=30), timedelta(days=180)
_TYPE = "text/calendar; charset=utf-8"
_CALENDAR: dict[int | str, dict[str, Any]] = {
    200: {"description": "An iCalendar feed", "content": {"text/calendar": {}}}
}


def _feed(request: Request, name: str, found: list[FeedShift]) -> Response:
    runtime = runtime_of(request)
    domain = urlsplit(runtime.settings.public_url).hostname or "tocsin"
    body = calendar(name, found, now=runtime.clock.now().astimezone(UTC), domain=domain)
    return Response(body, media_type=_TYPE)


@router.get(
    "/schedules/{name}.ics",
    summary="A schedule's shifts as a calendar",
    response_class=Response,
    # No token: an API token is needed (401, 403, 429); a calendar token unknown: 404
    responses=_CALENDAR | error_responses(401, 403, 404, 429),
)
async def schedule_feed(request: Request, name: str, token: str | None = None) -> Response:
    runtime = runtime_of(request)
    if token is None:
        await require(request, Need.READ)
    else:
        runtime.schedules.calendar_owner(token)
    schedule = runtime.schedules.schedule(name)
    now = runtime.clock.now()
    found = [
        FeedShift(name, s.user, s.start, s.end) for s in shifts(schedule, now - PAST, now + FUTURE)
    ]
    return _feed(request, f"On call: {name}", found)


@router.get(
    "/users/{user}.ics",
    summary="One person's shifts in every schedule",
    response_class=Response,
    responses=_CALENDAR | error_responses(404),
)
async def user_feed(request: Request, user: str, token: str | None = None) -> Response:
    runtime = runtime_of(request)
    if runtime.schedules.calendar_owner(token) != user:
        raise NotFound("no such calendar")
    now = runtime.clock.now()
    found = [
        FeedShift(name, s.user, s.start, s.end)
        for name, schedule in sorted(runtime.schedules.all(from_=now - PAST).items())
        for s in shifts(schedule, now - PAST, now + FUTURE)
        if s.user == user
    ]
    found.sort(key=lambda f: (f.start, f.schedule))
    return _feed(request, f"On call: {user}", found)
