"""Action items: add one to an incident, list them (by incident, owner, team, status,
overdue), look at and change one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import pydantic
from fastapi import APIRouter, Path, Query, Request, Response

from tocsin.api.access import acting
from tocsin.api.incidents import MAX_ID, IncidentId
from tocsin.api.responses import json_response
from tocsin.api.runtime import runtime_of
from tocsin.api.schedules import iso, iso_or_none
from tocsin.domain.action_items import on_time
from tocsin.errors import FieldProblem, InputError
from tocsin.services.action_items import KEEP, ActionItemService, ItemView

__all__ = ["item_json", "router"]

router = APIRouter(prefix="/api", tags=["Action items"])

ItemId = Annotated[int, Path(ge=1, le=MAX_ID, description="The action item's number")]
#: The service's field names as this API spells them.
_FIELDS = {"ticket_url": "ticketUrl"}


def item_json(v: ItemView) -> dict[str, Any]:
    i = v.item
    return {
        "id": i.id,
        "incidentId": i.incident_id,
        "incidentTitle": v.incident_title,
        "postmortemId": i.postmortem_id,
        "title": i.title,
        "owner": i.owner,
        # The due date as the owner reads it, and the instant it ends in their time zone.
        "due": v.due_date.isoformat() if v.due_date else None,
        "dueAt": iso_or_none(i.due_at),
        "status": i.status.value,
        "ticketUrl": i.ticket_url,
        "teams": list(v.teams),
        "overdue": v.overdue,
        # Done, and by its due date (null: not done).
        "onTime": on_time(i),
        "createdAt": iso(i.created_at),
        "createdBy": i.created_by,
        "updatedAt": iso(i.updated_at),
        "closedAt": iso_or_none(i.closed_at),
    }


def _service(request: Request) -> ActionItemService:
    return runtime_of(request).action_items


@contextmanager
def _api_fields() -> Iterator[None]:
    """Problems named by this API's field names (``ticketUrl``)."""
    try:
        yield
    except InputError as exc:
        raise InputError(
            [FieldProblem(_FIELDS.get(p.field, p.field), p.problem) for p in exc.problems]
        ) from None


class _Body(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", populate_by_name=False)

    user: str | None = pydantic.Field(
        default=None, description="The person acting (a user id from the configuration)"
    )


class NewItem(_Body):
    title: str = pydantic.Field(min_length=1, max_length=500)
    owner: str = pydantic.Field(min_length=1, max_length=100, description="A user id")
    due: str | None = pydantic.Field(default=None, description="The due date, YYYY-MM-DD")
    ticket_url: str | None = pydantic.Field(
        default=None, alias="ticketUrl", description="An http(s) link to a ticket"
    )


class ItemChange(_Body):
    """Only the fields given change; ``due`` or ``ticketUrl`` null clears it."""

    title: str | None = pydantic.Field(default=None, min_length=1, max_length=500)
    owner: str | None = pydantic.Field(default=None, min_length=1, max_length=100)
    due: str | None = None
    status: str | None = pydantic.Field(
        default=None, description="open, in_progress, done or wont_do"
    )
    ticket_url: str | None = pydantic.Field(default=None, alias="ticketUrl")


@router.post(
    "/incidents/{incident_id}/action-items",
    summary="Add an action item to an incident (and its postmortem, if it has one)",
    status_code=201,
)
def add_item(request: Request, incident_id: IncidentId, body: NewItem) -> Response:
    svc = _service(request)
    with _api_fields():
        view = svc.create(
            incident_id,
            title=body.title,
            owner=body.owner,
            actor=acting(request, body.user),
            due=body.due,
            ticket_url=body.ticket_url,
        )
    return json_response(item_json(view), 201)


@router.get("/action-items", summary="Action items, the soonest due first, with filters")
def list_items(
    request: Request,
    owner: str | None = None,
    team: Annotated[
        str | None, Query(description="Items its members own (see docs/action-items.md)")
    ] = None,
    status: Annotated[list[str] | None, Query()] = None,
    overdue: Annotated[bool, Query(description="Only those not closed and past due")] = False,
    incident: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> Response:
    found = _service(request).items(
        incident_id=incident,
        owner=owner,
        team=team,
        statuses=status or (),
        overdue=overdue,
        limit=limit,
    )
    return json_response([item_json(v) for v in found])


@router.get("/action-items/{item_id}", summary="An action item")
def get_item(request: Request, item_id: ItemId) -> Response:
    return json_response(item_json(_service(request).get(item_id)))


@router.patch("/action-items/{item_id}", summary="Change an action item's fields or status")
def change_item(request: Request, item_id: ItemId, body: ItemChange) -> Response:
    svc = _service(request)
    given = body.model_fields_set
    for name in ("title", "owner", "status"):
        if name in given and getattr(body, name) is None:
            raise InputError(FieldProblem(name, "cannot be null"))
    with _api_fields():
        view = svc.update(
            item_id,
            actor=acting(request, body.user),
            title=body.title if body.title is not None else KEEP,
            owner=body.owner if body.owner is not None else KEEP,
            due=body.due if "due" in given else KEEP,
            status=body.status if body.status is not None else KEEP,
            ticket_url=body.ticket_url if "ticket_url" in given else KEEP,
        )
    return json_response(item_json(view))
