"""Pages: action items. ``/actions`` lists the items that are not closed, per team, the
overdue ones first; an incident's page adds items (``/action-items/new``, the incident in
the form) and changes their status (``/action-items/{id}/status``), as the signed-in
person."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from tocsin.errors import InputError, NotFound
from tocsin.services.action_items import TeamActions
from tocsin.web.incident_page import checked_id, refused
from tocsin.web.render import page
from tocsin.web.routing import RowId, web_router
from tocsin.web.session import Acting, Viewer, acting, runtime_of, viewing

__all__ = ["router"]

router = web_router()


def _local(path: str, fallback: str) -> str:
    """Where to go back to: a path of this site, never another site's address."""
    if path.startswith("/") and not path.startswith("//") and "\\" not in path:
        return path
    return fallback


@router.get("/actions")
async def actions(
    request: Request,
    viewer: Annotated[Viewer, Depends(viewing)],
    overdue: bool = False,
) -> Response:
    runtime = runtime_of(request)
    teams: list[TeamActions] = await run_in_threadpool(
        lambda: runtime.action_items.by_team(overdue_only=overdue)
    )
    return page(
        request,
        "actions/list.html",
        viewer,
        title="Action items",
        teams=teams,
        overdue_only=overdue,
        overdue_count=len({v.item.id for t in teams for v in t.overdue}),
        open_count=len({v.item.id for t in teams for v in [*t.overdue, *t.open]}),
    )


@router.post("/action-items/new")
async def add(request: Request, form: Annotated[Acting, Depends(acting)]) -> Response:
    number = form.text("incident")
    incident_id = checked_id(int(number)) if number.isdigit() and len(number) < 20 else 0
    if not incident_id:
        raise NotFound(f"no incident {number!r}")
    runtime = runtime_of(request)
    try:
        await run_in_threadpool(
            lambda: runtime.action_items.create(
                incident_id,
                title=form.text("title"),
                owner=form.text("owner"),
                actor=form.viewer.user_id,
                due=form.text("due") or None,
                ticket_url=form.text("ticket_url") or None,
            )
        )
    except InputError as exc:
        return await refused(request, form, incident_id, "action-item", exc)
    return RedirectResponse(f"/incidents/{incident_id}#incident-actions", 303)


@router.post("/action-items/{item_id}/status")
async def set_status(
    request: Request, item_id: RowId, form: Annotated[Acting, Depends(acting)]
) -> Response:
    runtime = runtime_of(request)
    view = await run_in_threadpool(
        lambda: runtime.action_items.update(
            item_id, actor=form.viewer.user_id, status=form.text("status")
        )
    )
    back = _local(form.text("next"), f"/incidents/{view.item.incident_id}")
    return RedirectResponse(back, 303)
