"""Overrides from the web: the form (prefilled from the calendar), creating one, removing
one. Times are typed in the viewer's own zone (``datetime-local`` inputs have none)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from tocsin.domain.coverage import gaps
from tocsin.domain.schedules import Schedule, shifts
from tocsin.errors import FieldProblem, InputError
from tocsin.services.runtime import Runtime
from tocsin.web.local_time import parse_local
from tocsin.web.oncall_calendar import stamp
from tocsin.web.render import page
from tocsin.web.routing import RowId, web_router
from tocsin.web.session import Acting, Viewer, acting, runtime_of, viewing

__all__ = ["router"]

router = web_router()
#: ``datetime-local`` input values, to the minute.
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
#: The longest stretch the form describes who is replaced for.
DESCRIBED = timedelta(days=62)
#: The service's names for the form's fields.
FIELDS = {"user": "user", "start": "start", "end": "end", "note": "note"}


@dataclass
class Typed:
    """What the form holds: as typed (or prefilled), to be shown again on a problem."""

    user: str = ""
    start: str = ""
    end: str = ""
    note: str = ""
    #: Problems by field ("" for the form as a whole).
    problems: dict[str, list[str]] = field(default_factory=dict)

    def add(self, problem: FieldProblem) -> None:
        name = FIELDS.get(problem.field, "")
        text = problem.problem if name else str(problem)
        self.problems.setdefault(name, []).append(text)


@dataclass(frozen=True)
class Covered:
    """Who the schedule has on call in part of the override's time (None: nobody, a gap)."""

    user: str | None
    start: datetime
    end: datetime


def _as_local(value: str, zone: ZoneInfo) -> str:
    """A query's instant as a ``datetime-local`` value in ``zone`` (what cannot be read is
    left as it is, so the person sees it)."""
    parsed = parse_local(value, zone)
    return parsed.astimezone(zone).strftime(LOCAL_FORMAT) if parsed is not None else value


def covered(schedule: Schedule, start: datetime, end: datetime) -> list[Covered]:
    """Who the override would replace: the final shifts and gaps in [start, end)."""
    if end <= start or end - start > DESCRIBED:
        return []
    found = [Covered(s.user, s.start, s.end) for s in shifts(schedule, start, end)]
    found += [Covered(None, g.start, g.end) for g in gaps(schedule, start, end)]
    return sorted(found, key=lambda c: c.start)


def _form(
    request: Request,
    runtime: Runtime,
    viewer: Viewer,
    name: str,
    typed: Typed,
    status_code: int = 200,
) -> Response:
    schedule = runtime.schedules.schedule(name)
    start, end = parse_local(typed.start, viewer.zone), parse_local(typed.end, viewer.zone)
    replaced = covered(schedule, start, end) if start and end else []
    return page(
        request,
        "oncall/override.html",
        viewer,
        title=f"Override {name}",
        schedule=name,
        typed=typed,
        users=runtime.people.users(),
        replaced=replaced,
        stamp=lambda at: stamp(at, viewer.zone),
        status_code=status_code,
    )


@router.get("/oncall/{name}/override")
def override_form(
    request: Request,
    name: str,
    viewer: Annotated[Viewer, Depends(viewing)],
    start: str = "",
    end: str = "",
    user: str = "",
) -> Response:
    runtime = runtime_of(request)
    known = {u.id for u in runtime.people.users()}
    typed = Typed(
        user=user or (viewer.user_id if viewer.user_id in known else ""),
        start=_as_local(start, viewer.zone),
        end=_as_local(end, viewer.zone),
    )
    return _form(request, runtime, viewer, name, typed)


def _create(runtime: Runtime, name: str, form: Acting) -> Typed | None:
    """Make the override; the form again, with its problems, if that cannot be done."""
    zone = form.viewer.zone
    typed = Typed(form.text("user"), form.text("start"), form.text("end"), form.text("note"))
    start, end = parse_local(typed.start, zone), parse_local(typed.end, zone)
    for value, parsed, label in ((typed.start, start, "start"), (typed.end, end, "end")):
        if parsed is None:
            typed.add(FieldProblem(label, "is required" if not value else "is not a date and time"))
    if not typed.user:
        typed.add(FieldProblem("user", "choose who takes over"))
    if typed.problems or start is None or end is None:
        return typed
    try:
        runtime.schedules.add_override(
            name, typed.user, start, end, form.viewer.user_id, typed.note
        )
    except InputError as exc:
        for problem in exc.problems:
            typed.add(problem)
        return typed
    return None


@router.post("/oncall/{name}/overrides")
def create_override(
    request: Request, name: str, form: Annotated[Acting, Depends(acting)]
) -> Response:
    runtime = runtime_of(request)
    runtime.schedules.schedule(name)  # an unknown schedule is a 404, not a form problem
    typed = _create(runtime, name, form)
    if typed is not None:
        return _form(request, runtime, form.viewer, name, typed, 400)
    return RedirectResponse(f"/oncall#schedule-{quote(name)}", 303)


@router.post("/oncall/overrides/{override_id}/remove")
async def remove_override(
    request: Request, override_id: RowId, form: Annotated[Acting, Depends(acting)]
) -> Response:
    removed = await run_in_threadpool(runtime_of(request).schedules.remove_override, override_id)
    return RedirectResponse(f"/oncall#schedule-{quote(removed.schedule)}", 303)
