"""An incident's communication: stakeholder updates (and the draft to start one from), its
rooms (a Slack channel, a Teams card), and responders paged to help."""

from __future__ import annotations

from typing import Any, Literal

import pydantic
from fastapi import APIRouter, Request, Response

from tocsin.api.incidents import Actor, IncidentId, incident_json
from tocsin.api.incidents import _service as service_of
from tocsin.api.responses import json_response
from tocsin.api.runtime import runtime_of
from tocsin.api.schedules import iso, iso_or_none
from tocsin.config.durations import duration_input
from tocsin.domain.incident_updates import MAX_PART, UpdateParts
from tocsin.services.incident_comms import PublicUpdate
from tocsin.store.incident_chats import ChatRow

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["Incident communication"])


class Update(Actor):
    message: str = pydantic.Field(default="", max_length=MAX_PART)
    affected: str = pydantic.Field(default="", max_length=MAX_PART)
    status: str = pydantic.Field(default="", max_length=MAX_PART)
    impact: str = pydantic.Field(default="", max_length=MAX_PART)
    actions: str = pydantic.Field(default="", max_length=MAX_PART)
    next_update_in: str | None = pydantic.Field(
        default=None,
        alias="nextUpdateIn",
        description="When the next update is due, e.g. 30m (default: the severity's cadence)",
    )
    status_page: StatusPagePost | None = pydantic.Field(
        default=None, alias="statusPage", description="Also post this to the status page"
    )


class StatusPagePost(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    status: str = pydantic.Field(description="investigating, identified, monitoring or resolved")
    body: str = pydantic.Field(max_length=20_000, description="The public words")
    name: str | None = pydantic.Field(
        default=None, max_length=500, description="The public title (the first time)"
    )
    impact: str | None = None
    components: dict[int, str] = pydantic.Field(
        default_factory=dict, description="Component id -> status"
    )


class RoomRequest(Actor):
    provider: Literal["slack", "teams"] = "slack"


class Responder(Actor):
    target_user: str | None = pydantic.Field(default=None, alias="targetUser")
    schedule: str | None = None


def _parts(body: Update) -> UpdateParts:
    return UpdateParts(
        affected=body.affected,
        status=body.status,
        impact=body.impact,
        actions=body.actions,
        message=body.message,
    )


def _room(row: ChatRow) -> dict[str, Any]:
    s = row.state
    return {
        "provider": row.provider,
        "channelId": s.channel_id,
        "channelName": s.channel_name,
        "cardRef": s.card_ref,
        "topic": s.topic,
        "members": dict(s.members),
        "unknown": list(s.unknown),
        "requestedBy": row.requested_by,
        "createdAt": iso(row.created_at),
        "syncedAt": iso_or_none(row.synced_at),
        "lastError": row.last_error,
    }


@router.post(
    "/incidents/{incident_id}/updates", summary="Post a stakeholder update", status_code=201
)
def post_update(request: Request, incident_id: IncidentId, body: Update) -> Response:
    next_in = None
    if body.next_update_in is not None:
        next_in = duration_input(body.next_update_in, "nextUpdateIn")
    public = None
    if body.status_page is not None:
        p = body.status_page
        public = PublicUpdate(p.status, p.body, p.name, p.impact, p.components)
    comms = runtime_of(request).comms
    done, published = comms.post_update(
        incident_id, body.who(request), _parts(body), next_in=next_in, public=public
    )
    answer = incident_json(done)
    answer["statusPage"] = (
        {"id": published.id, "status": published.status} if published is not None else None
    )
    return json_response(answer, 201)


@router.get(
    "/incidents/{incident_id}/updates",
    summary="The updates posted, when the next is due, and a draft for it",
)
def updates(request: Request, incident_id: IncidentId) -> Response:
    svc = service_of(request)
    view = svc.view(incident_id)
    draft = svc.draft_update(incident_id)
    posted = [e for e in view.timeline if e.kind == "status-update"]
    due = view.incident.next_update_at
    return json_response(
        {
            "nextUpdateAt": iso_or_none(due),
            "updates": [
                {"id": e.id, "at": iso(e.at), "by": e.actor, "text": e.text, **dict(e.data)}
                for e in posted
            ],
            "draft": draft.as_data(),
        }
    )


@router.post("/incidents/{incident_id}/rooms", summary="Make a Slack channel or Teams card")
def request_room(request: Request, incident_id: IncidentId, body: RoomRequest) -> Response:
    svc = service_of(request)
    made = svc.request_room(incident_id, body.provider, body.who(request))
    rooms = [_room(r) for r in svc.rooms(incident_id)]
    return json_response({"created": made, "rooms": rooms}, 201 if made else 200)


@router.get("/incidents/{incident_id}/rooms", summary="The incident's chat rooms")
def rooms(request: Request, incident_id: IncidentId) -> Response:
    svc = service_of(request)
    return json_response({"rooms": [_room(r) for r in svc.rooms(incident_id)]})


@router.post("/incidents/{incident_id}/responders", summary="Page someone to help")
def add_responder(request: Request, incident_id: IncidentId, body: Responder) -> Response:
    svc = service_of(request)
    done = svc.add_responder(
        incident_id, body.who(request), user=body.target_user, schedule=body.schedule
    )
    return json_response(incident_json(done))
