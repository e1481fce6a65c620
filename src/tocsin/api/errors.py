"""Mapping Tocsin's exceptions to HTTP answers. A 4xx always names the field and the problem."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError

from tocsin.api.responses import error_body, json_response
from tocsin.errors import (
    Conflict,
    FieldProblem,
    InputError,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
)
from tocsin.integrations.json_input import field_path

__all__ = ["install_error_handlers"]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(PayloadTooLarge)
    async def _too_large(_: Request, exc: PayloadTooLarge) -> Response:
        return json_response(error_body(exc), 413)

    @app.exception_handler(InputError)
    async def _input(_: Request, exc: InputError) -> Response:
        return json_response(error_body(exc), 400)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> Response:
        problems = [FieldProblem(field_path(tuple(e["loc"])), e["msg"]) for e in exc.errors()]
        return json_response(error_body(InputError(problems)), 400)

    @app.exception_handler(Unauthorized)
    async def _unauthorized(_: Request, exc: Unauthorized) -> Response:
        return json_response(
            {"message": "unauthorized: a valid integration token is required", "errors": []},
            401,
            headers={"WWW-Authenticate": 'Bearer realm="tocsin"'},
        )

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> Response:
        return json_response({"message": str(exc), "errors": []}, 404)

    @app.exception_handler(Conflict)
    async def _conflict(_: Request, exc: Conflict) -> Response:
        return json_response({"message": str(exc), "errors": []}, 409)
