"""SLOs: what is configured, where each stands, and events for built-in SLIs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import pydantic
from fastapi import APIRouter, Path, Query, Request, Response

from tocsin.api.access import acting, allow
from tocsin.api.openapi import error_responses
from tocsin.api.responses import json_response
from tocsin.api.runtime import runtime_of
from tocsin.api.schedules import iso, iso_or_none, minutes
from tocsin.config.durations import duration_input
from tocsin.domain.access import Need
from tocsin.domain.slo_gate import GateException
from tocsin.domain.slo_specs import BuiltinSli, EventsSli, LatencySli, RawSli, SloSpec
from tocsin.errors import Unavailable
from tocsin.services.access import service_team
from tocsin.services.slo_gate import ReleaseGate
from tocsin.services.slos import SloService, SloStatus

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["SLOs"])

SloId = Annotated[str, Path(max_length=210, description="<service>-<name>")]


def _service(request: Request) -> SloService:
    return runtime_of(request).slos


def _spec(spec: SloSpec) -> dict[str, Any]:
    kind = {EventsSli: "events", LatencySli: "latency", RawSli: "raw", BuiltinSli: "builtin"}[
        type(spec.sli)
    ]
    budgeting: dict[str, Any] = {"method": "occurrences"}
    if spec.budgeting is not None:
        budgeting = {
            "method": "timeslices",
            "sliceMinutes": minutes(spec.budgeting.slice),
            "sliceTarget": spec.budgeting.target,
        }
    return {
        "id": spec.id,
        "service": spec.service,
        "name": spec.name,
        "objective": spec.target,
        "window": spec.window.label(),
        "sli": kind,
        "description": spec.description,
        "labels": dict(spec.labels),
        "budgeting": budgeting,
    }


def _status(s: SloStatus) -> dict[str, Any]:
    return {
        **_spec(s.spec),
        "period": {"start": iso(s.start), "end": iso(s.end)},
        "events": {"good": s.counts.good, "total": s.counts.total},
        "sli": s.sli,
        "errorBudget": {
            "minutes": minutes(s.objective.budget_time),
            "remaining": s.budget_remaining,
            "remainingMinutes": minutes(s.budget_remaining_time),
        },
        "burnRate": s.burn_rate,
        "exhaustedInMinutes": minutes(s.exhausted_in),
        "windows": [
            {
                "severity": w.window.severity.value,
                "long": minutes(w.window.long),
                "short": minutes(w.window.short),
                "factor": w.window.factor,
                "burnRateShort": w.short,
                "burnRateLong": w.long,
            }
            for w in s.windows
        ],
        "firing": sorted(f.value for f in s.firing),
    }


#: Events in one post, at most.
MAX_EVENTS = 1e12


class Events(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    # Bounded: a minute's counts add up in the database (and infinity is no count).
    good: float = pydantic.Field(ge=0, le=MAX_EVENTS, description="Good events")
    total: float = pydantic.Field(ge=0, le=MAX_EVENTS, description="All events")
    at: datetime | None = pydantic.Field(default=None, description="When (default: now)")


@router.get(
    "/slos",
    summary="The SLOs and where each stands (one Prometheus cannot read has `unavailable`)",
)
def list_slos(request: Request) -> Response:
    svc = _service(request)
    out: list[dict[str, Any]] = []
    for spec in svc.specs():
        try:
            out.append(_status(svc.status(spec.id)))
        except Unavailable as exc:
            out.append({**_spec(spec), "unavailable": str(exc)})
    return json_response({"slos": out})


@router.get(
    "/slos/{slo_id}",
    summary="One SLO and where it stands (503 when unreadable)",
    responses=error_responses(503),
)
def get_slo(request: Request, slo_id: SloId) -> Response:
    return json_response(_status(_service(request).status(slo_id)))


@router.get(
    "/slos/{slo_id}/burn-down",
    summary="The error budget left through the period so far, as points for a chart",
    responses=error_responses(503),
)
def burn_down(
    request: Request, slo_id: SloId, points: Annotated[int, Query(ge=2, le=2000)] = 120
) -> Response:
    b = _service(request).burn_down(slo_id, points)
    return json_response(
        {
            "slo": slo_id,
            "period": {"start": iso(b.start), "end": iso(b.end)},
            "now": iso(b.now),
            "points": [{"at": iso(at), "remaining": left} for at, left in b.points],
        }
    )


@router.post(
    "/slos/{slo_id}/events", summary="Good and total events for a built-in SLI", status_code=201
)
def post_events(request: Request, slo_id: SloId, body: Events) -> Response:
    svc = _service(request)
    minute = svc.record(slo_id, body.good, body.total, body.at)
    return json_response({"slo": slo_id, "minute": iso(minute)}, 201)


def _exception(e: GateException) -> dict[str, Any]:
    return {
        "id": e.id,
        "service": e.service,
        "reason": e.reason,
        "createdBy": e.created_by,
        "createdAt": iso(e.created_at),
        "expiresAt": iso(e.expires_at),
        "revokedAt": iso_or_none(e.revoked_at),
        "revokedBy": e.revoked_by,
    }


def _gate(request: Request) -> ReleaseGate:
    return runtime_of(request).gate


@router.get(
    "/slo-gate",
    summary="May the service release? 200 when open, 409 with the reasons when not",
    responses={
        409: {"description": "Frozen: the same answer, with a message naming the reasons"},
        **error_responses(404),
    },
)
def slo_gate(
    request: Request, service: Annotated[str, Query(min_length=1, max_length=100)]
) -> Response:
    answer = _gate(request).check(service)
    body = {
        "service": answer.service,
        "open": answer.open,
        "reasons": list(answer.reasons),
        "notes": list(answer.notes),
        "exception": _exception(answer.exception) if answer.exception else None,
    }
    if not answer.open:
        body["message"] = f"releases of {service} are frozen: " + "; ".join(answer.reasons)
    return json_response(body, 200 if answer.open else 409)


class GateExceptionRequest(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    service: str = pydantic.Field(min_length=1, max_length=100)
    reason: str = pydantic.Field(max_length=2000)
    expires_in: str = pydantic.Field(alias="expiresIn", description="e.g. 4h (at most 7d)")
    user: str | None = None


class Revoke(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    user: str | None = None


@router.post(
    "/slo-gate/exceptions", summary="Open the gate for a while, saying why", status_code=201
)
def grant(request: Request, body: GateExceptionRequest) -> Response:
    gate = _gate(request)
    # Opening the gate past a spent budget is its service's team managers' call (closing
    # it, any responder's).
    allow(request, Need.MANAGE, service_team(runtime_of(request).current(), body.service))
    length = duration_input(body.expires_in, "expiresIn")
    made = gate.grant(body.service, body.reason, length, acting(request, body.user))
    return json_response(_exception(made), 201)


@router.get("/slo-gate/exceptions", summary="Exceptions, newest first (the audit trail)")
def exceptions(
    request: Request, service: Annotated[str | None, Query(max_length=100)] = None
) -> Response:
    return json_response(
        {"exceptions": [_exception(e) for e in _gate(request).exceptions(service)]}
    )


@router.post("/slo-gate/exceptions/{exception_id}/revoke", summary="End an exception now")
def revoke(
    request: Request,
    exception_id: Annotated[int, Path(ge=1, le=2**53)],
    body: Revoke | None = None,
) -> Response:
    gate = _gate(request)
    done = gate.revoke(exception_id, acting(request, (body or Revoke()).user))
    return json_response(_exception(done))
