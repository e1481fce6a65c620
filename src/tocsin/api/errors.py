"""Mapping Tocsin's exceptions to HTTP answers. A 4xx always names the field and the problem."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from tocsin.api.responses import error_body, json_response
from tocsin.config.validation import field_path
from tocsin.errors import (
    Conflict,
    FieldProblem,
    Forbidden,
    InputError,
    NotFound,
    PayloadTooLarge,
    TocsinError,
    Unauthorized,
    Unavailable,
)
from tocsin.services.rate_limits import RateLimited

__all__ = ["install_error_handlers", "response_for"]

#: FastAPI's refusal of a body it could not decode (not UTF-8, say).
_UNPARSED_BODY = "There was an error parsing the body"


def response_for(exc: TocsinError) -> Response | None:
    """The HTTP answer for one of Tocsin's errors; None for errors that are bugs (500)."""
    if isinstance(exc, PayloadTooLarge):
        return json_response(error_body(exc), 413)
    if isinstance(exc, InputError):
        return json_response(error_body(exc), 400)
    if isinstance(exc, Unauthorized):
        return json_response(
            {
                "message": "unauthorized: a valid token is required (an API token, or "
                "the integration's token where alerts are sent)",
                "errors": [],
            },
            401,
            headers={"WWW-Authenticate": 'Bearer realm="tocsin"'},
        )
    if isinstance(exc, Forbidden):
        return json_response({"message": f"forbidden: {exc}", "errors": []}, 403)
    if isinstance(exc, NotFound):
        return json_response({"message": str(exc), "errors": []}, 404)
    if isinstance(exc, Conflict):
        return json_response({"message": str(exc), "errors": []}, 409)
    if isinstance(exc, RateLimited):
        return rate_limited(exc)
    if isinstance(exc, Unavailable):
        return json_response({"message": str(exc), "errors": []}, 503)
    return None


def rate_limited(exc: RateLimited) -> Response:
    """429, with ``Retry-After`` (whole seconds) and the limit in the body."""
    limit = {
        "scope": exc.scope,
        "name": exc.name,
        "perMinute": exc.limit.per_minute,
        "burst": exc.limit.burst,
    }
    return json_response(
        {"message": str(exc), "errors": [], "limit": limit, "retryAfter": exc.retry_after},
        429,
        headers={"Retry-After": str(exc.retry_after)},
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(TocsinError)
    async def _tocsin(_: Request, exc: TocsinError) -> Response:
        response = response_for(exc)
        if response is None:
            raise exc
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> Response:
        problems = [FieldProblem(field_path(tuple(e["loc"])), e["msg"]) for e in exc.errors()]
        return json_response(error_body(InputError(problems)), 400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> Response:
        """Starlette's and FastAPI's own refusals (no such route, a body that is not JSON)
        in Tocsin's error body; the web UI's pages answer theirs themselves."""
        headers = dict(exc.headers) if exc.headers else None
        if exc.status_code in (204, 304):
            return Response(status_code=exc.status_code, headers=headers)
        if exc.status_code == 400 and exc.detail == _UNPARSED_BODY:
            problems = [FieldProblem("body", "is not JSON text in UTF-8")]
            return json_response(error_body(InputError(problems)), 400, headers=headers)
        body = {"message": str(exc.detail), "errors": []}
        return json_response(body, exc.status_code, headers=headers)
