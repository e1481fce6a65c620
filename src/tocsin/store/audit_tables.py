"""The audit log: every change of configuration and state, who made it, when, from where,
and what it was before and after (docs/security.md, "Audit log").

Append-only: the code has an insert and reads only, and the database refuses UPDATE and
DELETE on the table (triggers made by migration 0019, on SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import Column, Index, String, Table

from tocsin.store.metadata import Id, metadata
from tocsin.store.types import JSONMap, UTCDateTime

__all__ = ["audit_log"]

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    # A user id, ``token:<name>``, ``tocsin`` (the engine), ``cli:<os user>``.
    Column("actor", String(200), nullable=False, index=True),
    # web, api, cli, slack, sms, link, engine, signal
    Column("via", String(32), nullable=False),
    # The client's IP address, or ``<os user>@<host>`` for the CLI (None: the engine).
    Column("address", String(300), nullable=True),
    # A dotted verb: ``incident.acknowledged``, ``config.reloaded``, ``silence.expired``.
    Column("action", String(100), nullable=False),
    Column("object_kind", String(50), nullable=False),
    Column("object_id", String(200), nullable=True),
    Column("before", JSONMap, nullable=True),
    Column("after", JSONMap, nullable=True),
    Index("ix_audit_log_object_kind_object_id", "object_kind", "object_id"),
    Index("ix_audit_log_action", "action"),
    sqlite_autoincrement=True,
)
