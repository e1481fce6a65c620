"""The intake fast path: fixed-path ingest POSTs skip the framework's routing.

Prometheus and Alertmanager post many small requests; FastAPI's routing, dependency
solving and middleware stack cost more per request than validating and storing the
alerts. This ASGI wrapper sends ``POST`` requests for a few fixed paths straight to
their handlers (the very functions the FastAPI routes call, so behaviour and OpenAPI
docs stay one), and everything else to FastAPI.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping

from fastapi import FastAPI, Request, Response
from starlette.types import Receive, Scope, Send

from tocsin.api.errors import response_for
from tocsin.errors import TocsinError
from tocsin.metrics import Metrics

__all__ = ["FastPath", "Handler"]

Handler = Callable[[Request], Awaitable[Response]]


class FastPath:
    def __init__(self, app: FastAPI, routes: Mapping[str, Handler], metrics: Metrics) -> None:
        self.app = app
        self.routes = dict(routes)
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = None
        if scope["type"] == "http" and scope["method"] == "POST":
            handler = self.routes.get(scope["path"])
        if handler is None:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        scope["app"] = self.app  # what Request.app (and so the runtime) is read from
        try:
            response = await handler(Request(scope, receive))
        except TocsinError as exc:
            answer = response_for(exc)
            if answer is None:
                raise
            response = answer
        await response(scope, receive, send)
        self.metrics.request_latency.labels(
            "POST", scope["path"], str(response.status_code)
        ).observe(time.perf_counter() - started)
