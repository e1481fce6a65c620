"""Webhook intake: an Alertmanager ``webhook_config`` receiver, and generic JSON."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from tocsin.api.auth import token_from_headers
from tocsin.api.body import read_body
from tocsin.api.openapi import error_responses, json_body
from tocsin.api.responses import json_response
from tocsin.api.runtime import runtime_of
from tocsin.domain.integrations import IntegrationKind
from tocsin.integrations.alertmanager_webhook import WebhookMessage, parse_webhook_message
from tocsin.integrations.webhook import DefaultPayload, WebhookMapping, parse_webhook

__all__ = ["router"]

router = APIRouter(prefix="/integrations", tags=["Webhooks"])


@router.post(
    "/alertmanager",
    summary="Alertmanager webhook receiver (payload version 4; bearer or basic auth)",
    openapi_extra=json_body(WebhookMessage),
    responses=error_responses(401),
)
async def alertmanager_webhook(request: Request) -> Response:
    runtime = runtime_of(request)
    integration = runtime.integrations.authenticate(
        token_from_headers(request), {IntegrationKind.ALERTMANAGER_WEBHOOK}
    )
    runtime.rate_limits.integration(integration)  # counted, never refused (4xx is not retried)
    events = parse_webhook_message(await read_body(request))
    receipt = await runtime.intake.submit(integration, events)
    return json_response({"status": "success", "alerts": len(receipt.outcomes)})


@router.post(
    "/webhook/{token}",
    summary="Generic JSON webhook (the token is in the path)",
    status_code=202,
    openapi_extra=json_body(DefaultPayload),
    responses=error_responses(401, 429),
)
async def generic_webhook(request: Request, token: str) -> Response:
    runtime = runtime_of(request)
    integration = runtime.integrations.authenticate(token, {IntegrationKind.WEBHOOK})
    runtime.rate_limits.integration(integration)  # 429 with Retry-After over the limit
    raw_mapping = integration.settings.get("mapping")
    mapping = WebhookMapping.model_validate(raw_mapping) if raw_mapping else None
    event = parse_webhook(await read_body(request), integration_id=integration.id, mapping=mapping)
    receipt = await runtime.intake.submit(integration, [event])
    return json_response(
        {
            "status": "accepted",
            "alert": receipt.alert_uids[0],
            "outcome": receipt.outcomes[0].value,
            "dedup_key": event.dedup_key,
        },
        202,
    )
