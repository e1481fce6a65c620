"""Mapping Tocsin's exceptions to HTTP answers. A 4xx always names the field and the problem."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError

from tocsin.api.responses import error_body, json_response
from tocsin.config.validation import field_path
from tocsin.errors import (
    Conflict,
    FieldProblem,
    InputError,
    NotFound,
    PayloadTooLarge,
    TocsinError,
    Unauthorized,
    Unavailable,
)

__all__ = ["install_error_handlers", "response_for"]


def response_for(exc: TocsinError) -> Response | None:
    """The HTTP answer for one of Tocsin's errors; None for errors that are bugs (500)."""
    if isinstance(exc, PayloadTooLarge):
        return json_response(error_body(exc), 413)
    if isinstance(exc, InputError):
        return json_response(error_body(exc), 400)
    if isinstance(exc, Unauthorized):
        return json_response(
            {"message": "unauthorized: a valid integration token is required", "errors": []},
            401,
            headers={"WWW-Authenticate": 'Bearer realm="tocsin"'},
        )
    if isinstance(exc, NotFound):
        return json_response({"message": str(exc), "errors": []}, 404)
    if isinstance(exc, Conflict):
        return json_response({"message": str(exc), "errors": []}, 409)
    if isinstance(exc, Unavailable):
        return json_response({"message": str(exc), "errors": []}, 503)
    return None


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
