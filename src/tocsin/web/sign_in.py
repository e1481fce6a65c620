"""Signing in and out.

The sign-in form has no session yet, so its CSRF check is a double-submit: a random value in
a short-lived cookie and the same value in the form."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from tocsin.errors import InputError, Unauthorized
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

__all__ = ["router"]

router = web_router()
LOGIN_COOKIE = "tocsin_login"


def _next(target: str | None) -> str:
    """Only a path on this site (never ``//elsewhere``)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _form(request: Request, target: str, problem: str = "", login: str = "") -> Response:
    token = secrets.token_urlsafe(24)
    response = page(
        request,
        "sign_in.html",
        None,
        title="Sign in",
        next=target,
        problem=problem,
        login=login,
        login_csrf=token,
        status_code=401 if problem else 200,
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
        return RedirectResponse(_next(next), 303)
    return _form(request, _next(next))


@router.post("/login")
async def sign_in(
    request: Request,
    login: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    target = _next(next)
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(csrf.encode(), expected.encode()):
        return _form(request, target, "The form had expired: please sign in again.", login)
    accounts = runtime_of(request).accounts
    try:
        address = request.client.host if request.client else None
        token, _ = await run_in_threadpool(accounts.sign_in, login, password, address)
    except (Unauthorized, InputError) as exc:
        return _form(request, target, str(exc).capitalize() + ".", login)
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
