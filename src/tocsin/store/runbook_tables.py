"""Runbooks written in the web UI, and which incidents used which runbook."""

from __future__ import annotations

from sqlalchemy import Column, Date, ForeignKey, Integer, String, Table, Text

from tocsin.store.metadata import Id, metadata
from tocsin.store.types import JSONMap, UTCDateTime

__all__ = ["incident_runbooks", "runbooks"]

# Runbooks kept in the database (the web UI and the API write them); file runbooks are
# read from the configuration's directory and never stored. ``version`` counts saved edits.
runbooks = Table(
    "runbooks",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("slug", String(100), nullable=False, unique=True),
    Column("title", Text, nullable=False),
    # alert names
    Column("alerts", JSONMap, nullable=False),
    # Alertmanager matcher texts ('service="api"')
    Column("matchers", JSONMap, nullable=False),
    Column("service", String(200), nullable=True),
    # a user id or a team name
    Column("owner", String(100), nullable=True),
    Column("last_reviewed", Date, nullable=True),
    # its own review period in seconds; null: the configuration's
    Column("review_every", Integer, nullable=True),
    Column("body", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String(100), nullable=False),
    sqlite_autoincrement=True,
)

# The runbooks an incident's alerts matched (file or database runbooks, by slug), recorded
# when the alerts joined it. ``review_asked_at``: when its owner was asked to review the
# runbook after the incident (or it was settled that nobody needs asking).
incident_runbooks = Table(
    "incident_runbooks",
    metadata,
    Column("incident_id", Id, ForeignKey("incidents.id"), primary_key=True),
    Column("slug", String(100), primary_key=True, index=True),
    Column("first_matched_at", UTCDateTime, nullable=False),
    Column("review_asked_at", UTCDateTime, nullable=True, index=True),
)
