"""Alertmanager API v2, as Prometheus and amtool speak it: post, list and status."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from tocsin import __version__
from tocsin.api.auth import token_from_headers
from tocsin.api.body import read_body
from tocsin.api.openapi import error_responses, json_body
from tocsin.api.responses import json_response
from tocsin.api.runtime import runtime_of
from tocsin.config.secret_refs import redacted_text
from tocsin.domain.integrations import IntegrationKind
from tocsin.domain.matchers import Matcher, parse_matchers
from tocsin.errors import FieldProblem, InputError
from tocsin.integrations.alertmanager_api import parse_postable_alerts
from tocsin.services.alert_views import AlertView

__all__ = ["router"]

router = APIRouter(prefix="/api/v2", tags=["Alertmanager API v2"])

_ZERO_TIME = "0001-01-01T00:00:00.000Z"
_POSTABLE_ALERTS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["labels"],
        "properties": {
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
            "startsAt": {"type": "string", "format": "date-time"},
            "endsAt": {"type": "string", "format": "date-time"},
            "generatorURL": {"type": "string", "format": "uri"},
        },
    },
}


def _time(value: datetime | None) -> str:
    if value is None:
        return _ZERO_TIME
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _gettable(view: AlertView) -> dict[str, Any]:
    alert = view.alert
    gettable: dict[str, Any] = {
        "labels": dict(alert.labels),
        "annotations": dict(alert.annotations),
        "startsAt": _time(alert.starts_at),
        "endsAt": _time(alert.ends_at),
        "updatedAt": _time(alert.updated_at),
        "generatorURL": alert.generator_url,
        "fingerprint": alert.fingerprint,
        "receivers": [{"name": name} for name in view.receivers],
        "status": {
            "state": "suppressed" if view.suppressed else "active",
            "silencedBy": list(view.silenced_by),
            "inhibitedBy": list(view.inhibited_by),
            "mutedBy": [],
        },
    }
    if not alert.generator_url:
        del gettable["generatorURL"]  # Alertmanager leaves it out rather than send ""
    if view.flapping:
        gettable["flapping"] = True  # Tocsin: its notifications are held until it is stable
    return gettable


def authenticate(request: Request) -> None:
    """Reading and silencing take the token of any Alertmanager-kind integration."""
    runtime_of(request).integrations.authenticate(
        token_from_headers(request), {IntegrationKind.ALERTMANAGER}
    )


@router.post(
    "/alerts",
    summary="Post alerts (what Prometheus sends)",
    openapi_extra=json_body(_POSTABLE_ALERTS_SCHEMA),
    response_class=Response,  # 200 with no body, as Alertmanager answers
    responses={200: {"description": "Stored durably"}, **error_responses(400, 401, 413)},
)
async def post_alerts(request: Request) -> Response:
    runtime = runtime_of(request)
    integration = runtime.integrations.authenticate(
        token_from_headers(request), {IntegrationKind.ALERTMANAGER}
    )
    runtime.rate_limits.integration(integration)  # counted, never refused (Prometheus drops)
    body = await read_body(request)
    events = parse_postable_alerts(
        body, now=runtime.clock.now(), resolve_timeout=runtime.resolve_timeout
    )
    if events:
        await runtime.intake.submit(integration, events)
    return Response(status_code=200)


def matchers_from(filter: list[str]) -> list[Matcher]:
    matchers: list[Matcher] = []
    for i, text in enumerate(filter):
        try:
            matchers.extend(parse_matchers(text))
        except ValueError as exc:
            raise InputError(FieldProblem(f"filter[{i}]", str(exc))) from None
    return matchers


@router.get("/alerts", summary="List alerts (what amtool queries)")
async def get_alerts(
    request: Request,
    filter: Annotated[list[str], Query(description='Label matchers, e.g. job="api"')] = [],  # noqa: B006
    active: bool = True,
    silenced: bool = True,
    inhibited: bool = True,
    unprocessed: bool = True,
    receiver: str | None = None,
) -> Response:
    runtime = runtime_of(request)
    matchers = matchers_from(filter)
    receiver_re = None
    if receiver:
        try:
            receiver_re = re.compile(f"(?:{receiver})", re.ASCII)
        except re.error as exc:
            raise InputError(
                FieldProblem("receiver", f"invalid regular expression: {exc}")
            ) from None
    result = []
    for view in runtime.views.open(matchers):
        if receiver_re is not None and not any(receiver_re.fullmatch(r) for r in view.receivers):
            continue
        if view.suppressed:
            if (view.silenced_by and not silenced) or (view.inhibited_by and not inhibited):
                continue
        elif not active:
            continue
        result.append(_gettable(view))
    return json_response(result)


@router.get("/status", summary="Alertmanager-compatible status")
async def get_status(request: Request) -> Response:
    runtime = runtime_of(request)
    return json_response(
        {
            "cluster": {"name": "", "status": "disabled", "peers": []},
            "versionInfo": {
                "version": __version__,
                "revision": "tocsin",
                "branch": "main",
                "buildUser": "tocsin",
                "buildDate": "",
                "goVersion": "python",
            },
            # Secrets blanked, as Alertmanager shows them (docs/security.md#secrets).
            "config": {"original": redacted_text(runtime.routing_text)},
            "uptime": _time(runtime.started_at),
        }
    )


@router.get("/receivers", summary="Receivers (none until routing is configured)")
async def get_receivers(request: Request) -> Response:
    routing = runtime_of(request).routing
    return json_response([{"name": name} for name in routing.receivers] if routing else [])
