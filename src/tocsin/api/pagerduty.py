"""PagerDuty Events API v2: ``POST /v2/enqueue``, answered as PagerDuty answers."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response

from tocsin.api.body import read_body
from tocsin.api.openapi import error_responses, json_body
from tocsin.api.responses import json_response
from tocsin.api.runtime import runtime_of
from tocsin.domain.integrations import IntegrationKind
from tocsin.errors import FieldProblem, InputError, PayloadTooLarge, Unauthorized
from tocsin.integrations.pagerduty import PagerDutyEvent, parse_event, routing_key_of

__all__ = ["router"]

router = APIRouter(tags=["PagerDuty Events API v2"])


#: PagerDuty's refusal: each problem a string, "field: problem".
_REFUSED: dict[str, Any] = {
    "description": "Refused, as PagerDuty refuses",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["status", "message", "errors"],
                "properties": {
                    "status": {"type": "string"},
                    "message": {"type": "string"},
                    "errors": {"type": "array", "items": {"type": "string"}},
                },
            }
        }
    },
}


def _invalid(exc: InputError, status: int = 400) -> Response:
    return json_response(
        {
            "status": "invalid event",
            "message": "Event object is invalid",
            "errors": [str(p) for p in exc.problems],
        },
        status,
    )


@router.post(
    "/v2/enqueue",
    summary="Send a PagerDuty Events API v2 event (routing_key = integration token)",
    status_code=202,
    openapi_extra=json_body(PagerDutyEvent),
    responses={
        **{code: _REFUSED for code in (400, 401, 413)},
        **error_responses(429),
    },
)
async def enqueue(request: Request) -> Response:
    runtime = runtime_of(request)
    try:
        body = await read_body(request)
    except PayloadTooLarge as exc:
        return _invalid(exc, 413)
    routing_key = routing_key_of(body)
    if routing_key is None:
        # Validate anyway, to name every problem and not just the missing routing key.
        try:
            parse_event(body, integration_id=0, new_dedup_key="-", now=runtime.clock.now())
        except InputError as exc:
            return _invalid(exc)
        return _invalid(InputError(FieldProblem("routing_key", "is required")))
    try:
        integration = runtime.integrations.authenticate(routing_key, {IntegrationKind.PAGERDUTY})
    except Unauthorized:
        return json_response(
            {
                "status": "unauthorized",
                "message": "Invalid routing key",
                "errors": ["routing_key: is not the token of a PagerDuty-kind integration"],
            },
            401,
        )
    runtime.rate_limits.integration(integration)  # 429 with Retry-After: PagerDuty clients retry
    try:
        event, dedup_key = parse_event(
            body,
            integration_id=integration.id,
            new_dedup_key=uuid.uuid4().hex,
            now=runtime.clock.now(),
        )
    except InputError as exc:
        return _invalid(exc)
    await runtime.intake.submit(integration, [event])
    result: dict[str, Any] = {
        "status": "success",
        "message": "Event processed",
        "dedup_key": dedup_key,
    }
    return json_response(result, 202)
