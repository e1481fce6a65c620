"""Pages: heartbeat monitors (``/heartbeats``), their state, last ping and deadline; for
admins, each one's token with its ping URL, a crontab line and an Alertmanager Watchdog
receiver ready to paste, and a button to rotate the token (docs/heartbeats.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.responses import Response

from tocsin.domain.heartbeat_setup import HeartbeatSetup, setup
from tocsin.services.heartbeats import HeartbeatView
from tocsin.web.render import page
from tocsin.web.routing import web_router
from tocsin.web.session import Acting, Viewer, acting, runtime_of, viewing

__all__ = ["router"]

router = web_router()


@dataclass(frozen=True)
class Row:
    view: HeartbeatView
    #: With the token for admins, ``<token>`` for others.
    setup: HeartbeatSetup
    token: str | None


def _rows(request: Request, viewer: Viewer) -> list[Row]:
    runtime = runtime_of(request)
    service, base = runtime.heartbeats, runtime.settings.public_url
    tokens = service.tokens() if viewer.admin else {}
    rows = []
    for view in service.list():
        token = tokens.get(view.spec.name)
        made = setup(view.spec, base, token) if token is not None else setup(view.spec, base)
        rows.append(Row(view, made, token))
    return rows


def _page(request: Request, viewer: Viewer, rotated: str | None = None) -> Response:
    return page(
        request,
        "heartbeats/list.html",
        viewer,
        title="Heartbeats",
        rows=_rows(request, viewer),
        rotated=rotated,
    )


@router.get("/heartbeats")
def heartbeats_page(request: Request, viewer: Annotated[Viewer, Depends(viewing)]) -> Response:
    return _page(request, viewer)


@router.post("/heartbeats/{name}/rotate")
def rotate_token(request: Request, name: str, form: Annotated[Acting, Depends(acting)]) -> Response:
    if not form.viewer.admin:
        raise HTTPException(403, "only admins can rotate heartbeat tokens")
    runtime_of(request).heartbeats.token(name, rotate=True)
    return _page(request, form.viewer, name)
