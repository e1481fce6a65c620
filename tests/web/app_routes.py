"""Every route of the application, as the router holds them (FastAPI keeps included routers
as nested entries: they are flattened here), so tests iterate the routes instead of listing
them by hand."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Route

PARAM = re.compile(r"{([^}:]+)(?::[^}]*)?}")


def fastapi_app(asgi: Any) -> Any:
    """The FastAPI app inside the ASGI wrappers ``create_app`` returns."""
    while not isinstance(asgi, FastAPI):
        asgi = asgi.app
    return asgi


def _flat(routes: Iterable[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for route in routes:
        if hasattr(route, "original_router"):
            yield from _flat(route.original_router.routes, prefix + route.include_context.prefix)
        else:
            yield prefix + getattr(route, "path", ""), route


def api_routes(asgi: Any) -> list[tuple[str, str, Any]]:
    """(method, path, route) for every endpoint (FastAPI's, and plain ones such as the API
    docs), HEAD left out."""
    found = []
    for path, route in _flat(fastapi_app(asgi).routes):
        if isinstance(route, APIRoute | Route) and route.methods:
            for method in sorted(route.methods - {"HEAD"}):
                found.append((method, path, route))
    return found


def params(path: str) -> list[str]:
    return PARAM.findall(path)


def filled(path: str, values: dict[str, str], default: str | None = "1") -> str | None:
    """``path`` with each ``{param}`` replaced by its value (``default`` when not given);
    None when a param has no value and no default."""
    out = path
    for name in params(path):
        value = values.get(name, default)
        if value is None:
            return None
        out = PARAM.sub(value, out, count=1)
    return out
