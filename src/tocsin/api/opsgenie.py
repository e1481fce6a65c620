"""Opsgenie Alert API: create, close, acknowledge; ``Authorization: GenieKey <token>``."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from fastapi import APIRouter, Request, Response

from tocsin.api.auth import token_from_headers
from tocsin.api.body import read_body
from tocsin.api.openapi import error_responses, json_body
from tocsin.api.responses import json_response
from tocsin.api.runtime import runtime_of
from tocsin.domain.alerts import Action
from tocsin.domain.integrations import Integration, IntegrationKind
from tocsin.errors import InputError, PayloadTooLarge, Unauthorized
from tocsin.integrations.opsgenie import (
    CreateAlert,
    alias_fingerprint,
    parse_action,
    parse_create,
)
from tocsin.services.runtime import Runtime

__all__ = ["router"]

router = APIRouter(prefix="/v2/alerts", tags=["Opsgenie Alert API"])


class _Request:
    """Opsgenie's envelope: every answer carries ``took`` (seconds) and a ``requestId``."""

    def __init__(self) -> None:
        self.id = str(uuid.uuid4())
        self.started = time.perf_counter()

    def answer(self, status: int, **fields: object) -> Response:
        took = round(time.perf_counter() - self.started, 3)
        return json_response({**fields, "took": took, "requestId": self.id}, status)

    def invalid(self, exc: InputError) -> Response:
        status = 413 if isinstance(exc, PayloadTooLarge) else 422
        return self.answer(
            status,
            message="Request body is not processable. Please check the errors.",
            errors={p.field or "body": p.problem for p in exc.problems},
        )


#: Opsgenie's answers to a refused request: the envelope, a message, and for a body that is
#: wrong, each field with its problem; over the rate limit, Tocsin's own 429.
_ENVELOPE: dict[str, Any] = {
    "type": "object",
    "required": ["message", "took", "requestId"],
    "properties": {
        "message": {"type": "string"},
        "took": {"type": "number"},
        "requestId": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}
_REFUSALS: dict[int | str, dict[str, Any]] = {
    **{
        code: {
            "description": text,
            "content": {"application/json": {"schema": _ENVELOPE}},
        }
        for code, text in (
            (401, "Could not authenticate"),
            (404, "No such alert"),
            (413, "The body is larger than the configured limit"),
            (422, "The body is not processable: each field and its problem"),
        )
    },
    **error_responses(429),
}

Work = Callable[[Runtime, Integration, _Request], Awaitable[Response]]


async def _as_opsgenie(request: Request, work: Work) -> Response:
    """Authenticate the GenieKey, run ``work``, and answer errors in Opsgenie's shape."""
    runtime = runtime_of(request)
    envelope = _Request()
    try:
        integration = runtime.integrations.authenticate(
            token_from_headers(request, ("geniekey", "bearer", "basic")), {IntegrationKind.OPSGENIE}
        )
    except Unauthorized:
        return envelope.answer(401, message="Could not authenticate")
    runtime.rate_limits.integration(integration)  # 429 with Retry-After over the limit
    try:
        return await work(runtime, integration, envelope)
    except InputError as exc:
        return envelope.invalid(exc)


@router.post(
    "",
    summary="Create an Opsgenie alert (alias = dedup key)",
    status_code=202,
    openapi_extra=json_body(CreateAlert),
    responses=_REFUSALS,
)
async def create_alert(request: Request) -> Response:
    async def create(runtime: Runtime, integration: Integration, envelope: _Request) -> Response:
        body = await read_body(request)
        event = parse_create(body, integration_id=integration.id, new_alias=envelope.id)
        await runtime.intake.submit(integration, [event])
        return envelope.answer(202, result="Request will be processed")

    return await _as_opsgenie(request, create)


async def _act(request: Request, identifier: str, identifier_type: str, action: Action) -> Response:
    async def act(runtime: Runtime, integration: Integration, envelope: _Request) -> Response:
        dedup_key: str | None = identifier
        if identifier_type == "alias":
            fingerprint = alias_fingerprint(integration.id, identifier)
        else:
            alert = runtime.alerts.by_uid(identifier)
            if alert is None or alert.integration_id != integration.id:
                return envelope.answer(404, message=f"Alert with id [{identifier}] does not exist")
            fingerprint, dedup_key = alert.fingerprint, alert.dedup_key
        body = await read_body(request)
        event = parse_action(body, action=action, fingerprint=fingerprint, dedup_key=dedup_key)
        await runtime.intake.submit(integration, [event])
        return envelope.answer(202, result="Request will be processed")

    return await _as_opsgenie(request, act)


IdentifierType = Literal["id", "alias", "tiny"]


@router.post(
    "/{identifier}/close", summary="Close an Opsgenie alert", status_code=202, responses=_REFUSALS
)
async def close_alert(
    request: Request, identifier: str, identifierType: IdentifierType = "id"
) -> Response:
    return await _act(request, identifier, identifierType, Action.RESOLVE)


@router.post(
    "/{identifier}/acknowledge",
    summary="Acknowledge an Opsgenie alert",
    status_code=202,
    responses=_REFUSALS,
)
async def acknowledge_alert(
    request: Request, identifier: str, identifierType: IdentifierType = "id"
) -> Response:
    return await _act(request, identifier, identifierType, Action.ACKNOWLEDGE)
