"""The audit log: every change of configuration and state, newest first, a page at a time;
or all of it (within the filters) as JSON lines or CSV."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from tocsin.api.responses import json_response
from tocsin.api.runtime import runtime_of
from tocsin.services.audit import entry_json
from tocsin.web.downloads import audit_download

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["Audit log"])


# roles: admins only, by the access guard's rule for GET /api/audit (api/access.py).
@router.get(
    "/audit",
    summary="The audit log (newest first), or an export of it",
    responses={200: {"content": {"application/x-ndjson": {}, "text/csv": {}}}},
)
def audit(
    request: Request,
    actor: Annotated[str | None, Query(max_length=200, description="Exactly this actor")] = None,
    action: Annotated[
        str | None,
        Query(max_length=100, description="An action, or a prefix: incident, incident.ack..."),
    ] = None,
    object_kind: Annotated[str | None, Query(max_length=50)] = None,
    object_id: Annotated[str | None, Query(max_length=200)] = None,
    since: Annotated[
        str | None, Query(max_length=40, description="From this time (ISO 8601) on")
    ] = None,
    until: Annotated[str | None, Query(max_length=40, description="Before this time")] = None,
    cursor: Annotated[
        str | None, Query(max_length=20, description="The next_cursor of the page before")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    format: Annotated[
        Literal["jsonl", "csv"] | None,
        Query(description="Export every matching entry, oldest first (no paging)"),
    ] = None,
) -> Response:
    service = runtime_of(request).audit
    query = service.query(
        actor=actor,
        action=action,
        object_kind=object_kind,
        object_id=object_id,
        since=since,
        until=until,
    )
    if format is not None:
        return audit_download(service.export(query, format), format)
    found, following = service.entries(query, cursor=cursor, limit=limit)
    return json_response({"entries": [entry_json(e) for e in found], "next_cursor": following})
