"""Pages: API tokens (``/tokens``). Everyone keeps their own personal tokens (made here,
shown once, revoked here); admins also see and make service tokens, and team managers make
service tokens for their teams (docs/security.md, "API tokens")."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from tocsin.domain.access import Need, Scope
from tocsin.errors import InputError
from tocsin.services.api_tokens import lifetime_of
from tocsin.web.render import page
from tocsin.web.routing import RowId, web_router
from tocsin.web.session import Acting, Viewer, acting, runtime_of, viewing

__all__ = ["router"]

router = web_router()


def _page(
    request: Request,
    viewer: Viewer,
    *,
    made: tuple[str, str] | None = None,
    typed: dict[str, str] | None = None,
    problems: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    runtime = runtime_of(request)
    service = runtime.api_tokens
    every = viewer.may(Need.ADMIN)
    rows = service.visible_to(viewer.principal)
    config = runtime.current()
    teams = sorted(config.teams) if config else []
    service_teams = [t for t in teams if viewer.may(Need.MANAGE, t)]
    return page(
        request,
        "tokens/tokens.html",
        viewer,
        title="API tokens",
        rows=rows,
        every=every,
        made=made,
        typed=typed or {"kind": "personal", "scope": "read", "expires": "90d"},
        problems=problems or {},
        scopes=[s.value for s in Scope],
        teams=teams,
        service_teams=service_teams,
        may_service=every or bool(service_teams),
        status_code=status_code,
    )


@router.get("/tokens")
def tokens_page(request: Request, viewer: Annotated[Viewer, Depends(viewing)]) -> Response:
    return _page(request, viewer)


@router.post("/tokens")
async def create_token(request: Request, form: Annotated[Acting, Depends(acting)]) -> Response:
    names = ("name", "kind", "scope", "team", "expires")
    typed = {name: form.text(name) for name in names}
    viewer = form.viewer
    try:
        row, token = await run_in_threadpool(
            lambda: runtime_of(request).api_tokens.issue(
                viewer.principal,
                kind=typed["kind"] or "personal",
                name=typed["name"],
                scope=typed["scope"] or "read",
                team=typed["team"] or None,
                lifetime=lifetime_of(typed["expires"] or None),
            )
        )
    except InputError as exc:
        problems = {p.field or "name": p.problem for p in exc.problems}
        return _page(request, viewer, typed=typed, problems=problems, status_code=400)
    # The token is rendered into this answer, never put in a URL (browser history).
    return _page(request, viewer, made=(row.name, token))


@router.post("/tokens/{token_id}/revoke")
async def revoke_token(
    request: Request, token_id: RowId, form: Annotated[Acting, Depends(acting)]
) -> Response:
    service = runtime_of(request).api_tokens
    await run_in_threadpool(service.revoke, token_id, form.viewer.principal)
    return RedirectResponse("/tokens", 303)
