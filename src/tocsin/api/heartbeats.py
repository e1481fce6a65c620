"""Heartbeats (docs/heartbeats.md): list them; ping one (GET or POST, from cron and curl),
signal a failure, or feed one from an Alertmanager Watchdog route.

A ping takes the heartbeat's own token: ``Authorization: Bearer TOKEN``, basic auth with
the token as password, or ``?token=TOKEN``. No token: 401; a wrong one: 403; an unknown
heartbeat: 404. Listing takes an API token that may read (docs/security.md).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from tocsin.api.auth import token_from_headers
from tocsin.api.body import read_body
from tocsin.api.openapi import error_responses, json_body
from tocsin.api.responses import json_response
from tocsin.api.runtime import runtime_of
from tocsin.api.schedules import iso, iso_or_none
from tocsin.integrations.alertmanager_webhook import WebhookMessage
from tocsin.services.heartbeats import HeartbeatView, TokenRefused

__all__ = ["heartbeat_json", "router"]

router = APIRouter(prefix="/api/heartbeats", tags=["Heartbeats"])

Token = Annotated[
    str | None, Query(description="The heartbeat's token, when no Authorization header is sent")
]


def heartbeat_json(view: HeartbeatView) -> dict[str, Any]:
    spec, status = view.spec, view.status
    return {
        "name": spec.name,
        # waiting (never pinged), up, late (past its interval, within its grace), down
        "state": view.state,
        "intervalSeconds": spec.interval.total_seconds(),
        "graceSeconds": spec.grace.total_seconds(),
        "lastPingAt": iso_or_none(status.last_ping_at),
        "lastPingSource": status.last_ping_source,
        "pings": status.pings,
        "firstSeenAt": iso(status.first_seen_at),
        "deadline": iso_or_none(view.deadline),
        "downSince": iso_or_none(status.down_since),
        "downReason": status.down_reason.value if status.down_reason else None,
        "labels": dict(spec.labels),
        "watchdog": [str(m) for m in spec.watchdog],
    }


def _refused(exc: TokenRefused) -> Response:
    if exc.missing:
        return json_response(
            {"message": str(exc), "errors": []},
            401,
            headers={"WWW-Authenticate": 'Bearer realm="tocsin"'},
        )
    return json_response({"message": str(exc), "errors": []}, 403)


def _token(request: Request, token: str | None) -> str | None:
    return token_from_headers(request) or token


@router.get("", summary="Every configured heartbeat: state, last ping, next deadline")
def list_heartbeats(request: Request) -> Response:
    views = runtime_of(request).heartbeats.list()
    return json_response({"heartbeats": [heartbeat_json(v) for v in views]})


@router.get("/{name}", summary="One heartbeat")
def get_heartbeat(request: Request, name: str) -> Response:
    return json_response(heartbeat_json(runtime_of(request).heartbeats.get(name)))


def _ping(request: Request, name: str, token: str | None, fail: bool) -> Response:
    runtime_of(request).rate_limits.heartbeat(name, _token(request, token))  # 429 over it
    try:
        view = runtime_of(request).heartbeats.ping(name, _token(request, token), fail=fail)
    except TokenRefused as exc:
        return _refused(exc)
    return json_response({"status": "failed" if fail else "ok", "heartbeat": heartbeat_json(view)})


#: No token (401), another heartbeat's token (403), too many pings (429).
_PING_REFUSALS = error_responses(401, 403, 429)
_PING = "Ping: the job ran (``?status=fail``: it failed, the heartbeat is down at once)"


# GET for curl and wget from cron, POST for everything else; one operation id each.
@router.get(
    "/{name}/ping", summary=_PING, operation_id="heartbeat_ping_get", responses=_PING_REFUSALS
)
@router.post("/{name}/ping", summary=_PING, operation_id="heartbeat_ping", responses=_PING_REFUSALS)
def ping(
    request: Request,
    name: str,
    token: Token = None,
    status: Annotated[Literal["ok", "fail"], Query(description="fail: the job failed")] = "ok",
) -> Response:
    return _ping(request, name, token, status == "fail")


_FAIL = "The job failed: the heartbeat is down and its alert raised at once"


@router.get(
    "/{name}/ping/fail",
    summary=_FAIL,
    operation_id="heartbeat_ping_fail_get",
    responses=_PING_REFUSALS,
)
@router.post(
    "/{name}/ping/fail", summary=_FAIL, operation_id="heartbeat_ping_fail", responses=_PING_REFUSALS
)
def ping_fail(request: Request, name: str, token: Token = None) -> Response:
    return _ping(request, name, token, True)


@router.post(
    "/{name}/alertmanager",
    summary="Alertmanager webhook receiver for a Watchdog route: a firing alert is a ping",
    openapi_extra=json_body(WebhookMessage),
    responses=error_responses(401, 403),
)
async def alertmanager(request: Request, name: str, token: Token = None) -> Response:
    service = runtime_of(request).heartbeats
    # Alertmanager does not retry a 4xx: counted over the limit, never refused.
    runtime_of(request).rate_limits.heartbeat(name, _token(request, token), refuse=False)
    body = await read_body(request)
    try:
        pinged = await run_in_threadpool(service.alertmanager, name, _token(request, token), body)
    except TokenRefused as exc:
        return _refused(exc)
    return json_response({"status": "success", "ping": pinged})
