"""Remediation actions' runs: who ran what, the result and the output."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

from tocsin.store.metadata import Id, metadata
from tocsin.store.types import JSONMap, UTCDateTime

__all__ = ["remediation_runs"]

# One row per run of an action (docs/remediation.md): asked for by a person or a trigger,
# approved (dangerous actions), run once by the engine, with its result and output.
remediation_runs = Table(
    "remediation_runs",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("incident_id", Id, ForeignKey("incidents.id"), nullable=False, index=True),
    Column("action", String(100), nullable=False),
    # A user id, or trigger:matchers / trigger:escalation
    Column("requested_by", String(100), nullable=False),
    # domain.remediation.RunState
    Column("state", String(20), nullable=False, index=True),
    Column("dry_run", Boolean, nullable=False),
    Column("approver", String(100), nullable=True),
    # An administrator approved a run they asked for themselves (docs/remediation.md).
    Column("self_approved", Boolean, nullable=False),
    # Why it was refused, rejected, rate limited or failed to start.
    Column("reason", Text, nullable=True),
    # The rendered request (method, url, headers with ${NAME} kept, body; or argv).
    Column("request", JSONMap, nullable=False),
    # What the run is given: the incident's labels (TOCSIN_LABEL_* for commands).
    Column("labels", JSONMap, nullable=False),
    # HTTP status or exit code.
    Column("result", Integer, nullable=True),
    Column("output", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("approved_at", UTCDateTime, nullable=True),
    Column("started_at", UTCDateTime, nullable=True),
    Column("finished_at", UTCDateTime, nullable=True),
    Index("ix_remediation_runs_action_created_at", "action", "created_at"),
    sqlite_autoincrement=True,
)
