"""Sign-in security: failed sign-ins counted per account and per client address
(docs/security.md, "Sign-in and sessions"). In the database, so every node agrees."""

from __future__ import annotations

from sqlalchemy import Column, Integer, String, Table

from tocsin.store.metadata import metadata
from tocsin.store.types import UTCDateTime

__all__ = ["sign_in_failures"]

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
