"""Drills and tabletop exercises, and their reports (docs/drills.md).

A drill incident is an ordinary row of ``incidents`` with ``drill`` set; what is kept here
is what has no other home: which scheduled drill occurrences fired (each exactly once), and
the tabletop sessions with the answers the team gave."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text

from tocsin.store.metadata import Id, metadata
from tocsin.store.types import JSONMap, UTCDateTime

__all__ = ["drill_runs", "tabletop_answers", "tabletop_sessions"]

# One row per scheduled drill occurrence that fired: the key (schedule id and the
# occurrence's instant) is what makes it fire once, whatever the nodes and restarts.
drill_runs = Table(
    "drill_runs",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("schedule", String(100), nullable=False, index=True),
    Column("occurrence", UTCDateTime, nullable=False),
    Column("incident_id", Id, ForeignKey("incidents.id"), nullable=True),
    Column("fired_at", UTCDateTime, nullable=False),
    # Why it did not declare a drill (None: it did).
    Column("skipped", Text, nullable=True),
)

# A tabletop exercise being walked through (or walked through) by a team.
tabletop_sessions = Table(
    "tabletop_sessions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # The scenario file's name (its stem) and its title when the session began.
    Column("scenario", String(200), nullable=False),
    Column("title", Text, nullable=False),
    # running, finished
    Column("state", String(16), nullable=False, index=True),
    # The step the team is on (0-based); past the last: the debrief.
    Column("step", Integer, nullable=False),
    # user ids (and names typed in) of who took part
    Column("participants", JSONMap, nullable=False),
    Column("notes", Text, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("started_by", String(100), nullable=False),
    Column("finished_at", UTCDateTime, nullable=True),
    sqlite_autoincrement=True,
)

# An answer to one question of one step (step -1: a debrief question).
tabletop_answers = Table(
    "tabletop_answers",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("session_id", Id, ForeignKey("tabletop_sessions.id"), nullable=False, index=True),
    Column("step", Integer, nullable=False),
    Column("question", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("answered_by", String(100), nullable=False),
    Column("answered_at", UTCDateTime, nullable=False),
    sqlite_autoincrement=True,
)
