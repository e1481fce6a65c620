"""The status page's public JSON, shaped exactly as Atlassian Statuspage's public API v2
(see ``tocsin.notify.status_json`` for the sources followed), under ``/status/api/v2``:

``summary.json``, ``status.json``, ``components.json``, ``incidents.json`` (the newest 50),
``incidents/unresolved.json``, ``scheduled-maintenances.json`` (the newest 50),
``scheduled-maintenances/upcoming.json`` (scheduled, the soonest first, as Statuspage
orders them) and ``.../active.json`` (in progress or verifying). No sign-in; any origin
may read them (``Access-Control-Allow-Origin: *``, as Statuspage answers), so a widget on
another site works.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from tocsin.api.responses import json_response
from tocsin.api.runtime import runtime_of
from tocsin.domain.status_page import MaintenanceStatus
from tocsin.notify.status_json import (
    components_json,
    incident_json,
    page_json,
    status_json,
)
from tocsin.services.status_page import StatusPageService
from tocsin.store.status_incidents import INCIDENT, MAINTENANCE

__all__ = ["router"]

router = APIRouter(prefix="/status/api/v2", tags=["Status page (public)"])
HEADERS = {"Access-Control-Allow-Origin": "*", "Cache-Control": "no-cache"}
#: How many incidents and maintenances the lists hold (Statuspage: the 50 newest).
LIMIT = 50


def _service(request: Request) -> StatusPageService:
    return runtime_of(request).status_page


def _answer(content: dict[str, Any]) -> Response:
    return json_response(content, headers=HEADERS)


@router.get("/summary.json", summary="Page, status, components, unresolved incidents, maintenances")
def summary(request: Request) -> Response:
    s = _service(request).snapshot()
    by_id = s.by_id
    return _answer(
        {
            "page": page_json(s.site),
            "components": components_json(s.site, s.groups, s.components),
            "incidents": [incident_json(s.site, i, by_id) for i in s.incidents],
            "scheduled_maintenances": [incident_json(s.site, m, by_id) for m in s.maintenances],
            "status": status_json(s.overall),
        }
    )


@router.get("/status.json", summary="The top-level status: indicator and description")
def status(request: Request) -> Response:
    s = _service(request).snapshot()
    return _answer({"page": page_json(s.site), "status": status_json(s.overall)})


@router.get("/components.json", summary="Every component and group")
def components(request: Request) -> Response:
    s = _service(request).snapshot()
    return _answer(
        {"page": page_json(s.site), "components": components_json(s.site, s.groups, s.components)}
    )


def _incidents(
    request: Request,
    kind: str,
    key: str,
    *,
    active: bool | None = None,
    statuses: list[str] | None = None,
    soonest_first: bool = False,
) -> Response:
    site, found, by_id = _service(request).listing(
        kind, active=active, limit=LIMIT, statuses=statuses, soonest_first=soonest_first
    )
    return _answer({"page": page_json(site), key: [incident_json(site, i, by_id) for i in found]})


@router.get("/incidents.json", summary="The newest 50 incidents")
def incidents(request: Request) -> Response:
    return _incidents(request, INCIDENT, "incidents")


@router.get("/incidents/unresolved.json", summary="Unresolved incidents")
def unresolved(request: Request) -> Response:
    return _incidents(request, INCIDENT, "incidents", active=True)


@router.get("/scheduled-maintenances.json", summary="The newest 50 scheduled maintenances")
def maintenances(request: Request) -> Response:
    return _incidents(request, MAINTENANCE, "scheduled_maintenances")


@router.get("/scheduled-maintenances/upcoming.json", summary="Maintenances still to start")
def upcoming(request: Request) -> Response:
    return _incidents(
        request,
        MAINTENANCE,
        "scheduled_maintenances",
        statuses=[MaintenanceStatus.SCHEDULED.value],
        soonest_first=True,
    )


@router.get("/scheduled-maintenances/active.json", summary="Maintenances in progress")
def active(request: Request) -> Response:
    return _incidents(
        request,
        MAINTENANCE,
        "scheduled_maintenances",
        statuses=[MaintenanceStatus.IN_PROGRESS.value, MaintenanceStatus.VERIFYING.value],
    )
