"""An incident page's communication: the stakeholder update form (a draft filled from the
incident; optionally to the status page too), its chat rooms, and paging someone to help.
The forms post to ``/incidents/{id}/update|room|responder`` (``incident_actions``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from tocsin.config.durations import duration_input
from tocsin.domain.incident_updates import PARTS, UpdateParts
from tocsin.domain.incidents import Incident
from tocsin.domain.status_page import ComponentStatus, IncidentStatus
from tocsin.errors import FieldProblem, InputError
from tocsin.services.incident_comms import PublicUpdate
from tocsin.store.incident_chats import ChatRow
from tocsin.store.status_incidents import PublicIncident
from tocsin.store.status_page import Component

if TYPE_CHECKING:
    from tocsin.services.runtime import Runtime
    from tocsin.web.session import Acting

__all__ = ["COMMS_ACTIONS", "Comms", "comms_of"]

#: Opens a channel in the Slack app or web client, whichever the person uses.
SLACK_OPEN = "https://slack.com/app_redirect?channel="
#: When the next update is due, as the form offers it ("": the severity's cadence).
NEXT_UPDATE = (
    ("", "As the cadence says"),
    ("15m", "in 15 minutes"),
    ("30m", "in 30 minutes"),
    ("1h", "in 1 hour"),
    ("2h", "in 2 hours"),
    ("4h", "in 4 hours"),
    ("1d", "tomorrow"),
)


@dataclass(frozen=True)
class Comms:
    draft: UpdateParts
    parts: tuple[tuple[str, str], ...]
    next_choices: tuple[tuple[str, str], ...]
    #: (label, web address) of each room that exists.
    rooms: list[tuple[str, str | None]]
    #: Providers a room can still be asked for.
    can_ask: list[str]
    components: list[Component]
    component_statuses: list[str]
    public_statuses: list[str]
    #: The open public incident this one publishes to (None: the first post makes one).
    public: PublicIncident | None
    schedules: list[str]


def _room_link(row: ChatRow) -> tuple[str, str | None]:
    s = row.state
    if row.provider == "slack":
        if s.channel_id is None:
            failing = f": {row.last_error}" if row.last_error else ""
            return (f"Slack channel (being made){failing}", None)
        return (f"Slack #{s.channel_name}", f"{SLACK_OPEN}{s.channel_id}")
    failing = f" (failing: {row.last_error})" if row.last_error else ""
    return (f"Teams card{failing}", None)


def comms_of(runtime: Runtime, incident: Incident) -> Comms:
    config = runtime.routing
    chat = config.incidents.chat if config is not None else None
    rooms = runtime.incidents.rooms(incident.id)
    have = {r.provider for r in rooms}
    can_ask = []
    if chat is not None and chat.slack is not None and "slack" not in have:
        can_ask.append("slack")
    if chat is not None and chat.teams_url and "teams" not in have:
        can_ask.append("teams")
    public = runtime.status_page.linked(incident.id)
    return Comms(
        draft=runtime.incidents.draft_update(incident.id),
        parts=PARTS,
        next_choices=NEXT_UPDATE,
        rooms=[_room_link(r) for r in rooms],
        can_ask=can_ask if incident.is_open else [],
        components=runtime.status_page.components(),
        component_statuses=[s.value for s in ComponentStatus],
        public_statuses=[s.value for s in IncidentStatus],
        public=public if public is not None and public.resolved_at is None else None,
        schedules=sorted(config.schedules) if config is not None else [],
    )


def _next(text: str) -> timedelta | None:
    if not text:
        return None
    return duration_input(text, "next_update")


def _update(rt: Runtime, incident_id: int, who: str, form: Acting) -> Incident:
    parts = UpdateParts(
        **{name: form.text(name) for name, _ in PARTS}, message=form.text("message")
    )
    public = None
    if form.text("publish") == "1":
        components = {}
        for key in form.form:
            number = key.removeprefix("component-")
            if key.startswith("component-") and number.isdigit() and form.text(key):
                components[int(number)] = form.text(key)
        public = PublicUpdate(
            status=form.text("public_status"),
            body=form.text("public_body"),
            name=form.text("public_name") or None,
            components=components,
        )
    incident, _ = rt.comms.post_update(
        incident_id, who, parts, next_in=_next(form.text("next_update")), public=public
    )
    return incident


def _responder(rt: Runtime, incident_id: int, who: str, form: Acting) -> Incident:
    kind, _, name = form.text("target").partition(":")
    if kind == "user" and name:
        return rt.incidents.add_responder(incident_id, who, user=name)
    if kind == "schedule" and name:
        return rt.incidents.add_responder(incident_id, who, schedule=name)
    raise InputError(FieldProblem("target", "choose a person or a schedule"))


def _room(rt: Runtime, incident_id: int, who: str, form: Acting) -> Incident:
    rt.incidents.request_room(incident_id, form.text("provider") or "slack", who)
    return rt.incidents.get(incident_id)


COMMS_ACTIONS = {"update": _update, "responder": _responder, "room": _room}
