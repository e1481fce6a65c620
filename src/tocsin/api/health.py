"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from tocsin.api.responses import json_response
from tocsin.api.runtime import runtime_of
from tocsin.errors import ConfigError
from tocsin.store import migrate

__all__ = ["router"]

router = APIRouter(tags=["Operations"])


@router.get("/healthz", summary="The process is up")
async def healthz() -> Response:
    return json_response({"status": "ok"})


@router.get(
    "/readyz",
    summary="The database is reachable and its schema is current",
    responses={503: {"description": "Not ready: the database, or its migrations"}},
)
def readyz(request: Request) -> Response:
    runtime = runtime_of(request)
    try:
        with runtime.db.read() as conn:
            conn.execute(text("SELECT 1"))
            current = migrate.current_revision(conn)
    except Exception as exc:  # any database failure means "not ready"
        return json_response({"status": "unavailable", "database": str(exc)[:200]}, 503)
    head = migrate.head_revision()
    if current != head and (current is None or current in migrate.known_revisions()):
        return json_response(
            {"status": "unavailable", "migrations": f"at {current}, expected {head}"}, 503
        )
    answer = {"status": "ok", "database": "reachable", "migration": current}
    if current != head:
        # A newer node migrated the schema during a rolling upgrade: this one still serves
        # (a release's migrations only add, docs/cluster.md#upgrades) until it is upgraded.
        answer["warning"] = (
            f"the schema is at {current}, newer than this node knows ({head}): upgrade it"
        )
    return json_response(answer)


@router.post(
    "/-/reload",
    summary="Reload the configuration file (as Alertmanager's)",
    # By design, as Alertmanager: a configuration that does not load is a 500.
    responses={500: {"description": "The configuration did not load; the last good one runs"}},
)
def reload(request: Request) -> Response:
    try:
        routing = runtime_of(request).reload()
    except ConfigError as exc:
        # As Alertmanager: a 500, and the last good configuration keeps running.
        problems = str(exc).splitlines()
        message = f"failed to reload config: {problems[0]}"
        return json_response({"message": message, "errors": problems}, 500)
    return json_response({"status": "success", "receivers": len(routing.receivers)})


@router.get("/metrics", summary="Prometheus metrics", response_class=PlainTextResponse)
async def metrics(request: Request) -> Response:
    registry = runtime_of(request).metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
