"""Heartbeat monitors (dead man's switches) and their pings (docs/heartbeats.md)."""

from __future__ import annotations

from sqlalchemy import Column, Integer, String, Table

from tocsin.store.metadata import metadata
from tocsin.store.types import JSONMap, UTCDateTime

__all__ = ["heartbeats"]

# One row per heartbeat ever configured (by name). A heartbeat removed from the file is
# retired (``retired_at``), not deleted: put back, it keeps its token.
heartbeats = Table(
    "heartbeats",
    metadata,
    Column("name", String(100), primary_key=True),
    # hash_token(token) (services.integrations); the token is derived from the site key
    # "heartbeat-tokens" and ``token_salt``, so admins can see it again; rotating changes
    # the salt.
    Column("token_hash", String(64), nullable=False),
    Column("token_salt", String(32), nullable=False),
    Column("token_rotated_at", UTCDateTime, nullable=False),
    # waiting (never pinged), up, down
    Column("state", String(16), nullable=False),
    Column("first_seen_at", UTCDateTime, nullable=False),
    # The deadline is counting_from + interval + grace: the last ping, when the heartbeat
    # was configured, or when Tocsin started again after missing the deadline itself.
    Column("counting_from", UTCDateTime, nullable=False),
    Column("last_ping_at", UTCDateTime, nullable=True),
    # http, alertmanager (the webhook endpoint), watchdog (a matching alert)
    Column("last_ping_source", String(32), nullable=True),
    Column("pings", Integer, nullable=False),
    Column("down_since", UTCDateTime, nullable=True),
    # missed (no ping in time) or failed (a ping to /fail)
    Column("down_reason", String(16), nullable=True),
    # The labels of the alert raised while down (resolved with these, whatever the file
    # says by then).
    Column("alert_labels", JSONMap, nullable=True),
    Column("retired_at", UTCDateTime, nullable=True),
)
