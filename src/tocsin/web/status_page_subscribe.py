"""Subscribing from the public page: the email form (double opt-in), the confirmation
link's page, and unsubscribing (the link in every email; a POST to it is RFC 8058's
one-click unsubscribe, which mail clients send from the ``List-Unsubscribe`` header).

The form (``/status/subscribe``) has no session, so its CSRF check is a double-submit: a
random value in a ``SameSite=Strict`` cookie (set by the form's page only, so ``/status``
itself sets none) and the same value in the form. The answer to a subscription is the same
whether the address was new, waiting or already confirmed: the form tells nobody who
subscribed. One client may send it ``FORM_LIMIT`` times an hour (429 after), and an address
gets at most one confirmation email every 6 hours.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Form, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from tocsin.errors import InputError
from tocsin.services.status_page import Snapshot
from tocsin.services.status_subscriptions import Throttled
from tocsin.web.render import page
from tocsin.web.routing import web_router
from tocsin.web.session import runtime_of
from tocsin.web.status_page import FORM_COOKIE, context, form_token, keep_form_token

__all__ = ["router"]

router = web_router()
#: The address's ident (64 hex digits); a row id in links sent before they were bound to it.
SubscriberId = Annotated[str, Query(alias="s", pattern=r"^([0-9a-f]{64}|[0-9]{1,16})$")]
Token = Annotated[str, Query(alias="t", max_length=64)]


async def _snapshot(request: Request) -> Snapshot:
    return await run_in_threadpool(runtime_of(request).status_page.snapshot)


def _answer(
    request: Request,
    snapshot: Snapshot,
    heading: str,
    message: str,
    *,
    code: int = 200,
    **more: object,
) -> Response:
    return page(
        request,
        "status/message.html",
        None,
        title=f"{heading} · {snapshot.site.page.name}",
        heading=heading,
        message=message,
        status_code=code,
        **more,
        **context(snapshot),
    )


@router.get("/status/subscribe")
async def subscribe_page(request: Request) -> Response:
    """The email form, with its CSRF cookie."""
    snapshot = await _snapshot(request)
    token = form_token(request)
    response = page(
        request,
        "status/subscribe.html",
        None,
        title=f"Subscribe · {snapshot.site.page.name}",
        form_csrf=token,
        **context(snapshot),
    )
    keep_form_token(response, request, token)
    return response


@router.post("/status/subscribe")
async def subscribe(
    request: Request,
    email: Annotated[str, Form(max_length=320)] = "",
    csrf: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    snapshot = await _snapshot(request)
    expected = request.cookies.get(FORM_COOKIE, "")
    if not expected or not hmac.compare_digest(csrf.encode(), expected.encode()):
        token = form_token(request)
        response = _answer(
            request,
            snapshot,
            "The form had expired",
            "Please go back to the form and subscribe again.",
            code=403,
        )
        keep_form_token(response, request, token)
        return response
    client = request.client.host if request.client else "unknown"
    service = runtime_of(request).subscriptions
    try:
        await run_in_threadpool(lambda: service.subscribe_email(email, client=client))
    except Throttled:
        return _answer(
            request,
            snapshot,
            "Too many tries",
            "This form was sent too often from your network: please try again in an hour.",
            code=429,
        )
    except InputError as exc:
        problem = exc.problems[0].problem if exc.problems else str(exc)
        return _answer(request, snapshot, "That did not work", problem.capitalize() + ".", code=400)
    return _answer(
        request,
        snapshot,
        "Check your inbox",
        "If that address is not subscribed yet, a confirmation email is on its way: open the "
        "link in it to start getting updates. Nothing is sent before you do. An address gets "
        "at most one confirmation email every 6 hours, so if you asked a moment ago, the one "
        "already sent is the one to open.",
    )


@router.get("/status/subscribe/confirm")
async def confirm_page(request: Request, sid: SubscriberId, token: Token = "") -> Response:
    snapshot = await _snapshot(request)
    return _answer(
        request,
        snapshot,
        "Confirm your subscription",
        "Confirm to get an email when an incident or maintenance is posted or updated.",
        action=f"/status/subscribe/confirm?s={sid}&t={token}",
        button="Confirm subscription",
    )


@router.post("/status/subscribe/confirm")
async def confirm(request: Request, sid: SubscriberId, token: Token = "") -> Response:
    snapshot = await _snapshot(request)
    try:
        await run_in_threadpool(runtime_of(request).subscriptions.confirm, sid, token)
    except InputError:
        return _answer(
            request,
            snapshot,
            "That link did not work",
            "The confirmation link is not valid: subscribe again from the status page.",
            code=400,
        )
    return _answer(
        request,
        snapshot,
        "You are subscribed",
        "You will get an email when an incident or maintenance is posted or updated. Every "
        "email has a link to unsubscribe.",
    )


@router.get("/status/unsubscribe")
async def unsubscribe_page(request: Request, sid: SubscriberId, token: Token = "") -> Response:
    snapshot = await _snapshot(request)
    return _answer(
        request,
        snapshot,
        "Unsubscribe",
        "Stop getting emails about this status page?",
        action=f"/status/unsubscribe?s={sid}&t={token}",
        button="Unsubscribe",
    )


@router.post("/status/unsubscribe")
async def unsubscribe(request: Request, sid: SubscriberId, token: Token = "") -> Response:
    """The button of the page above, and RFC 8058's one-click POST (its body,
    ``List-Unsubscribe=One-Click``, needs no reading: the signed link is the authority)."""
    snapshot = await _snapshot(request)
    done = await run_in_threadpool(runtime_of(request).subscriptions.unsubscribe, sid, token)
    if not done:
        return _answer(
            request,
            snapshot,
            "That link did not work",
            "The unsubscribe link is not valid.",
            code=400,
        )
    return _answer(request, snapshot, "You are unsubscribed", "No more emails will be sent.")
