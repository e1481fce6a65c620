"""The web UI mounted on the application: its pages and its static files."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from tocsin.web import (
    action_items,
    alerts,
    audit,
    deliveries,
    drills,
    heartbeats,
    home,
    incidents,
    integrations,
    live,
    oidc,
    oncall,
    oncall_health,
    people,
    postmortems,
    remediation,
    reports,
    runbooks,
    sign_in,
    slos,
    status_page,
    status_page_feed,
    status_page_subscribe,
    tokens,
)

__all__ = ["mount"]

STATIC = Path(__file__).parent / "static"


def mount(app: FastAPI) -> None:
    for module in (
        sign_in,
        oidc,
        home,
        live,
        incidents,
        alerts,
        oncall,
        oncall_health,
        integrations,
        heartbeats,
        deliveries,
        people,
        postmortems,
        runbooks,
        slos,
        reports,
        drills,
        action_items,
        audit,
        remediation,
        status_page,
        status_page_feed,
        status_page_subscribe,
        tokens,
    ):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
