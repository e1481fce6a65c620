"""The status page's administration: components and groups, public incidents and their
updates, scheduled maintenance, subscribers. Every route takes the same token as the other
``/api`` routes (any Alertmanager-kind integration's). A 2xx means the change is committed;
a 4xx names the field and the problem."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import pydantic
from fastapi import APIRouter, Path, Query, Request, Response

from tocsin.api.access import acting
from tocsin.api.responses import json_response
from tocsin.api.runtime import runtime_of
from tocsin.api.schedules import instant
from tocsin.errors import FieldProblem, InputError
from tocsin.services.status_page import StatusPageService
from tocsin.services.status_subscriptions import SubscriptionService
from tocsin.store.status_incidents import PublicIncident
from tocsin.store.status_page import Component, Group, Page
from tocsin.store.status_subscribers import Notification, Subscriber

__all__ = ["router"]

# The token is checked before the body is read: without one, a request learns nothing.
router = APIRouter(prefix="/api/status-page", tags=["Status page"])

MAX_ID = 2**53
ItemId = Annotated[int, Path(ge=1, le=MAX_ID)]
#: A component's id in a body: bounded as ids in paths are (the databases hold 64 bits).
ComponentId = Annotated[int, pydantic.Field(ge=1, le=MAX_ID)]
ComponentStatusName = Literal[
    "operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"
]


def _iso(t: datetime | None) -> str | None:
    return t.isoformat() if t is not None else None


def _service(request: Request) -> StatusPageService:
    return runtime_of(request).status_page


def _subscriptions(request: Request) -> SubscriptionService:
    return runtime_of(request).subscriptions


def page_json(p: Page) -> dict[str, Any]:
    return {
        "id": p.page_id,
        "name": p.name,
        "timeZone": p.time_zone,
        "updatedAt": _iso(p.updated_at),
    }


def group_json(g: Group) -> dict[str, Any]:
    return {
        "id": g.id,
        "name": g.name,
        "description": g.description,
        "position": g.position,
        "createdAt": _iso(g.created_at),
        "updatedAt": _iso(g.updated_at),
    }


def component_json(c: Component) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "description": c.description,
        "groupId": c.group_id,
        "position": c.position,
        "status": c.status.value,
        "onlyShowIfDegraded": c.only_show_if_degraded,
        "showcase": c.showcase,
        "createdAt": _iso(c.created_at),
        "updatedAt": _iso(c.updated_at),
    }


def public_json(i: PublicIncident) -> dict[str, Any]:
    return {
        "id": i.id,
        "kind": i.kind,
        "incidentId": i.incident_id,
        "name": i.name,
        "status": i.status,
        "impact": i.impact,
        "componentIds": list(i.components),
        "createdAt": _iso(i.created_at),
        "updatedAt": _iso(i.updated_at),
        "startedAt": _iso(i.started_at),
        "monitoringAt": _iso(i.monitoring_at),
        "resolvedAt": _iso(i.resolved_at),
        "scheduledFor": _iso(i.scheduled_for),
        "scheduledUntil": _iso(i.scheduled_until),
        "autoStart": i.auto_start,
        "autoComplete": i.auto_complete,
        "createdBy": i.created_by,
        "updates": [
            {
                "id": u.id,
                "status": u.status,
                "body": u.body,
                "createdAt": _iso(u.created_at),
                "createdBy": u.created_by,
                "affectedComponents": [dict(a) for a in u.affected_components],
            }
            for u in i.updates
        ],
    }


def subscriber_json(s: Subscriber) -> dict[str, Any]:
    return {
        "id": s.id,
        "mode": s.mode,
        "address": s.address,
        "createdAt": _iso(s.created_at),
        "confirmedAt": _iso(s.confirmed_at),
        "active": s.active,
    }


def notification_json(n: Notification) -> dict[str, Any]:
    return {
        "id": n.id,
        "subscriberId": n.subscriber_id,
        "kind": n.kind,
        "mode": n.mode,
        "address": n.address,
        "subject": n.subject,
        "status": n.status,
        "attempts": n.attempts,
        "lastError": n.last_error,
        "createdAt": _iso(n.created_at),
        "sentAt": _iso(n.sent_at),
    }


class _Body(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")


class PageChange(_Body):
    name: str | None = pydantic.Field(default=None, max_length=200)
    time_zone: str | None = pydantic.Field(default=None, description="e.g. Europe/Berlin")


class GroupIn(_Body):
    name: str = pydantic.Field(min_length=1, max_length=200)
    description: str | None = pydantic.Field(default=None, max_length=2000)
    position: int | None = pydantic.Field(default=None, ge=0, le=1_000_000)


class GroupChange(_Body):
    name: str | None = pydantic.Field(default=None, min_length=1, max_length=200)
    description: str | None = pydantic.Field(default=None, max_length=2000)
    position: int | None = pydantic.Field(default=None, ge=0, le=1_000_000)


class ComponentIn(_Body):
    name: str = pydantic.Field(min_length=1, max_length=200)
    description: str | None = pydantic.Field(default=None, max_length=2000)
    group_id: int | None = pydantic.Field(default=None, ge=1, le=MAX_ID)
    position: int | None = pydantic.Field(default=None, ge=0, le=1_000_000)
    status: ComponentStatusName = "operational"
    only_show_if_degraded: bool = False
    showcase: bool = pydantic.Field(default=True, description="Show its 90-day uptime bars")


class ComponentChange(_Body):
    name: str | None = pydantic.Field(default=None, min_length=1, max_length=200)
    description: str | None = pydantic.Field(default=None, max_length=2000)
    group_id: int | None = pydantic.Field(default=None, ge=1, le=MAX_ID)
    position: int | None = pydantic.Field(default=None, ge=0, le=1_000_000)
    status: ComponentStatusName | None = None
    only_show_if_degraded: bool | None = None
    showcase: bool | None = None


class StatusChange(_Body):
    status: ComponentStatusName


class Actor(_Body):
    user: str | None = pydantic.Field(default=None, max_length=200, description="Who acts")

    def who(self, request: Request) -> str:
        return acting(request, self.user)


class IncidentIn(Actor):
    name: str = pydantic.Field(min_length=1, max_length=500)
    status: Literal["investigating", "identified", "monitoring", "resolved"] = "investigating"
    body: str = pydantic.Field(min_length=1, max_length=20_000)
    impact: Literal["none", "minor", "major", "critical"] | None = None
    components: dict[ComponentId, ComponentStatusName] = pydantic.Field(
        default_factory=dict, description="Component id -> the status this sets"
    )
    incident_id: int | None = pydantic.Field(
        default=None, ge=1, le=MAX_ID, description="The internal incident it is about"
    )


class UpdateIn(Actor):
    status: str = pydantic.Field(description="An incident's or a maintenance's next status")
    body: str = pydantic.Field(min_length=1, max_length=20_000)
    impact: Literal["none", "minor", "major", "critical"] | None = None
    components: dict[ComponentId, ComponentStatusName] = pydantic.Field(default_factory=dict)


class NameChange(_Body):
    name: str = pydantic.Field(min_length=1, max_length=500)


class MaintenanceIn(Actor):
    name: str = pydantic.Field(min_length=1, max_length=500)
    body: str = pydantic.Field(min_length=1, max_length=20_000)
    scheduled_for: str = pydantic.Field(description="ISO 8601 with an offset")
    scheduled_until: str = pydantic.Field(description="ISO 8601 with an offset")
    component_ids: list[ComponentId] = pydantic.Field(default_factory=list)
    auto_start: bool = True
    auto_complete: bool = True


class MaintenanceChange(_Body):
    name: str | None = pydantic.Field(default=None, min_length=1, max_length=500)
    scheduled_for: str | None = None
    scheduled_until: str | None = None
    auto_start: bool | None = None
    auto_complete: bool | None = None


class SubscriberIn(_Body):
    email: str | None = pydantic.Field(default=None, max_length=320)
    endpoint: str | None = pydantic.Field(default=None, max_length=2000, description="Webhook")


# --- the page ---------------------------------------------------------------------------------


@router.get("", summary="The status page's name, time zone and id")
def get_page(request: Request) -> Response:
    return json_response(page_json(_service(request).page()))


@router.patch("", summary="Rename the page or change its time zone")
def change_page(request: Request, body: PageChange) -> Response:
    page = _service(request).set_page(name=body.name, time_zone=body.time_zone)
    return json_response(page_json(page))


# --- groups -----------------------------------------------------------------------------------


@router.get("/groups", summary="Component groups")
def list_groups(request: Request) -> Response:
    return json_response([group_json(g) for g in _service(request).groups()])


@router.post("/groups", summary="Create a component group", status_code=201)
def create_group(request: Request, body: GroupIn) -> Response:
    g = _service(request).create_group(
        body.name, description=body.description, position=body.position
    )
    return json_response(group_json(g), 201)


@router.patch("/groups/{group_id}", summary="Change a component group")
def change_group(request: Request, group_id: ItemId, body: GroupChange) -> Response:
    fields = {
        k: v
        for k, v in body.model_dump(exclude_unset=True).items()
        if v is not None or k == "description"
    }
    g = _service(request).update_group(group_id, **fields)
    return json_response(group_json(g))


@router.delete(
    "/groups/{group_id}", summary="Delete a group (its components stay)", status_code=204
)
def delete_group(request: Request, group_id: ItemId) -> Response:
    _service(request).delete_group(group_id)
    return Response(status_code=204)


# --- components -------------------------------------------------------------------------------


@router.get("/components", summary="Components in page order")
def list_components(request: Request) -> Response:
    return json_response([component_json(c) for c in _service(request).components()])


@router.post("/components", summary="Create a component", status_code=201)
def create_component(request: Request, body: ComponentIn) -> Response:
    c = _service(request).create_component(**body.model_dump())
    return json_response(component_json(c), 201)


@router.patch("/components/{component_id}", summary="Change a component (and its status)")
def change_component(request: Request, component_id: ItemId, body: ComponentChange) -> Response:
    fields = {
        k: v
        for k, v in body.model_dump(exclude_unset=True).items()
        if v is not None or k in ("group_id", "description")
    }
    c = _service(request).update_component(component_id, **fields)
    return json_response(component_json(c))


@router.post("/components/{component_id}/status", summary="Set a component's status")
def set_status(request: Request, component_id: ItemId, body: StatusChange) -> Response:
    c = _service(request).set_component_status(component_id, body.status)
    return json_response(component_json(c))


@router.delete(
    "/components/{component_id}", summary="Delete a component and its history", status_code=204
)
def delete_component(request: Request, component_id: ItemId) -> Response:
    _service(request).delete_component(component_id)
    return Response(status_code=204)


# --- incidents and maintenance ----------------------------------------------------------------


@router.get("/incidents", summary="Public incidents and maintenances, newest first")
def list_incidents(
    request: Request,
    kind: Literal["incident", "maintenance"] | None = None,
    active: bool | None = None,
    incident_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> Response:
    service = _service(request)
    if incident_id is not None:
        found = service.linked(incident_id)
        return json_response([public_json(found)] if found else [])
    _, items, _ = service.listing(kind, active=active, limit=limit)
    return json_response([public_json(i) for i in items])


@router.post("/incidents", summary="Publish a public incident", status_code=201)
def publish(request: Request, body: IncidentIn) -> Response:
    i = _service(request).publish(
        body.incident_id,
        body.name,
        body.status,
        body.body,
        body.impact,
        dict(body.components),
        body.who(request),
    )
    return json_response(public_json(i), 201)


@router.get("/incidents/{public_id}", summary="A public incident or maintenance")
def get_incident(request: Request, public_id: ItemId) -> Response:
    _, i = _service(request).incident(public_id)
    return json_response(public_json(i))


@router.post(
    "/incidents/{public_id}/updates",
    summary="Post an update (also a maintenance's)",
    status_code=201,
)
def post_update(request: Request, public_id: ItemId, body: UpdateIn) -> Response:
    i = _service(request).post_update(
        public_id,
        body.status,
        body.body,
        dict(body.components),
        body.who(request),
        impact=body.impact,
    )
    return json_response(public_json(i), 201)


@router.patch("/incidents/{public_id}", summary="Rename a public incident")
def rename(request: Request, public_id: ItemId, body: NameChange) -> Response:
    return json_response(public_json(_service(request).rename(public_id, body.name)))


@router.delete(
    "/incidents/{public_id}", summary="Delete a public incident or maintenance", status_code=204
)
def delete_incident(request: Request, public_id: ItemId) -> Response:
    _service(request).delete_incident(public_id)
    return Response(status_code=204)


@router.post("/maintenances", summary="Schedule a maintenance", status_code=201)
def schedule(request: Request, body: MaintenanceIn) -> Response:
    service = _service(request)
    now = runtime_of(request).clock.now()
    m = service.schedule_maintenance(
        body.name,
        body.body,
        instant(body.scheduled_for, "scheduled_for", now),
        instant(body.scheduled_until, "scheduled_until", now),
        body.component_ids,
        body.who(request),
        auto_start=body.auto_start,
        auto_complete=body.auto_complete,
    )
    return json_response(public_json(m), 201)


@router.patch("/maintenances/{public_id}", summary="Change a maintenance's name or times")
def change_maintenance(request: Request, public_id: ItemId, body: MaintenanceChange) -> Response:
    service = _service(request)
    now = runtime_of(request).clock.now()
    fields: dict[str, Any] = body.model_dump(exclude_unset=True)
    for flag in ("name", "auto_start", "auto_complete"):
        if flag in fields and fields[flag] is None:
            raise InputError(FieldProblem(flag, "may not be null"))
    for name in ("scheduled_for", "scheduled_until"):
        if name in fields:
            if fields[name] is None:
                raise InputError(FieldProblem(name, "may not be null"))
            fields[name] = instant(fields[name], name, now)
    return json_response(public_json(service.update_maintenance(public_id, **fields)))


# --- subscribers ------------------------------------------------------------------------------


@router.get("/subscribers", summary="Subscribers (email and webhook)")
def list_subscribers(request: Request) -> Response:
    return json_response([subscriber_json(s) for s in _subscriptions(request).subscribers()])


@router.post(
    "/subscribers",
    summary="Add a subscriber: a webhook at once, an email once it confirms",
    status_code=201,
)
def add_subscriber(request: Request, body: SubscriberIn) -> Response:
    service = _subscriptions(request)
    if (body.email is None) == (body.endpoint is None):
        raise InputError(FieldProblem("email", "give either email or endpoint"))
    s = (
        service.subscribe_email(body.email)
        if body.email is not None
        else service.subscribe_webhook(body.endpoint or "")
    )
    return json_response(subscriber_json(s), 201)


@router.delete("/subscribers/{subscriber_id}", summary="Remove a subscriber", status_code=204)
def delete_subscriber(request: Request, subscriber_id: ItemId) -> Response:
    _subscriptions(request).delete(subscriber_id)
    return Response(status_code=204)


@router.get("/notifications", summary="What was sent to subscribers, newest first")
def list_notifications(
    request: Request,
    subscriber_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    found = _subscriptions(request).notifications(subscriber_id=subscriber_id, limit=limit)
    return json_response([notification_json(n) for n in found])
