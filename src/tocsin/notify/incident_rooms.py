"""Incident rooms kept in step with their incidents: a Slack channel per serious incident and
a card in Teams.

A room is asked for (``request``) when an incident opens at, or is raised to, a severity
the policy names, or on request from anyone (API, CLI, web, ``/tocsin channel``). Every
change of the incident ``touch``es its rooms: their revision goes up and their ``incident.room``
timer is due. The timer's job reads the incident and works out the room it should be (name,
topic, who is in it, the card), has the vendor's code make it so without a transaction
open, and records what was done, with the timeline told of what people should know
("Created Slack channel #inc-20260301-checkout-errors"). A sync that failed is retried with
backoff from where it stopped; one that raced a change runs again at once.

Who is invited: the commander, communications lead and investigators, whoever acknowledged,
everyone paged about the incident, and ``incidents.slack.invite``. People are matched to
Slack by their ``slack_user_id``, else by email (``users.lookupByEmail``).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from tocsin.channels.slack_app import SlackApp
from tocsin.channels.slack_rooms import sync_slack_room
from tocsin.channels.teams_rooms import sync_teams_room
from tocsin.config.compile import RoutingConfig
from tocsin.domain.drills import DRILL_TAG
from tocsin.domain.incident_rooms import (
    IncidentCard,
    Provider,
    RoomPost,
    RoomResult,
    RoomWish,
    channel_name,
    topic,
)
from tocsin.domain.incidents import ChatPolicy, Incident
from tocsin.domain.retry import backoff, jittered
from tocsin.domain.users import User
from tocsin.engine.runner import Again
from tocsin.outbound import Outbound, guarded_client
from tocsin.store import alerts as alert_store
from tocsin.store import incident_chats as chat_store
from tocsin.store import incidents as incident_store
from tocsin.store import messages as message_store
from tocsin.store import timers as timer_store
from tocsin.store.incident_chats import ChatRow
from tocsin.store.timers import Timer

__all__ = ["ROOM", "Provider", "RoomJob", "card_of", "request", "slack_app", "touch", "wants_room"]

#: The timer kind; its key is the room's id.
ROOM = "incident.room"
ENGINE = "tocsin"
RETRY_BASE = timedelta(seconds=5)
RETRY_CAP = timedelta(minutes=10)
#: Timeline entries the rooms are told of.
POSTED = ("status-update", "update-due")
#: How the timeline names each kind of room.
_WHAT = {"slack": "The Slack channel", "teams": "The Teams card"}
#: How long one sync may talk to the vendor (well inside the engine's one-minute lease);
#: what is left is done by the next run, at once.
SYNC_BUDGET = 20.0
#: Timeline entries posted per sync.
POSTS_PER_SYNC = 20
_ROLE_LABELS = (("commander", "Commander"), ("communications", "Comms lead"))


def slack_app(config: RoutingConfig | None) -> SlackApp | None:
    providers = config.providers if config is not None else None
    app = getattr(providers, "slack_app", None)
    return app if isinstance(app, SlackApp) else None


def _chat(config: RoutingConfig | None) -> ChatPolicy:
    return config.incidents.chat if config is not None else ChatPolicy()


def wants_room(config: RoutingConfig | None, incident: Incident) -> list[Provider]:
    """The rooms the policy gives an incident of its severity by itself."""
    chat = _chat(config)
    out: list[Provider] = []
    if not incident.is_open:
        return out
    if chat.slack is not None and incident.severity in chat.slack.severities:
        out.append(Provider.SLACK)
    if chat.teams_url and incident.severity in chat.teams:
        out.append(Provider.TEAMS)
    return out


def request(
    conn: Connection, incident_id: int, provider: Provider, actor: str, now: datetime
) -> bool:
    """Give the incident a room with ``provider``; False if it has one already."""
    last_update = incident_store.last_event_id(conn, incident_id, ("status-update",))
    upto = last_update - 1 if last_update else incident_store.last_event_id(conn, incident_id)
    chat_id = chat_store.create(conn, incident_id, provider.value, actor, now, upto)
    if chat_id is None:
        return False
    timer_store.schedule(conn, ROOM, str(chat_id), now)
    return True


def touch(conn: Connection, incident_id: int, now: datetime) -> None:
    """The incident changed: its rooms catch up (a sync in flight runs again after)."""
    for chat_id in chat_store.bump(conn, incident_id):
        timer_store.schedule(conn, ROOM, str(chat_id), now, replace=False)


def card_of(
    conn: Connection, incident: Incident, users: Mapping[str, User], link: str
) -> IncidentCard:
    """What the incident's card shows now."""
    linked = incident_store.alerts_of(conn, [incident.id]).get(incident.id, [])
    firing = [a for a in linked if a.firing]
    heads = alert_store.load_heads(conn, [a.fingerprint for a in (firing or linked)][:50])
    runbook = dashboard = None
    for alert in heads.values():
        runbook = runbook or alert.annotations.get("runbook_url")
        dashboard = dashboard or alert.annotations.get("dashboard_url")

    def name(user: str) -> str:
        person = users.get(user)
        return person.display if person is not None else user

    roles: dict[str, tuple[str, ...]] = {}
    for role, label in _ROLE_LABELS:
        who = incident.roles.get(role)
        if isinstance(who, str):
            roles[label] = (name(who),)
    investigators = incident.roles.get("investigator")
    if isinstance(investigators, list) and investigators:
        roles["Investigators"] = tuple(name(str(u)) for u in investigators)
    return IncidentCard(
        incident_id=incident.id,
        title=f"{DRILL_TAG} {incident.title}" if incident.drill else incident.title,
        summary=incident.summary,
        severity=incident.severity.value,
        status=incident.status.value,
        roles=roles,
        link=link,
        runbook_url=runbook,
        dashboard_url=dashboard,
        acknowledged_by=name(incident.acknowledged_by) if incident.acknowledged_by else None,
        service=incident.service,
        alerts_firing=len(firing),
        next_update_at=incident.next_update_at,
        is_open=incident.is_open,
    )


def _responders(conn: Connection, incident_id: int) -> list[str]:
    """Everyone a level of the escalation policy paged, or paged directly."""
    leveled = incident_store.events(conn, incident_id, kinds=("escalated", "responder-requested"))
    return [
        *(str(u) for e in leveled for u in e.data.get("users", ())),
        *(str(e.data["user"]) for e in leveled if e.data.get("user")),
        *(u for u in message_store.paged_users(conn, incident_id) if not u.startswith("#")),
    ]


def _people(value: object) -> list[str]:
    return [str(u) for u in value] if isinstance(value, list) else []


@dataclass(frozen=True)
class _Work:
    room: ChatRow
    wish: RoomWish
    app: SlackApp | None
    teams_url: str | None


class RoomJob:
    """The engine's job for ``incident.room`` timers."""

    def __init__(
        self,
        routing: Callable[[], RoutingConfig | None],
        link: Callable[[int], str],
        *,
        timeout: float = 10.0,
        outbound: Outbound | None = None,
    ) -> None:
        self.routing = routing
        self.link = link
        self.client = guarded_client(outbound or Outbound.from_environment(), timeout=timeout)

    def close(self) -> None:
        self.client.close()

    def prepare(self, conn: Connection, timer: Timer, now: datetime) -> _Work | None:
        room = chat_store.get(conn, int(timer.key))
        if room is None:
            return None
        incident = incident_store.get(conn, room.incident_id)
        if incident is None:
            return None
        config = self.routing()
        users = config.users if config is not None else {}
        chat = _chat(config)
        people: dict[str, tuple[str | None, str | None]] = {}
        wanted = [
            *(u for u in (incident.roles.get(r) for r in ("commander", "communications")) if u),
            *_people(incident.roles.get("investigator")),
            *([incident.acknowledged_by] if incident.acknowledged_by else ()),
            *incident.assignees,
            *_responders(conn, incident.id),
        ]
        for user in wanted:
            person = users.get(str(user))
            if person is not None:
                people[person.id] = (person.slack_user_id, person.email)
        names = {u.id: u.display for u in users.values()}
        posted = set(room.state.posted)
        owed = [
            e
            for e in incident_store.events(
                conn, incident.id, after=room.state.posted_upto, kinds=POSTED
            )
            if e.id not in posted
        ]
        slack = chat.slack
        wish = RoomWish(
            name=channel_name(slack.prefix if slack else "inc", incident),
            fallback_name=channel_name(
                slack.prefix if slack else "inc", incident, str(incident.id)
            ),
            topic=topic(incident, names),
            card=card_of(conn, incident, users, self.link(incident.id)),
            people=people,
            extra=slack.invite if slack else (),
            private=slack.private if slack else False,
            announce=slack.announce if slack else None,
            posts=tuple(
                RoomPost(
                    e.id,
                    e.kind,
                    names.get(e.actor, e.actor),
                    e.text,
                    tuple(str(u) for u in e.data.get("remind", ())),
                    drill=incident.drill,
                )
                for e in owed[:POSTS_PER_SYNC]
            ),
            more_posts=len(owed) > POSTS_PER_SYNC,
        )
        return _Work(room, wish, slack_app(config), chat.teams_url)

    def perform(self, work: _Work) -> RoomResult:
        room = work.room
        try:
            if room.provider == Provider.SLACK:
                if work.app is None:
                    return RoomResult(room.state).failed(
                        "Slack is not configured (paging.slack.bot_token)", retryable=False
                    )
                return sync_slack_room(work.app, room.state, work.wish, SYNC_BUDGET)
            if room.provider == Provider.TEAMS:
                if not work.teams_url:
                    return RoomResult(room.state).failed(
                        "Teams is not configured (incidents.teams.webhook_url)", retryable=False
                    )
                return sync_teams_room(self.client, work.teams_url, room.state, work.wish)
        except Exception as exc:  # a bug must not leave the room unsynced for good
            return RoomResult(room.state).failed(f"{type(exc).__name__}: {exc}")
        return RoomResult(room.state).failed(f"unknown provider {room.provider}", retryable=False)

    def complete(
        self, conn: Connection, timer: Timer, work: _Work, result: RoomResult, now: datetime
    ) -> Again | None:
        room = work.room
        revision = chat_store.save(conn, room, result.state, now, result.error)
        if revision is None:
            return Again(now)  # another sync saved meanwhile: start again from what it saw
        for text in result.events:
            incident_store.add_event(
                conn,
                room.incident_id,
                now,
                "room",
                ENGINE,
                text,
                {"provider": room.provider, "channel": result.state.channel_id},
            )
        if result.error is not None:
            what = _WHAT.get(room.provider, f"The {room.provider} room")
            if result.error != room.last_error:  # said once, not at every retry
                incident_store.add_event(
                    conn,
                    room.incident_id,
                    now,
                    "room-failed",
                    ENGINE,
                    f"{what} could not be updated: {result.error}"
                    + ("; trying again" if result.retryable else ""),
                    {"provider": room.provider, "error": result.error},
                )
            if not result.retryable:
                return None
            failures = int(timer.payload.get("failures", 0)) + 1
            pause = jittered(backoff(failures, base=RETRY_BASE, cap=RETRY_CAP), random.random())
            if result.retry_after is not None:
                pause = max(pause, timedelta(seconds=result.retry_after))
            return Again(now + pause, {"failures": failures})
        if result.more or revision != room.revision:
            return Again(now)  # more to do, or the incident changed while this sync ran
        return None
