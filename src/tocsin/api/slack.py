"""Slack's requests to Tocsin's Slack app, each checked against the signing secret
(``paging.slack.signing_secret``) and refused when older than five minutes:

* ``POST /integrations/slack/commands``: the ``/tocsin`` slash command;
* ``POST /integrations/slack/interactions``: buttons (on incident cards and pages) and the
  "Page someone" modal's submission;
* ``POST /integrations/slack/events``: the Events API (``reaction_added``, ``pin_added``:
  messages marked as timeline notes) and its URL verification.

Set these as the app's slash command, interactivity and event request URLs (see
docs/communication.md).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from tocsin.api.body import read_body
from tocsin.api.openapi import MESSAGE_BODY, error_responses
from tocsin.api.responses import json_response
from tocsin.api.runtime import runtime_of
from tocsin.channels.slack_app import SlackCallError
from tocsin.errors import TocsinError
from tocsin.integrations.slack_events import parse_event, parse_slash_command, parse_submission
from tocsin.integrations.slack_inbound import (
    SlackRequestError,
    block_action,
    interaction_payload,
    verify_slack_request,
)

__all__ = ["router"]

router = APIRouter(tags=["Slack"])

#: Not signed by Slack (401), a payload it would not send (400), Slack not configured (404).
_SLACK_REFUSALS = error_responses(400, 401, 404, schema=MESSAGE_BODY) | error_responses(413)


async def _verified(request: Request) -> bytes | Response:
    """The body, if Slack signed it (and recently); else the answer to give."""
    runtime = runtime_of(request)
    providers = runtime.routing.providers if runtime.routing is not None else None
    secret = getattr(providers, "slack_signing_secret", None)
    if not secret:
        return json_response(
            {"message": "Slack is not configured (paging.slack.signing_secret)"}, 404
        )
    body = await read_body(request)
    try:
        verify_slack_request(secret, dict(request.headers), body, runtime.clock.now())
    except SlackRequestError as exc:
        return json_response({"message": str(exc)}, 401)
    return body


def _say(text: str, public: bool = False) -> Response:
    return json_response({"response_type": "in_channel" if public else "ephemeral", "text": text})


@router.post(
    "/integrations/slack/commands",
    summary="Slack's /tocsin slash command",
    responses=_SLACK_REFUSALS,
)
async def slack_command(request: Request) -> Response:
    body = await _verified(request)
    if isinstance(body, Response):
        return body
    try:
        slash = parse_slash_command(body)
    except SlackRequestError as exc:
        return json_response({"message": str(exc)}, 400)
    reply = await run_in_threadpool(runtime_of(request).chatops.command, slash)
    return _say(reply.text, reply.public)


@router.post(
    "/integrations/slack/interactions",
    summary="Slack's interactivity (buttons, forms)",
    responses=_SLACK_REFUSALS,
)
async def slack_interactions(request: Request) -> Response:
    body = await _verified(request)
    if isinstance(body, Response):
        return body
    chatops = runtime_of(request).chatops
    try:
        payload = interaction_payload(body)
        if payload["type"] == "view_submission":
            errors = await run_in_threadpool(chatops.submit, parse_submission(payload))
            if errors:
                return json_response({"response_action": "errors", "errors": errors})
            return Response(status_code=200)
        action = block_action(payload)
    except SlackRequestError as exc:
        return json_response({"message": str(exc)}, 400)
    if action is None:
        return Response(status_code=200)
    reply = await run_in_threadpool(chatops.button, action)
    return _say(reply.text) if reply is not None else Response(status_code=200)


@router.post(
    "/integrations/slack/events",
    summary="Slack's Events API (notes from reactions, pins)",
    responses=_SLACK_REFUSALS | error_responses(503, schema=MESSAGE_BODY),
)
async def slack_events(request: Request) -> Response:
    body = await _verified(request)
    if isinstance(body, Response):
        return body
    try:
        event = parse_event(body)
    except SlackRequestError as exc:
        return json_response({"message": str(exc)}, 400)
    if isinstance(event, str):
        return json_response({"challenge": event})
    if event is None:
        return Response(status_code=200)
    try:
        await run_in_threadpool(runtime_of(request).chatops.marked, event)
    except SlackCallError as exc:
        # Slack sends the event again (up to three times) when it does not get a 2xx.
        return json_response({"message": str(exc)}, 503 if exc.retryable else 200)
    except TocsinError:
        return Response(status_code=200)  # someone Tocsin does not know: nothing to do
    return Response(status_code=200)
