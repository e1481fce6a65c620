"""Service level objectives' tables (docs/slos.md)."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Float,
    String,
    Table,
    Text,
)

from tocsin.store.metadata import Id, metadata
from tocsin.store.types import UTCDateTime

__all__ = [
    "slo_events",
    "slo_gate_exceptions",
]

# Good and total events posted for an SLO with a built-in SLI, per minute (``minute``: the
# minute's start); error ratios over any window are sums of these.
slo_events = Table(
    "slo_events",
    metadata,
    Column("slo_id", String(210), primary_key=True),
    Column("minute", UTCDateTime, primary_key=True),
    Column("good", Float, nullable=False),
    Column("total", Float, nullable=False),
)

# Exceptions to the release gate: a service's releases may go ahead despite its SLOs until
# ``expires_at`` (or until revoked); kept after they end, as the audit trail.
slo_gate_exceptions = Table(
    "slo_gate_exceptions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("service", String(100), nullable=False, index=True),
    Column("reason", Text, nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("revoked_by", String(100), nullable=True),
    sqlite_autoincrement=True,
)
