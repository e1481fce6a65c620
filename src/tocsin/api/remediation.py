"""Remediation (docs/remediation.md): the actions configured, running one for an incident
(or a dry run), approving or rejecting a dangerous run, an incident's runs.

A run over the action's rate limit answers 429 naming the limit and when it frees (with
``Retry-After``); the run is recorded as ``rate_limited`` all the same.

Approving or rejecting through the API answers 403: the API's token is an integration's
(the one Prometheus holds) and names no person, so the ``user`` of a body cannot stand
for the two people a dangerous run needs. Approve from the incident page (signed in),
Slack or the CLI. A run asked for through the API still waits for one of them."""

from __future__ import annotations

from typing import Annotated, Any

import pydantic
from fastapi import APIRouter, Path, Request, Response

from tocsin.api.access import acting, principal_of
from tocsin.api.incidents import MAX_ID, IncidentId
from tocsin.api.responses import json_response
from tocsin.api.runtime import runtime_of
from tocsin.api.schedules import iso, iso_or_none
from tocsin.domain.durations import duration_text
from tocsin.domain.remediation import RemediationAction
from tocsin.errors import Forbidden
from tocsin.services.remediation import RateLimited, RemediationService
from tocsin.store.remediation_runs import Run

__all__ = ["NOT_A_PERSON", "action_json", "router", "run_json"]

router = APIRouter(prefix="/api", tags=["Remediation"])

RunId = Annotated[int, Path(ge=1, le=MAX_ID, description="The run's number")]


def action_json(a: RemediationAction) -> dict[str, Any]:
    return {
        "name": a.name,
        "description": a.description,
        "kind": "http" if a.http is not None else "command",
        "what": a.what,
        "timeout": a.timeout.total_seconds(),
        "dangerous": a.dangerous,
        "dryRun": a.dry_run,
        "retry": a.retry,
        "rateLimit": (
            {"runs": a.rate_limit.runs, "per": a.rate_limit.per.total_seconds()}
            if a.rate_limit
            else None
        ),
        "triggers": {
            "matchers": [str(m) for m in a.matchers],
            "escalation": (
                {"policy": a.escalation.policy, "level": a.escalation.level}
                if a.escalation
                else None
            ),
        },
    }


def run_json(r: Run) -> dict[str, Any]:
    return {
        "id": r.id,
        "incidentId": r.incident_id,
        "action": r.action,
        "requestedBy": r.requested_by,
        "state": r.state.value,
        "dryRun": r.dry_run,
        "approver": r.approver,
        "selfApproved": r.self_approved,
        "reason": r.reason,
        # The request as sent; header secrets stay as their ${NAME} reference.
        "request": r.request.as_json(),
        "result": r.result,
        "output": r.output,
        "createdAt": iso(r.created_at),
        "approvedAt": iso_or_none(r.approved_at),
        "startedAt": iso_or_none(r.started_at),
        "finishedAt": iso_or_none(r.finished_at),
    }


def _service(request: Request) -> RemediationService:
    return runtime_of(request).remediation


class _Body(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    user: str | None = pydantic.Field(
        default=None, description="The person acting (a user id from the configuration)"
    )


class RunRequest(_Body):
    action: str = pydantic.Field(min_length=1, max_length=100)
    dry_run: bool = pydantic.Field(
        default=False, alias="dryRun", description="Render and record only, never run"
    )

    model_config = pydantic.ConfigDict(extra="forbid", populate_by_name=True)


@router.get("/remediation/actions", summary="The remediation actions configured")
def list_actions(request: Request) -> Response:
    svc = _service(request)
    return json_response([action_json(a) for a in svc.actions()])


@router.post(
    "/incidents/{incident_id}/remediation",
    summary="Run a remediation action for an incident (or a dry run)",
    status_code=201,
    responses={429: {"description": "Over the action's rate limit"}},
)
def run_action(request: Request, incident_id: IncidentId, body: RunRequest) -> Response:
    svc = _service(request)
    try:
        run = svc.request(
            incident_id, body.action, acting(request, body.user), dry_run=body.dry_run
        )
    except RateLimited as exc:
        now = runtime_of(request).clock.now()
        wait = max(1, int((exc.frees_at - now).total_seconds()) + 1)
        return json_response(
            {
                "error": str(exc),
                "freesAt": iso(exc.frees_at),
                "retryAfter": duration_text(exc.frees_at - now),
                "run": run_json(exc.run),
            },
            429,
            {"Retry-After": str(wait)},
        )
    return json_response(run_json(run), 201)


@router.get("/incidents/{incident_id}/remediation/runs", summary="An incident's runs, newest first")
def incident_runs(request: Request, incident_id: IncidentId) -> Response:
    svc = _service(request)
    return json_response([run_json(r) for r in svc.runs(incident_id)])


@router.get("/remediation/runs/{run_id}", summary="One run, with its output")
def get_run(request: Request, run_id: RunId) -> Response:
    return json_response(run_json(_service(request).run(run_id)))


#: Approving names a person: a personal token's owner (two-person rule).
NOT_A_PERSON = "approving and rejecting need a person: use a personal API token"
_DECIDED: dict[int | str, dict[str, Any]] = {
    403: {"description": "A service token (not a person), or the requester approving"},
    409: {"description": "The run is not waiting for approval"},
}


def _decide(request: Request, run_id: int, approve: bool) -> Response:
    principal = principal_of(request)
    if principal.user is None:
        raise Forbidden(NOT_A_PERSON)
    svc = _service(request)
    decide = svc.approve if approve else svc.reject
    return json_response(run_json(decide(run_id, principal.user, admin=principal.is_admin)))


@router.post(
    "/remediation/runs/{run_id}/approve",
    summary="Approve a dangerous run (a personal token; not the person who asked for it)",
    responses=_DECIDED,
)
def approve(request: Request, run_id: RunId, body: _Body | None = None) -> Response:
    if body is not None and body.user is not None:
        acting(request, body.user)  # a personal token names its owner only
    return _decide(request, run_id, True)


@router.post(
    "/remediation/runs/{run_id}/reject",
    summary="Reject a dangerous run (a personal token)",
    responses=_DECIDED,
)
def reject(request: Request, run_id: RunId, body: _Body | None = None) -> Response:
    if body is not None and body.user is not None:
        acting(request, body.user)
    return _decide(request, run_id, False)
