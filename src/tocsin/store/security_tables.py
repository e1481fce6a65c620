"""Security: failed sign-ins counted per account and per client address, and API tokens
(docs/security.md). In the database, so every node agrees."""

from __future__ import annotations

from sqlalchemy import Column, Integer, String, Table

from tocsin.store.metadata import Id, metadata
from tocsin.store.types import UTCDateTime

__all__ = ["api_tokens", "sign_in_failures"]

# One row per account (``account:<user id or login typed>``) or client address
# (``address:<ip>``) with recent failed sign-ins: the failures in the current window, and
# the lockout in force (``lockouts`` counts those in a row, so each lasts twice the last).
sign_in_failures = Table(
    "sign_in_failures",
    metadata,
    Column("key", String(250), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("window_start", UTCDateTime, nullable=False),
    Column("lockouts", Integer, nullable=False),
    Column("locked_until", UTCDateTime, nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
)

# API tokens: personal (act as their owner, never beyond the owner's role) and service
# (act as themselves). Only the SHA-256 of a token is kept; the token is shown once.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    # personal, service
    Column("kind", String(16), nullable=False),
    # The person a personal token acts as (None: a service token).
    Column("owner", String(100), nullable=True, index=True),
    # read, respond, manage
    Column("scope", String(16), nullable=False),
    # Only this team's objects (None: every team the token's holder may reach).
    Column("team", String(100), nullable=True),
    Column("hash", String(64), nullable=False, unique=True),
    # The token's first characters, to recognise it in lists (e.g. ``tocsin_p_3Fq9``).
    Column("prefix", String(24), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("expires_at", UTCDateTime, nullable=True),
    Column("last_used_at", UTCDateTime, nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("revoked_by", String(100), nullable=True),
    sqlite_autoincrement=True,
)
