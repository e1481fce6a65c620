"""The FastAPI application."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from starlette.types import ASGIApp

from tocsin import __version__
from tocsin.api import (
    action_items,
    alertmanager,
    audit,
    cluster,
    drills,
    health,
    heartbeats,
    ical,
    incident_comms,
    incidents,
    notifications,
    oncall_health,
    opsgenie,
    page_actions,
    pagerduty,
    people,
    postmortems,
    remediation,
    reports,
    runbooks,
    schedules,
    silences,
    slack,
    slos,
    status_page,
    status_page_public,
    tokens,
    webhooks,
)
from tocsin.api.access import guard
from tocsin.api.errors import install_error_handlers
from tocsin.api.fast_path import FastPath
from tocsin.api.nul_characters import refuse_nul
from tocsin.api.openapi import document_errors
from tocsin.api.request_origin import RequestOrigin
from tocsin.api.timing import LatencyMiddleware
from tocsin.services.runtime import Runtime
from tocsin.web import site as web
from tocsin.web.security_headers import SecurityHeaders

__all__ = ["create_app"]

DESCRIPTION = """
Tocsin takes a team from the first alert to a fixed system and a lesson learned.

Alerts come in through **integrations**, each with its own token: the Alertmanager API v2
(point Prometheus here), an Alertmanager webhook receiver, PagerDuty Events API v2, the
Opsgenie Alert API, and generic JSON webhooks. A 2xx answer means the alert is durably stored.
"""


def create_app(runtime: Runtime, *, manage_runtime: bool = True) -> ASGIApp:
    """Build the app around ``runtime``; it is started and stopped with the app's lifespan
    unless ``manage_runtime`` is False (the caller runs it)."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if manage_runtime:
            runtime.start()
            # What start-up made (modules, the configuration, templates) lives as long as the
            # process: out of the collector's way, full collections stay short (they were
            # the 200-300 ms stalls on pages, bench/web.py).
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            if manage_runtime:
                runtime.stop()

    app = FastAPI(
        title="Tocsin",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        dependencies=[Depends(guard), Depends(refuse_nul)],
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    document_errors(app)
    for module in (
        alertmanager,
        audit,
        cluster,
        silences,
        notifications,
        schedules,
        oncall_health,
        incidents,
        action_items,
        incident_comms,
        postmortems,
        drills,
        remediation,
        heartbeats,
        runbooks,
        people,
        page_actions,
        slack,
        slos,
        reports,
        ical,
        pagerduty,
        opsgenie,
        webhooks,
        status_page,
        status_page_public,
        tokens,
        health,
    ):
        app.include_router(module.router)
    web.mount(app)
    app.add_middleware(LatencyMiddleware, metrics=runtime.metrics)
    https = runtime.settings.public_url.startswith("https://")
    return SecurityHeaders(
        RequestOrigin(
            FastPath(
                app,
                {
                    "/api/v2/alerts": alertmanager.post_alerts,
                    "/v2/enqueue": pagerduty.enqueue,
                    "/integrations/alertmanager": webhooks.alertmanager_webhook,
                },
                runtime.metrics,
            )
        ),
        https=https,
    )
