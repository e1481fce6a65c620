"""Drills and tabletop exercises: run a drill on a policy, its report, the drills and the
scheduled ones; tabletop scenarios and sessions (docs/drills.md)."""

from __future__ import annotations

from typing import Annotated, Any

import pydantic
from fastapi import APIRouter, Path, Request, Response

from tocsin.api.incidents import MAX_ID, Actor, IncidentId, incident_json
from tocsin.api.responses import json_response
from tocsin.api.runtime import runtime_of
from tocsin.api.schedules import iso, iso_or_none
from tocsin.domain.drills import DrillReport, LevelReport, PageAttempt
from tocsin.domain.tabletop import Scenario
from tocsin.services.tabletop import SessionView

__all__ = ["report_json", "router"]

router = APIRouter(prefix="/api", tags=["Drills"])

SessionId = Annotated[int, Path(ge=1, le=MAX_ID, description="The tabletop session's number")]


def _seconds(value: Any) -> float | None:
    return value.total_seconds() if value is not None else None


def _page(p: PageAttempt) -> dict[str, Any]:
    return {
        "user": p.user,
        "method": p.method,
        "status": p.status,
        "at": iso(p.created_at),
        "sentAt": iso_or_none(p.sent_at),
        "error": p.error,
    }


def _level(lv: LevelReport) -> dict[str, Any]:
    return {
        "level": lv.level,
        "pass": lv.loop,
        "at": iso(lv.at),
        "users": list(lv.users),
        "slackChannels": list(lv.channels),
        "outcome": lv.outcome,
        "acknowledgedBy": lv.acknowledged_by,
        "timeToAckSeconds": _seconds(lv.time_to_ack),
        "pages": [_page(p) for p in lv.pages],
    }


def report_json(r: DrillReport) -> dict[str, Any]:
    return {
        "incidentId": r.incident_id,
        "title": r.title,
        "policy": r.policy,
        "severity": r.severity,
        "startedAt": iso(r.started_at),
        "endedAt": iso_or_none(r.ended_at),
        "outcome": r.verdict,
        "acknowledgedBy": r.acknowledged_by,
        "acknowledgedAt": iso_or_none(r.acknowledged_at),
        "timeToAckSeconds": _seconds(r.time_to_ack),
        "policyExhausted": r.exhausted,
        "timedOut": r.timed_out,
        "levels": [_level(lv) for lv in r.levels],
        "failures": [{"kind": f.kind, "text": f.text, "level": f.level} for f in r.failures],
        "otherPages": [_page(p) for p in r.other_pages],
    }


class DrillRun(Actor):
    policy: str = pydantic.Field(min_length=1, max_length=200)
    severity: str = "SEV3"
    title: str | None = pydantic.Field(default=None, max_length=500)


@router.post("/drills", summary="Run a drill on an escalation policy", status_code=201)
def run_drill(request: Request, body: DrillRun) -> Response:
    runtime = runtime_of(request)
    actor = body.who(request)
    incident = runtime.drills.run(body.policy, actor, severity=body.severity, title=body.title)
    return json_response(
        {**incident_json(incident), "report": f"/api/drills/{incident.id}/report"}, 201
    )


@router.get("/drills", summary="The newest drills with their outcome, and the scheduled ones")
def list_drills(request: Request) -> Response:
    svc = runtime_of(request).drills
    return json_response(
        {
            "drills": [report_json(r) for r in svc.drills()],
            "scheduled": [
                {
                    "id": p.drill.id,
                    "policy": p.drill.policy,
                    "rrule": p.drill.rrule,
                    "timeZone": p.drill.time_zone,
                    "severity": p.drill.severity.value,
                    "nextAt": iso_or_none(p.next_at),
                }
                for p in svc.schedule()
            ],
        }
    )


@router.get("/drills/{incident_id}/report", summary="How a drill's paging went")
def drill_report(request: Request, incident_id: IncidentId) -> Response:
    return json_response(report_json(runtime_of(request).drills.report(incident_id)))


# -- tabletop --------------------------------------------------------------------------------


def scenario_json(s: Scenario) -> dict[str, Any]:
    return {
        "name": s.name,
        "title": s.title,
        "summary": s.summary,
        "roles": list(s.roles),
        "steps": [
            {
                "title": st.title,
                "situation": st.situation,
                "inject": st.inject,
                "questions": list(st.questions),
            }
            for st in s.steps
        ],
        "debrief": list(s.debrief),
    }


def session_json(v: SessionView) -> dict[str, Any]:
    s = v.session
    return {
        "id": s.id,
        "scenario": s.scenario,
        "title": s.title,
        "state": s.state,
        "step": s.step + 1,
        "participants": list(s.participants),
        "notes": s.notes,
        "startedAt": iso(s.started_at),
        "startedBy": s.started_by,
        "finishedAt": iso_or_none(s.finished_at),
        "answers": [
            {
                "step": a.step + 1 if a.step >= 0 else "debrief",
                "question": a.question + 1,
                "text": a.text,
                "answeredBy": a.answered_by,
                "answeredAt": iso(a.answered_at),
            }
            for a in v.answers
        ],
    }


@router.get("/tabletop/scenarios", summary="The tabletop scenarios (drills.scenarios)")
def scenarios(request: Request) -> Response:
    return json_response([scenario_json(s) for s in runtime_of(request).tabletop.scenarios()])


@router.get("/tabletop/sessions/{session_id}", summary="A tabletop session and its answers")
def session(request: Request, session_id: SessionId) -> Response:
    return json_response(session_json(runtime_of(request).tabletop.view(session_id)))
