"""Signing in and out.

The sign-in form has no session yet, so its CSRF check is a double-submit: a random value in
a short-lived cookie and the same value in the form. With single sign-on configured the page
also has its button (``web/oidc``); with ``TOCSIN_PASSWORD_SIGN_IN=false``, only that."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from tocsin.errors import InputError, Unauthorized
from tocsin.origin import client_address
from tocsin.web.render import page
from tocsin.web.routing import web_router
from tocsin.web.session import (
    COOKIE,
    Acting,
    acting,
    keep_session,
    runtime_of,
    secure_cookies,
    viewer,
)

__all__ = ["router", "safe_next", "sign_in_form"]

router = web_router()
LOGIN_COOKIE = "tocsin_login"


def safe_next(target: str | None) -> str:
    """Only a path on this site (never ``//elsewhere``)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def sign_in_form(
    request: Request,
    target: str,
    problem: str = "",
    login: str = "",
    status: int = 0,
    *,
    with_password: bool = True,
) -> Response:
    """The sign-in page (``problem`` says what went wrong; 401 then, unless ``status``;
    ``with_password``: the problem is the password form's, whose fields it marks)."""
    token = secrets.token_urlsafe(24)
    sso = runtime_of(request).sso
    response = page(
        request,
        "sign_in.html",
        None,
        title="Sign in",
        next=target,
        problem=problem,
        password_problem=bool(problem) and with_password,
        login=login,
        login_csrf=token,
        sso_button=sso.config.button if sso else "",
        passwords=sso is None or sso.config.passwords,
        sso_joins=bool(sso and sso.config.create_domains),
        status_code=status or (401 if problem else 200),
    )
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request),
        path="/login",
    )
    return response


@router.get("/login")
async def sign_in_page(request: Request, next: str | None = None) -> Response:
    if await viewer(request) is not None:
        return RedirectResponse(safe_next(next), 303)
    return sign_in_form(request, safe_next(next))


@router.post("/login")
async def sign_in(
    request: Request,
    login: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    target = safe_next(next)
    sso = runtime_of(request).sso
    if sso is not None and not sso.config.passwords:
        words = f"Passwords are not used here: use the button “{sso.config.button}”."
        return sign_in_form(request, target, words, status=403)
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(csrf.encode(), expected.encode()):
        return sign_in_form(request, target, "The form had expired: please sign in again.", login)
    accounts = runtime_of(request).accounts
    try:
        address = client_address(request.scope)
        token, _ = await run_in_threadpool(accounts.sign_in, login, password, address)
    except (Unauthorized, InputError) as exc:
        return sign_in_form(request, target, str(exc).capitalize() + ".", login)
    response = RedirectResponse(target, 303)
    keep_session(response, request, token)
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout")
async def sign_out(request: Request, form: Annotated[Acting, Depends(acting)]) -> Response:
    await run_in_threadpool(runtime_of(request).accounts.sign_out, request.cookies.get(COOKIE))
    response = RedirectResponse("/login", 303)
    response.delete_cookie(COOKIE)
    return response
