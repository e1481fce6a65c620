"""On-call schedules: who is on call, shifts, gaps, hours; overrides and shift swaps."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import pydantic
from fastapi import APIRouter, Path, Query, Request, Response

from tocsin.api.access import acting
from tocsin.api.openapi import error_responses
from tocsin.api.responses import json_response
from tocsin.api.runtime import runtime_of
from tocsin.domain.coverage import total_hours, turn_at
from tocsin.domain.schedules import Schedule, Shift
from tocsin.errors import FieldProblem, InputError
from tocsin.store.overrides import StoredOverride
from tocsin.store.swaps import Swap

__all__ = ["router"]

#: How far back and ahead "since" and "until" look.
_MONTH = timedelta(days=31)

router = APIRouter(prefix="/api", tags=["On-call schedules"])

Instant = Annotated[
    str | None, Query(description="ISO 8601 time with an offset, e.g. 2026-03-01T09:00:00Z")
]


def iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def iso_or_none(t: datetime | None) -> str | None:
    return iso(t) if t is not None else None


def minutes(span: timedelta | None) -> float | None:
    """A span in minutes, to the millisecond (None stays None)."""
    return None if span is None else round(span / timedelta(minutes=1), 3)


def period(
    request: Request, start: str | None, end: str | None, length: timedelta
) -> tuple[datetime, datetime]:
    """[from, to) from the query: from defaults to now, to to ``length`` after from."""
    begin = instant(start, "from", runtime_of(request).clock.now())
    return begin, instant(end, "to", begin + length)


def instant(value: str | None, field: str, default: datetime) -> datetime:
    if value is None:
        return default
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(FieldProblem(field, f"{value!r} is not an ISO 8601 time")) from None
    if parsed.tzinfo is None:
        raise InputError(FieldProblem(field, "needs a UTC offset, e.g. Z or +01:00"))
    return parsed


def _shift(s: Shift, zone: Any) -> dict[str, Any]:
    return {
        "user": s.user,
        "start": iso(s.start),
        "end": iso(s.end),
        "startLocal": s.start.astimezone(zone).isoformat(),
        "endLocal": s.end.astimezone(zone).isoformat(),
        "hours": round((s.end - s.start) / timedelta(hours=1), 3),
    }


def _current(name: str, schedule: Schedule, now: datetime) -> dict[str, Any]:
    """Who is on call now, since when and until when (within a month either way)."""
    turn = turn_at(schedule, now, _MONTH)
    return {
        "schedule": name,
        "timeZone": schedule.zone.key,
        "user": turn.user if turn else None,
        "since": iso(turn.since) if turn and turn.since else None,
        "until": iso(turn.until) if turn and turn.until else None,
    }


def _override(o: StoredOverride) -> dict[str, Any]:
    return {
        "id": o.id,
        "schedule": o.schedule,
        "user": o.user,
        "start": iso(o.start),
        "end": iso(o.end),
        "createdAt": iso(o.created_at),
        "createdBy": o.created_by,
        "note": o.note,
        "swapId": o.swap_id,
    }


def _swap(s: Swap) -> dict[str, Any]:
    return {
        "id": s.id,
        "schedule": s.schedule,
        "offeredBy": s.offered_by,
        "offeredTo": s.offered_to,
        "start": iso(s.start),
        "end": iso(s.end),
        "note": s.note,
        "status": s.status,
        "createdAt": iso(s.created_at),
        "takenBy": s.taken_by,
        "takenAt": iso(s.taken_at) if s.taken_at else None,
        "overrideId": s.override_id,
    }


# -- who is on call ----------------------------------------------------------------------


@router.get("/oncall", summary="Who is on call now, for every schedule")
async def get_oncall(request: Request) -> Response:
    runtime = runtime_of(request)
    now = runtime.clock.now()
    found = runtime.schedules.all(from_=now - _MONTH)
    return json_response([_current(name, s, now) for name, s in sorted(found.items())])


@router.get(
    "/oncall/hours",
    summary="Hours on call per person over a period",
    responses=error_responses(404),  # a schedule asked for that does not exist
)
async def get_hours(
    request: Request,
    start: Annotated[Instant, Query(alias="from")] = None,
    end: Annotated[Instant, Query(alias="to")] = None,
    schedule: Annotated[list[str] | None, Query(description="Only these schedules")] = None,
) -> Response:
    runtime = runtime_of(request)
    now = runtime.clock.now()
    begin = instant(start, "from", now - timedelta(days=30))
    until = instant(end, "to", begin + timedelta(days=30))
    per = runtime.schedules.hours(begin, until, schedule)

    def hours(users: Mapping[str, timedelta]) -> dict[str, float]:
        return {u: round(d / timedelta(hours=1), 3) for u, d in users.items()}

    return json_response(
        {
            "from": iso(begin),
            "to": iso(until),
            "schedules": {name: hours(users) for name, users in per.items()},
            "total": hours(total_hours(per)),
        }
    )


@router.get("/schedules", summary="The schedules, and who is on call in each now")
async def get_schedules(request: Request) -> Response:
    runtime = runtime_of(request)
    now = runtime.clock.now()
    out = []
    for name, s in sorted(runtime.schedules.all(from_=now - _MONTH).items()):
        out.append(
            {
                **_current(name, s, now),
                "layers": [{"name": layer.name, "users": list(layer.users)} for layer in s.layers],
            }
        )
    return json_response(out)


@router.get("/schedules/{name}/oncall", summary="Who is on call at an instant (default now)")
async def get_schedule_oncall(request: Request, name: str, at: Instant = None) -> Response:
    runtime = runtime_of(request)
    when = instant(at, "at", runtime.clock.now())
    schedule = runtime.schedules.schedule(name)
    return json_response(_current(name, schedule, when) | {"at": iso(when)})


@router.get("/schedules/{name}/shifts", summary="The final shifts in [from, to)")
async def get_shifts(
    request: Request,
    name: str,
    start: Annotated[Instant, Query(alias="from")] = None,
    end: Annotated[Instant, Query(alias="to")] = None,
) -> Response:
    runtime = runtime_of(request)
    begin, until = period(request, start, end, timedelta(days=7))
    found = runtime.schedules.shifts(name, begin, until)
    zone = runtime.schedules.schedule(name).zone
    return json_response(
        {
            "schedule": name,
            "timeZone": zone.key,
            "from": iso(begin),
            "to": iso(until),
            "shifts": [_shift(s, zone) for s in found],
        }
    )


@router.get("/schedules/{name}/gaps", summary="When nobody is on call in [from, to)")
async def get_gaps(
    request: Request,
    name: str,
    start: Annotated[Instant, Query(alias="from")] = None,
    end: Annotated[Instant, Query(alias="to")] = None,
) -> Response:
    begin, until = period(request, start, end, timedelta(days=14))
    found = runtime_of(request).schedules.gaps(name, begin, until)
    return json_response(
        {
            "schedule": name,
            "from": iso(begin),
            "to": iso(until),
            "gaps": [{"start": iso(g.start), "end": iso(g.end)} for g in found],
        }
    )


# -- overrides ---------------------------------------------------------------------------


class _Body(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")


class PostableOverride(_Body):
    user: str
    start: pydantic.AwareDatetime
    end: pydantic.AwareDatetime
    createdBy: str | None = pydantic.Field(  # noqa: N815 - the API's field name
        default=None, description="Who makes it (a personal token: its owner)"
    )
    note: str = ""


@router.get("/schedules/{name}/overrides", summary="The schedule's overrides not yet over")
async def get_overrides(request: Request, name: str, past: bool = False) -> Response:
    found = runtime_of(request).schedules.overrides(name, current=not past)
    return json_response([_override(o) for o in found])


@router.post(
    "/schedules/{name}/overrides", summary="Put someone on call for a while", status_code=201
)
async def post_override(request: Request, name: str, body: PostableOverride) -> Response:
    created = runtime_of(request).schedules.add_override(
        name, body.user, body.start, body.end, acting(request, body.createdBy), body.note
    )
    return json_response(_override(created), 201)


@router.delete("/overrides/{override_id}", summary="Remove an override")
async def delete_override(
    request: Request, override_id: Annotated[int, Path(ge=1, le=2**53)]
) -> Response:
    removed = runtime_of(request).schedules.remove_override(override_id)
    return json_response(_override(removed))


# -- shift swaps -------------------------------------------------------------------------


class PostableSwap(_Body):
    user: str = pydantic.Field(description="Who offers the shift (it must be theirs)")
    start: pydantic.AwareDatetime
    end: pydantic.AwareDatetime
    to: str | None = pydantic.Field(default=None, description="Offer to this person only")
    note: str = ""


class Taker(_Body):
    user: str


@router.get("/swaps", summary="Shift swaps")
async def get_swaps(
    request: Request,
    schedule: str | None = None,
    status: Literal["open", "taken", "withdrawn"] | None = None,
) -> Response:
    return json_response([_swap(s) for s in runtime_of(request).schedules.swaps(schedule, status)])


@router.post("/schedules/{name}/swaps", summary="Offer (part of) one's shift", status_code=201)
async def post_swap(request: Request, name: str, body: PostableSwap) -> Response:
    swap = runtime_of(request).schedules.offer_swap(
        name, acting(request, body.user), body.start, body.end, to=body.to, note=body.note
    )
    return json_response(_swap(swap), 201)


@router.post("/swaps/{swap_id}/take", summary="Take an offered shift (it becomes an override)")
async def take_swap(request: Request, swap_id: str, body: Taker) -> Response:
    return json_response(
        _swap(runtime_of(request).schedules.take_swap(swap_id, acting(request, body.user)))
    )


@router.post("/swaps/{swap_id}/withdraw", summary="Withdraw an open offer")
async def withdraw_swap(request: Request, swap_id: str) -> Response:
    return json_response(_swap(runtime_of(request).schedules.withdraw_swap(swap_id)))
