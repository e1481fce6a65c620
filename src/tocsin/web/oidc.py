"""Single sign-on pages (docs/security.md): the sign-in button's link, which sends the browser
to the OpenID Connect provider, and the callback it comes back to.

What the callback must match (state, nonce, the PKCE verifier, the page to go on to) stays in
the browser meanwhile, in a short-lived HttpOnly cookie scoped to these two paths:
SameSite=Lax, so the browser sends it on the provider's redirect back, and never on a
request another site makes in the background. A forged or stale callback is refused; so is
every failure along the way, with a page that says what happened (never a 500). The session
is the same kind a password makes; lockout after wrong passwords is the provider's business
here, and does not apply."""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from tocsin.services.sso import Pending, SingleSignOn, SsoRefused
from tocsin.services.sso_people import person_for
from tocsin.services.sso_settings import CALLBACK_PATH
from tocsin.web.routing import web_router
from tocsin.web.session import keep_session, runtime_of, secure_cookies, viewer
from tocsin.web.sign_in import safe_next, sign_in_form

__all__ = ["router"]

log = logging.getLogger("tocsin.sso")
router = web_router()
START_PATH = "/login/oidc"
#: What the callback must match, kept by the browser while it is at the provider.
PENDING_COOKIE = "tocsin_oidc"
#: How long a person has at the provider before the sign-in must start again.
PENDING_SECONDS = 600


def _sso(request: Request) -> SingleSignOn | None:
    return runtime_of(request).sso


def _refused(request: Request, exc: SsoRefused, target: str) -> Response:
    log.warning("single sign-on refused: %s", exc.detail)
    response = sign_in_form(request, target, str(exc), status=exc.status, with_password=False)
    response.delete_cookie(PENDING_COOKIE, path=START_PATH)
    return response


@router.get(START_PATH)
async def start(request: Request, next: str | None = None) -> Response:
    """Off to the provider (or on, when already signed in)."""
    sso = _sso(request)
    target = safe_next(next)
    if sso is None:
        words = "Single sign-on is not set up here."
        return sign_in_form(request, target, words, status=404, with_password=False)
    if await viewer(request) is not None:
        return RedirectResponse(target, 303)
    try:
        url, pending = await run_in_threadpool(sso.begin, target)
    except SsoRefused as exc:
        return _refused(request, exc, target)
    response = RedirectResponse(url, 303)
    response.set_cookie(
        PENDING_COOKIE,
        pending.encode(),
        max_age=PENDING_SECONDS,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path=START_PATH,
    )
    return response


@router.get(CALLBACK_PATH)
async def callback(request: Request) -> Response:
    """The provider's answer: checked, exchanged, verified, mapped to a person."""
    sso = _sso(request)
    if sso is None:
        words = "Single sign-on is not set up here."
        return sign_in_form(request, "/", words, status=404, with_password=False)
    pending = Pending.decode(request.cookies.get(PENDING_COOKIE))
    target = safe_next(pending.next if pending else None)
    answer = {k: v for k, v in request.query_params.items() if isinstance(v, str)}
    runtime = runtime_of(request)
    try:
        identity = await run_in_threadpool(sso.finish, pending, answer)
        user_id = await run_in_threadpool(person_for, identity, sso.config, runtime.accounts)
        token, _ = await run_in_threadpool(runtime.accounts.start_session, user_id)
    except SsoRefused as exc:
        return _refused(request, exc, target)
    log.info("single sign-on: %s signed in as %s", identity.shown, user_id)
    response = RedirectResponse(target, 303)
    keep_session(response, request, token)
    response.delete_cookie(PENDING_COOKIE, path=START_PATH)
    return response
