"""An incident's room in chat: a Slack channel per serious incident, or a Teams card, kept in
step with the incident. Pure: what the room should look like (its name, topic, members and
card) and what is known of it; the vendors' code (``channels/``) makes it so.

The room is reconciled, not scripted: whatever changed since the last sync (a new
commander, a status, a responder paged) is compared with what the room last showed, and
only the difference is sent. A sync cut short by a crash or an outage is simply run
again.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from tocsin.domain.incidents import Incident

__all__ = [
    "IncidentCard",
    "Provider",
    "RoomPost",
    "RoomResult",
    "RoomState",
    "RoomWish",
    "channel_name",
    "tried",
    "topic",
]

#: Slack's limits: a channel name of at most 80 characters, a topic of at most 250.
MAX_NAME = 80
MAX_TOPIC = 250


class Provider(StrEnum):
    SLACK = "slack"
    TEAMS = "teams"


_NOT_NAME = re.compile(r"[^a-z0-9]+")


def channel_name(prefix: str, incident: Incident, suffix: str = "") -> str:
    """``inc-20260301-checkout-errors``: the prefix, the day it opened (UTC) and its title
    made into a channel name (lower case, digits and dashes), at most 80 characters;
    ``suffix`` (e.g. the incident id) keeps two same-day namesakes apart. A drill's channel
    is ``drill-...`` whatever the prefix."""
    head = f"{'drill' if incident.drill else prefix}-{incident.created_at:%Y%m%d}-"
    tail = f"-{suffix}" if suffix else ""
    slug = _NOT_NAME.sub("-", incident.title.lower()).strip("-") or f"incident-{incident.id}"
    room = MAX_NAME - len(head) - len(tail)
    slug = slug[:room].rstrip("-") or str(incident.id)
    return head + slug + tail


def topic(incident: Incident, names: Mapping[str, str], zone_label: str = "UTC") -> str:
    """``SEV1 · acknowledged · Commander: Ann · Comms: Bob · next update 12:30 UTC``."""
    parts = [*(["DRILL"] if incident.drill else []), incident.severity.value, incident.status.value]
    for role, label in (("commander", "Commander"), ("communications", "Comms")):
        who = incident.roles.get(role)
        if isinstance(who, str):
            parts.append(f"{label}: {names.get(who, who)}")
    if incident.next_update_at is not None and incident.is_open:
        parts.append(f"next update {incident.next_update_at:%H:%M} {zone_label}")
    text = " · ".join(parts)
    return text if len(text) <= MAX_TOPIC else text[: MAX_TOPIC - 1] + "…"


@dataclass(frozen=True)
class IncidentCard:
    """What an incident's card shows, vendor-neutral."""

    incident_id: int
    title: str
    summary: str
    severity: str
    status: str
    #: role -> display names ("Commander" -> ["Ann"]).
    roles: Mapping[str, tuple[str, ...]]
    link: str
    runbook_url: str | None = None
    dashboard_url: str | None = None
    acknowledged_by: str | None = None
    service: str | None = None
    alerts_firing: int = 0
    next_update_at: datetime | None = None
    is_open: bool = True

    def digest(self) -> str:
        """Changes exactly when what the card shows changes."""
        data = asdict(self)
        data["roles"] = {k: list(v) for k, v in self.roles.items()}
        encoded = json.dumps(data, sort_keys=True, default=str).encode()
        return hashlib.sha256(encoded).hexdigest()


@dataclass(frozen=True)
class RoomState:
    """What is known of the room: what was made and what it last showed."""

    channel_id: str | None = None
    channel_name: str | None = None
    card_ref: str | None = None
    topic: str | None = None
    card_hash: str | None = None
    #: Tocsin user (or a raw chat id) -> the chat user id invited.
    members: Mapping[str, str] = field(default_factory=dict)
    #: Tocsin user -> how they were looked for and not found (``tried``); looked for again
    #: only when that changes (a chat id or an email added).
    unknown: Mapping[str, str] = field(default_factory=dict)
    #: Timeline entries up to this one are not the room's to post (it was made after them).
    posted_upto: int = 0
    #: Timeline entries posted since (ids commit out of order: a high-water mark would
    #: skip one).
    posted: tuple[int, ...] = ()

    def gone(self) -> RoomState:
        """The channel was archived or deleted: what must be made again."""
        return replace(
            self,
            channel_id=None,
            channel_name=None,
            card_ref=None,
            topic=None,
            card_hash=None,
            members={},
        )


def tried(how: tuple[str | None, str | None]) -> str:
    """How a person is looked for in chat: their chat id, else their email, else nothing."""
    chat_id, email = how
    return chat_id or (f"email:{email.lower()}" if email else "")


@dataclass(frozen=True)
class RoomPost:
    """A timeline entry the room is told of: a stakeholder update or a reminder."""

    event_id: int
    kind: str
    #: Who wrote it (a display name).
    author: str
    text: str
    #: Tocsin users to mention (those owing an update).
    mention: tuple[str, ...] = ()
    #: About a drill: the post says so.
    drill: bool = False


@dataclass(frozen=True)
class RoomWish:
    """What the room should be."""

    name: str
    #: A name to use if ``name`` is another incident's.
    fallback_name: str
    topic: str
    card: IncidentCard
    #: Tocsin user -> (chat user id if known, else their email to look up; None: neither).
    people: Mapping[str, tuple[str | None, str | None]]
    #: Chat user ids to invite as they are.
    extra: tuple[str, ...] = ()
    private: bool = False
    announce: str | None = None
    #: Timeline entries not posted yet, oldest first.
    posts: tuple[RoomPost, ...] = ()
    #: More are owed than ``posts`` holds (the next sync posts them).
    more_posts: bool = False

    def to_invite(self, state: RoomState) -> dict[str, tuple[str | None, str | None]]:
        """Who is not in the room yet (and was not found before, looked for the same way)."""
        wanted = {u: how for u, how in self.people.items() if u not in state.members}
        wanted.update({raw: (raw, None) for raw in self.extra if raw not in state.members})
        return {u: how for u, how in wanted.items() if state.unknown.get(u) != tried(how)}


@dataclass(frozen=True)
class RoomResult:
    state: RoomState
    #: What happened, for the timeline ("Created Slack channel #inc-...").
    events: tuple[str, ...] = ()
    #: Why the sync stopped short (None: the room is as wished).
    error: str | None = None
    retryable: bool = True
    #: Not all done yet (time ran out, or more posts are owed): run again at once.
    more: bool = False
    #: The vendor asked to wait this many seconds before the next call.
    retry_after: float | None = None

    def failed(
        self, error: str, *, retryable: bool = True, retry_after: float | None = None
    ) -> RoomResult:
        return replace(self, error=error, retryable=retryable, retry_after=retry_after)
