"""Learning from incidents: postmortems and their action items (docs/postmortems.md)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
)

from tocsin.store.metadata import Id, metadata
from tocsin.store.types import JSONMap, UTCDateTime

__all__ = ["action_items", "postmortems"]

# One postmortem per incident: a Markdown document drafted from the incident, edited, then
# reviewed and published. ``version`` counts the saved edits (a sync from files refuses an
# edit made on an older version: a conflict, never a silent overwrite).
postmortems = Table(
    "postmortems",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("incident_id", Id, ForeignKey("incidents.id"), nullable=False, unique=True),
    # draft, in_review, published
    Column("state", String(16), nullable=False, index=True),
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False),
    # A short label for what caused it ("deploy", "capacity", "dependency" ...): repeat
    # incidents are those of one service and category within 30 days.
    Column("root_cause_category", String(100), nullable=True),
    # user ids
    Column("authors", JSONMap, nullable=False),
    # [{"user": id, "approved_at": iso or null}]
    Column("reviewers", JSONMap, nullable=False),
    # Which timeline entries (incident_events ids) the draft's timeline shows.
    Column("timeline_selection", JSONMap, nullable=True),
    # Required by policy (severity), or asked for; due by ``due_at`` when required.
    Column("required", Boolean, nullable=False),
    Column("due_at", UTCDateTime, nullable=True),
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String(100), nullable=False),
    Column("submitted_at", UTCDateTime, nullable=True),
    Column("published_at", UTCDateTime, nullable=True),
    sqlite_autoincrement=True,
)

# Things to do so it does not happen again, from a postmortem or straight from an incident.
action_items = Table(
    "action_items",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("incident_id", Id, ForeignKey("incidents.id"), nullable=False, index=True),
    Column("postmortem_id", Id, ForeignKey("postmortems.id"), nullable=True, index=True),
    Column("title", Text, nullable=False),
    # a user id
    Column("owner", String(100), nullable=False, index=True),
    # The end of the due day in the owner's time zone, as an instant.
    Column("due_at", UTCDateTime, nullable=True, index=True),
    # open, in_progress, done, wont_do
    Column("status", String(16), nullable=False, index=True),
    Column("ticket_url", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # When it became done or won't do (done on time: closed_at <= due_at).
    Column("closed_at", UTCDateTime, nullable=True),
    sqlite_autoincrement=True,
)
