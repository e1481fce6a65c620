"""The web UI's routes: failures become readable pages, never JSON."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute

from tocsin.errors import (
    Conflict,
    FieldProblem,
    Forbidden,
    InputError,
    NotFound,
    TocsinError,
    Unauthorized,
)
from tocsin.web.render import page
from tocsin.web.session import SignInNeeded, viewer

__all__ = ["RowId", "WebRoute", "web_router"]

#: A row id in a page's path: a positive integer the databases can hold (JavaScript-safe).
RowId = Annotated[int, Path(ge=1, le=2**53)]

log = logging.getLogger("tocsin.web")


async def error_page(request: Request, exc: Exception) -> Response:
    if isinstance(exc, SignInNeeded):
        return RedirectResponse(exc.location, 303)
    who = await viewer(request)
    problems: list[object] = []
    if isinstance(exc, InputError):
        code, title, problems = 400, "That did not work", list(exc.problems)
    elif isinstance(exc, RequestValidationError):
        code, title = 400, "That did not work"
        problems = [
            FieldProblem(".".join(str(p) for p in e["loc"][1:]) or "form", e["msg"])
            for e in exc.errors()
        ]
    elif isinstance(exc, NotFound):
        code, title = 404, "Not found"
    elif isinstance(exc, Conflict):
        code, title = 409, "That cannot be done now"
    elif isinstance(exc, Unauthorized | Forbidden):
        code, title = 403, "Not allowed"
    elif isinstance(exc, HTTPException):
        code, title = exc.status_code, "Not allowed" if exc.status_code == 403 else "Error"
    else:
        log.exception("web page failed", exc_info=exc)
        code, title = 500, "Something went wrong"
    message = (
        str(exc.detail)
        if isinstance(exc, HTTPException)
        else (str(exc) if isinstance(exc, TocsinError) and not problems else "")
    )
    if code == 500:
        message = "Tocsin could not show this page; the error is in its log."
    return page(
        request,
        "error.html",
        who,
        title=title,
        message=message,
        problems=problems,
        status_code=code,
    )


class WebRoute(APIRoute):
    """A page route: a failure is an HTML page with the status it deserves."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            started = time.perf_counter()
            try:
                response = await handler(request)
            except Exception as exc:  # every failure gets a page (500s logged)
                response = await error_page(request, exc)
            # Browsers' developer tools (and bench/web.py) show how long the server took.
            elapsed = (time.perf_counter() - started) * 1000
            response.headers["Server-Timing"] = f"app;dur={elapsed:.1f}"
            return response

        return route


def web_router() -> APIRouter:
    """A router for pages (not in the OpenAPI document)."""
    return APIRouter(route_class=WebRoute, include_in_schema=False)
