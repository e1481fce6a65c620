"""Input holding a NUL character is refused (400, naming the field): PostgreSQL's text
cannot hold one, so a filter, a lookup or a row with it would fail in the database as a
server error. Checked here for query and path parameters and for the bodies FastAPI reads
(JSON and forms); endpoints reading their body by hand (the ingest APIs) check their own
fields as they parse them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import Request
from fastapi.routing import APIRoute

from tocsin.config.validation import field_path
from tocsin.errors import FieldProblem, InputError

__all__ = ["refuse_nul"]

_PROBLEM = "must not contain NUL characters"


async def refuse_nul(request: Request) -> None:
    """The app's dependency (api/app.py): every route, API and web pages alike."""
    names = [
        f"query.{name}"
        for name, value in request.query_params.multi_items()
        if "\x00" in name + value
    ]
    names += [
        f"path.{name}"
        for name, value in request.path_params.items()
        if isinstance(value, str) and "\x00" in value
    ]
    names += [field_path(loc) for loc in _in_body(await _parsed_body(request))]
    if names:
        unique = dict.fromkeys(n.replace("\x00", "\\0") for n in names)
        raise InputError([FieldProblem(name, _PROBLEM) for name in unique])


async def _parsed_body(request: Request) -> Any:
    """The body FastAPI has read for the route's body parameters (cached, so not read or
    parsed twice); None where the route reads its own or it is neither JSON nor a form."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or route.body_field is None:
        return None
    # As FastAPI reads it: any case, and JSON when no type is given at all.
    kind = request.headers.get("content-type", "").lower()
    try:
        if "json" in kind or not kind.strip():
            return await request.json()
        if kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            return {k: v for k, v in (await request.form()).multi_items() if isinstance(v, str)}
    except ValueError:
        return None  # FastAPI answers the body that is not JSON itself
    return None


def _in_body(node: Any, loc: tuple[int | str, ...] = ("body",)) -> Iterator[tuple[int | str, ...]]:
    """Where ``node`` holds a NUL, in a key or a string."""
    if isinstance(node, str):
        if "\x00" in node:
            yield loc
    elif isinstance(node, dict):
        for key, value in node.items():
            if "\x00" in str(key):
                yield loc
            yield from _in_body(value, (*loc, str(key)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _in_body(value, (*loc, i))
