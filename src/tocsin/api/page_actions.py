"""Acting on a page from wherever it reached the person: a signed one-click link (email,
SMS, push, a phone call's keypad), an SMS reply (Twilio's inbound webhook, its signature
checked). Slack's buttons are in ``api/slack``."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from tocsin.api.body import read_body
from tocsin.api.openapi import MESSAGE_BODY, error_responses
from tocsin.api.responses import json_response
from tocsin.api.runtime import runtime_of
from tocsin.errors import Conflict, Forbidden, TocsinError, Unauthorized
from tocsin.integrations.twilio_inbound import parse_sms_reply, valid_twilio_request

__all__ = ["router"]

router = APIRouter(tags=["Acting on pages"])

_VERBS = {"ack": "Acknowledge", "resolve": "Resolve", "open": "Open"}

#: How these endpoints refuse (OpenAPI): a page for a person, JSON for Twilio.
_HTML_REFUSAL: dict[str, Any] = {
    "description": "This link cannot be used",
    "content": {"text/html": {}},
}
_TWILIO_REFUSALS = {
    **error_responses(403, 404, schema=MESSAGE_BODY),
    **error_responses(413),
}


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><html><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{html.escape(title)}</title>"
        "<style>body{font:18px system-ui,sans-serif;margin:2em auto;max-width:32em;"
        "padding:0 1em}button{font-size:1.2em;padding:.6em 1.4em}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>",
        status_code=status,
    )


@router.get(
    "/act/{token}",
    summary="Confirm an action from a page (nothing changes yet)",
    response_class=HTMLResponse,
    responses={403: _HTML_REFUSAL},
)
def confirm(request: Request, token: str) -> Response:
    # Mail scanners and link previews open links: a GET only asks.
    service = runtime_of(request).incidents
    try:
        claim = service.claim(token)
        view = service.view(claim.incident_id)
    except TocsinError as exc:
        return _page("This link cannot be used", f"<p>{html.escape(str(exc))}</p>", 403)
    incident = view.incident
    if claim.action == "open":
        return _incident_page(service, view, claim.user)
    verb = _VERBS.get(claim.action, claim.action)
    return _page(
        f"{verb} incident #{incident.id}?",
        f"<p><b>{html.escape(incident.title)}</b></p>"
        f"<p>{incident.severity.value}, now {incident.status.value}.</p>"
        f"<form method=post><button type=submit autofocus>{verb} as "
        f"{html.escape(claim.user)}</button></form>",
    )


@router.post(
    "/act/{token}",
    summary="Act from a page: acknowledge or resolve",
    response_class=HTMLResponse,
    responses={
        200: {
            "description": "Done: a page, JSON if asked for, TwiML for a phone call",
            "content": {"application/json": {}, "text/xml": {}},
        },
        403: _HTML_REFUSAL,
        409: {**_HTML_REFUSAL, "description": "Nothing done: the incident is past that"},
        **error_responses(413),
    },
)
async def act(request: Request, token: str) -> Response:
    service = runtime_of(request).incidents
    form = dict(parse_qsl((await read_body(request)).decode("utf-8", "replace")))
    digits = form.get("Digits")
    voice = digits is not None  # a phone call's keypad, through Twilio's <Gather>
    if voice and digits != "4":
        return _twiml("<Say>Not acknowledged. Goodbye.</Say>")
    try:
        incident = await run_in_threadpool(service.act_by_link, token, "voice" if voice else "link")
    except (Unauthorized, Forbidden) as exc:
        if voice:
            return _twiml("<Say>This page can no longer be acknowledged.</Say>")
        return _page("This link cannot be used", f"<p>{html.escape(str(exc))}</p>", 403)
    except Conflict as exc:
        return _page("Nothing done", f"<p>{html.escape(str(exc))}</p>", 409)
    if voice:
        return _twiml(f"<Say>Incident {incident.id} is {incident.status.value}. Goodbye.</Say>")
    if "application/json" in request.headers.get("accept", ""):
        return json_response({"id": incident.id, "status": incident.status.value})
    return _page(
        f"Incident #{incident.id} is {incident.status.value}",
        f"<p><b>{html.escape(incident.title)}</b></p>",
    )


def _incident_page(service: Any, view: Any, user: str) -> HTMLResponse:
    """What an "Open" link in a page shows the person it was sent to: the incident, its
    alerts and latest timeline, and buttons to act (fresh signed links for them)."""
    i = view.incident
    alerts = "".join(
        f"<li>{html.escape(a.alertname)}: {'firing' if a.firing else 'resolved'}</li>"
        for a in view.alerts
    )
    events = "".join(
        f"<li><small>{e.at:%Y-%m-%d %H:%M:%S} UTC</small> {html.escape(e.text)}</li>"
        for e in view.timeline[-15:]
    )
    buttons = ""
    if i.is_open:
        for action in ("ack", "resolve"):
            if action == "ack" and i.status.value != "triggered":
                continue
            buttons += (
                f'<form method=post action="{service.link(i.id, user, action)}" '
                f'style="display:inline"><button type=submit>{_VERBS[action]}</button></form> '
            )
    return _page(
        f"#{i.id} {i.title}",
        f"<p>{i.severity.value}, {i.urgency.value} urgency, <b>{i.status.value}</b>"
        f"{', service ' + html.escape(i.service) if i.service else ''}.</p>{buttons}"
        f"<h2>Alerts</h2><ul>{alerts or '<li>none</li>'}</ul>"
        f"<h2>Latest</h2><ul>{events}</ul>",
    )


def _twiml(inner: str) -> Response:
    return Response(
        f'<?xml version="1.0" encoding="UTF-8"?><Response>{inner}</Response>',
        media_type="text/xml",
    )


def _providers(request: Request) -> Any:
    config = runtime_of(request).routing
    return config.providers if config is not None else None


@router.post(
    "/integrations/twilio/sms",
    summary="Twilio's inbound SMS webhook (replies)",
    response_class=Response,
    responses={
        200: {"description": "The reply (TwiML)", "content": {"text/xml": {}}},
        **_TWILIO_REFUSALS,
    },
)
async def twilio_sms(request: Request) -> Response:
    runtime = runtime_of(request)
    providers = _providers(request)
    token = getattr(providers, "twilio_auth_token", None)
    if not token:
        return json_response({"message": "Twilio is not configured (paging.twilio)"}, 404)
    params = await _signed_form(request, token)
    if params is None:
        return json_response({"message": "the X-Twilio-Signature does not match"}, 403)
    reply = parse_sms_reply(params.get("Body", ""))
    text = await run_in_threadpool(
        runtime.incidents.sms_reply, params.get("From", ""), reply.action, reply.code
    )
    return _twiml(f"<Message>{html.escape(text)}</Message>")


@router.post(
    "/integrations/twilio/status",
    summary="Twilio's delivery reports of pages",
    status_code=204,
    responses=_TWILIO_REFUSALS,
)
async def twilio_status(request: Request, key: str) -> Response:
    runtime = runtime_of(request)
    token = getattr(_providers(request), "twilio_auth_token", None)
    if not token:
        return json_response({"message": "Twilio is not configured (paging.twilio)"}, 404)
    params = await _signed_form(request, token)
    if params is None:
        return json_response({"message": "the X-Twilio-Signature does not match"}, 403)
    status = params.get("MessageStatus") or params.get("CallStatus") or ""
    error = params.get("ErrorCode", "")
    if not await run_in_threadpool(runtime.incidents.delivery_receipt, key, status, error):
        return json_response({"message": "no such page"}, 404)
    return Response(status_code=204)


async def _signed_form(request: Request, token: str) -> dict[str, str] | None:
    """The form Twilio POSTed, if its signature (over Tocsin's public URL) is right."""
    body = await read_body(request)
    params = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    url = runtime_of(request).settings.public_url + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    signature = request.headers.get("x-twilio-signature", "")
    return params if valid_twilio_request(token, url, params, signature) else None
