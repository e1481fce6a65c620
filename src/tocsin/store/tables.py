"""The schema. Alembic migrations under ``migrations/`` must produce exactly this."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from tocsin.store.types import JSONMap, UTCDateTime

__all__ = ["alert_events", "alerts", "integrations", "metadata", "silences", "timers"]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# Big integers on PostgreSQL, INTEGER PRIMARY KEY (rowid) on SQLite.
Id = BigInteger().with_variant(Integer(), "sqlite")

integrations = Table(
    "integrations",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("kind", String(40), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("settings", JSONMap, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("token_rotated_at", UTCDateTime, nullable=False),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("uid", String(36), nullable=False, unique=True),
    Column("fingerprint", String(16), nullable=False, index=True),
    # = fingerprint while this alert is its fingerprint's latest; NULL once superseded.
    Column("head_key", String(16), nullable=True, unique=True),
    Column("integration_id", Id, ForeignKey("integrations.id", ondelete="SET NULL")),
    Column("status", String(16), nullable=False),
    Column("labels", JSONMap, nullable=False),
    Column("annotations", JSONMap, nullable=False),
    Column("starts_at", UTCDateTime, nullable=False),
    Column("ends_at", UTCDateTime, nullable=True),
    Column("ends_at_is_timeout", Boolean, nullable=False),
    Column("generator_url", Text, nullable=False),
    Column("dedup_key", String(512), nullable=True),
    Column("details", JSONMap, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("last_received_at", UTCDateTime, nullable=False),
    Column("receive_count", Integer, nullable=False),
    Column("acknowledged_at", UTCDateTime, nullable=True),
    Column("resolved_at", UTCDateTime, nullable=True),
    Column("resolution", String(16), nullable=True),
    Index("ix_alerts_status_ends_at", "status", "ends_at"),
)

# Append-only: every event received, what it did, and the alert it applied to.
alert_events = Table(
    "alert_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("alert_id", Id, ForeignKey("alerts.id", ondelete="CASCADE"), nullable=True, index=True),
    Column("fingerprint", String(16), nullable=False),
    Column("integration_id", Id, ForeignKey("integrations.id", ondelete="SET NULL")),
    Column("received_at", UTCDateTime, nullable=False, index=True),
    Column("action", String(16), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("payload", JSONMap, nullable=False),
)

# Silences (Alertmanager's model); expiring one sets its ends_at, nothing is deleted.
silences = Table(
    "silences",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("matchers", JSONMap, nullable=False),
    Column("starts_at", UTCDateTime, nullable=False),
    Column("ends_at", UTCDateTime, nullable=False, index=True),
    Column("created_by", String(200), nullable=False),
    Column("comment", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# The engine's durable timers: every deferred action is a row.
timers = Table(
    "timers",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(64), nullable=False),
    # Unique per (kind, key): scheduling the same timer twice moves it, never duplicates it.
    Column("key", String(255), nullable=False),
    Column("due_at", UTCDateTime, nullable=False, index=True),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", UTCDateTime, nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("payload", JSONMap, nullable=False),
    Column("last_error", Text, nullable=True),
    Index("uq_timers_kind_key", "kind", "key", unique=True),
)
