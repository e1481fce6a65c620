"""Pages: the audit log, for admins (others get 403). Filters, a page at a time newest
first, and the same entries exported as CSV or JSON lines (docs/security.md)."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import Depends, HTTPException, Query, Request
from fastapi.responses import Response

from tocsin.services.audit import AuditService
from tocsin.store.audit import Query as Filters
from tocsin.web.downloads import audit_download
from tocsin.web.render import page
from tocsin.web.routing import web_router
from tocsin.web.session import Viewer, runtime_of, viewing

__all__ = ["router"]

router = web_router()

Text = Annotated[str, Query(max_length=200)]
Time = Annotated[str, Query(max_length=40)]


def _admin(viewer: Viewer) -> None:
    # roles: the audit log is for admins only.
    if not viewer.admin:
        raise HTTPException(403, "only admins can read the audit log")


def _filters(
    actor: str, action: str, kind: str, object_id: str, since: str, until: str
) -> tuple[Filters, dict[str, str]]:
    typed = {
        "actor": actor,
        "action": action,
        "kind": kind,
        "object": object_id,
        "since": since,
        "until": until,
    }
    query = AuditService.query(
        actor=actor,
        action=action,
        object_kind=kind,
        object_id=object_id,
        since=since,
        until=until,
    )
    return query, {k: v for k, v in typed.items() if v}


@router.get("/audit")
def audit_page(
    request: Request,
    viewer: Annotated[Viewer, Depends(viewing)],
    actor: Text = "",
    action: Text = "",
    kind: Text = "",
    object: Text = "",
    since: Time = "",
    until: Time = "",
    cursor: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    _admin(viewer)
    query, typed = _filters(actor, action, kind, object, since, until)
    found, following = runtime_of(request).audit.entries(query, cursor=cursor or None, limit=100)
    return page(
        request,
        "audit/audit.html",
        viewer,
        title="Audit log",
        entries=found,
        f={**{k: "" for k in ("actor", "action", "kind", "object", "since", "until")}, **typed},
        filtered=bool(typed),
        older=f"/audit?{urlencode({**typed, 'cursor': following})}" if following else None,
        export_csv=f"/audit/export?{urlencode({**typed, 'format': 'csv'})}",
        export_jsonl=f"/audit/export?{urlencode({**typed, 'format': 'jsonl'})}",
    )


@router.get("/audit/export")
def audit_export(
    request: Request,
    viewer: Annotated[Viewer, Depends(viewing)],
    format: Literal["csv", "jsonl"] = "csv",
    actor: Text = "",
    action: Text = "",
    kind: Text = "",
    object: Text = "",
    since: Time = "",
    until: Time = "",
) -> Response:
    _admin(viewer)
    query, _ = _filters(actor, action, kind, object, since, until)
    return audit_download(runtime_of(request).audit.export(query, format), format)
