"""The public status page's tables (docs/status-page.md)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from tocsin.store.metadata import Id, metadata
from tocsin.store.types import JSONMap, UTCDateTime

__all__ = [
    "public_incident_components",
    "public_incident_updates",
    "public_incidents",
    "status_component_days",
    "status_component_history",
    "status_components",
    "status_groups",
    "status_notifications",
    "status_page",
    "status_subscribers",
]

# The page itself: one row (id 1), made by migration 0009. ``page_id`` is the random id the
# Statuspage-shaped JSON carries; ``updated_at`` moves with every public change.
status_page = Table(
    "status_page",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("page_id", String(16), nullable=False),
    Column("name", String(200), nullable=False),
    Column("time_zone", String(64), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Component groups, shown in ``position`` order.
status_groups = Table(
    "status_groups",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=True),
    Column("position", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # AUTOINCREMENT on SQLite: an id is never used again after a delete.
    sqlite_autoincrement=True,
)

# Components: what the public sees the status of.
status_components = Table(
    "status_components",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("group_id", Id, ForeignKey("status_groups.id", ondelete="SET NULL"), nullable=True),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=True),
    Column("position", Integer, nullable=False),
    # operational, degraded_performance, partial_outage, major_outage, under_maintenance
    Column("status", String(32), nullable=False),
    Column("only_show_if_degraded", Boolean, nullable=False),
    # Show its 90-day uptime bars.
    Column("showcase", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # AUTOINCREMENT on SQLite: an id is never used again after a delete.
    sqlite_autoincrement=True,
)

# Every status a component has had, from when: uptime is computed from it.
status_component_history = Table(
    "status_component_history",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("component_id", Id, nullable=False),
    Column("status", String(32), nullable=False),
    Column("since", UTCDateTime, nullable=False),
    Index("ix_status_component_history_component_id_since", "component_id", "since"),
    # AUTOINCREMENT on SQLite: an id is never used again after a delete.
    sqlite_autoincrement=True,
)

# Public incidents and scheduled maintenances (``kind``): the public's wording, apart from
# the internal incident they may be linked to (``incident_id``).
public_incidents = Table(
    "public_incidents",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # incident or maintenance
    Column("kind", String(16), nullable=False),
    Column("incident_id", Id, nullable=True, index=True),
    Column("name", String(500), nullable=False),
    # investigating ... resolved; scheduled ... completed
    Column("status", String(16), nullable=False),
    Column("impact", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False, index=True),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("monitoring_at", UTCDateTime, nullable=True),
    # Resolved, or completed; NULL while it is active (or still to come).
    Column("resolved_at", UTCDateTime, nullable=True),
    Column("scheduled_for", UTCDateTime, nullable=True),
    Column("scheduled_until", UTCDateTime, nullable=True),
    # Maintenance: the engine starts it at scheduled_for / completes it at scheduled_until.
    Column("auto_start", Boolean, nullable=False),
    Column("auto_complete", Boolean, nullable=False),
    Column("created_by", String(200), nullable=False),
    Index("ix_public_incidents_kind_resolved_at", "kind", "resolved_at"),
    # AUTOINCREMENT on SQLite: an id is never used again after a delete.
    sqlite_autoincrement=True,
)

# The components a public incident affects.
public_incident_components = Table(
    "public_incident_components",
    metadata,
    Column(
        "public_id",
        Id,
        ForeignKey("public_incidents.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("component_id", Id, primary_key=True),
    # The status this incident (or maintenance in progress) holds the component at; None
    # when it only lists the component. A component shows the worst status held.
    Column("status", String(32), nullable=True),
)

# Updates of a public incident, as posted.
public_incident_updates = Table(
    "public_incident_updates",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("public_id", Id, ForeignKey("public_incidents.id", ondelete="CASCADE"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    # [{"code", "name", "old_status", "new_status"}] the update changed.
    Column("affected_components", JSONMap, nullable=False),
    Index("ix_public_incident_updates_public_id_id", "public_id", "id"),
    # AUTOINCREMENT on SQLite: an id is never used again after a delete.
    sqlite_autoincrement=True,
)

# Who hears about the page: an email address (once confirmed) or a webhook URL.
status_subscribers = Table(
    "status_subscribers",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # email or webhook
    Column("mode", String(16), nullable=False),
    Column("address", Text, nullable=False),
    # SHA-256 of mode and address: one subscription each.
    Column("ident", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    # Email: when the link in the confirmation was opened (nothing is sent before).
    Column("confirmed_at", UTCDateTime, nullable=True),
    # Email: when the last confirmation email was queued (at most one every 6 hours).
    Column("confirm_sent_at", UTCDateTime, nullable=True),
    # AUTOINCREMENT on SQLite: an id is never used again after a delete.
    sqlite_autoincrement=True,
)

# The status page's outbox: one row per email or webhook to send, sent by the engine
# ("status.send", id) with retries; ``dedup_key`` makes creating one idempotent.
status_notifications = Table(
    "status_notifications",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("dedup_key", String(64), nullable=False, unique=True),
    Column("subscriber_id", Id, nullable=True, index=True),
    # The public incident (or maintenance) it tells of: deleting it cancels what is pending.
    Column("public_id", Id, nullable=True, index=True),
    # confirm, incident, maintenance, component
    Column("kind", String(16), nullable=False),
    # email or webhook
    Column("mode", String(16), nullable=False),
    Column("address", Text, nullable=False),
    Column("subject", Text, nullable=False),
    # Email: the text; webhook: the JSON document.
    Column("body", Text, nullable=False),
    # The one-click unsubscribe link (List-Unsubscribe; None for a confirmation).
    Column("unsubscribe_url", Text, nullable=True),
    # pending, sent, failed, cancelled
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False, index=True),
    Column("sent_at", UTCDateTime, nullable=True),
    # AUTOINCREMENT on SQLite: an id is never used again after a delete.
    sqlite_autoincrement=True,
)

# Finished days of each component's uptime, per page time zone (``day``: the date's
# ordinal), written by the engine after each local midnight (engine/status_days.py) so the
# page need not read 90 days of history; seconds as ``domain.status_uptime.Day`` has them.
status_component_days = Table(
    "status_component_days",
    metadata,
    Column("component_id", Id, primary_key=True),
    Column("zone", String(64), primary_key=True),
    Column("day", Integer, primary_key=True),
    Column("observed", Float, nullable=False),
    Column("major", Float, nullable=False),
    Column("partial", Float, nullable=False),
    # The worst status of the day (None: not observed) and the one in force at its end.
    Column("worst", String(32), nullable=True),
    Column("end_status", String(32), nullable=True),
)
