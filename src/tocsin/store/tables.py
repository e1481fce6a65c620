"""The schema. Alembic migrations under ``migrations/`` must produce exactly this."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from tocsin.store.types import JSONMap, UTCDateTime

__all__ = [
    "accounts",
    "alert_events",
    "alerts",
    "deliveries",
    "delivery_attempts",
    "group_alerts",
    "incident_alerts",
    "incident_chats",
    "incident_events",
    "incidents",
    "integrations",
    "metadata",
    "notification_groups",
    "messages",
    "notification_log",
    "public_incident_components",
    "public_incident_updates",
    "public_incidents",
    "round_robin",
    "schedule_overrides",
    "shift_swaps",
    "silences",
    "site_secrets",
    "slo_events",
    "slo_gate_exceptions",
    "status_component_days",
    "status_component_history",
    "status_components",
    "status_groups",
    "status_notifications",
    "status_page",
    "status_subscribers",
    "timers",
    "user_tokens",
    "web_sessions",
]

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
    # Tocsin: mute only while this time interval holds ({"name": ...} or {"specs": [...]}).
    Column("recurrence", JSONMap, nullable=True),
    # Tocsin: when the creator was reminded that it is about to expire.
    Column("reminded_at", UTCDateTime, nullable=True),
)

# Aggregation groups (Alertmanager's aggrGroup): a route and the values of its group_by
# labels. Its ticks are a timer ("group.flush", id); its alerts are ``group_alerts``.
notification_groups = Table(
    "notification_groups",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # SHA-256 of (route id, group labels): one group per route and label values.
    Column("ident", String(64), nullable=False, unique=True),
    Column("route_id", Text, nullable=False),
    Column("group_key", Text, nullable=False),
    Column("receiver", String(200), nullable=False),
    Column("labels", JSONMap, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("first_flush_at", UTCDateTime, nullable=False),
    Column("flushed_at", UTCDateTime, nullable=True),
)

group_alerts = Table(
    "group_alerts",
    metadata,
    Column(
        "group_id",
        Id,
        ForeignKey("notification_groups.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("fingerprint", String(16), primary_key=True),
    Column("added_at", UTCDateTime, nullable=False),
)

# The notification log (Alertmanager's nflog): per group key, receiver and integration, what
# the last successful notification said. Dedup decides against it.
notification_log = Table(
    "notification_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # SHA-256 of (group key, receiver, integration).
    Column("ident", String(64), nullable=False, unique=True),
    Column("group_key", Text, nullable=False),
    Column("receiver", String(200), nullable=False),
    Column("integration", String(64), nullable=False),
    Column("firing", JSONMap, nullable=False),
    Column("resolved", JSONMap, nullable=False),
    Column("sent_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False, index=True),
)

# The outbox: one row per notification to send to one integration. At most one is pending per
# (group, integration); a newer group state supersedes it. Its sends are a timer
# ("delivery", id).
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("group_id", Id, ForeignKey("notification_groups.id", ondelete="SET NULL")),
    # The notification log entry it updates when sent.
    Column("log_ident", String(64), nullable=False, index=True),
    Column("group_key", Text, nullable=False),
    Column("receiver", String(200), nullable=False),
    Column("integration", String(64), nullable=False),
    # pending, sent, failed (not retryable), superseded, dropped.
    Column("status", String(16), nullable=False),
    Column("reason", String(32), nullable=False),
    # The notification: group labels and the alerts as they were at the tick.
    Column("content", JSONMap, nullable=False),
    Column("created_at", UTCDateTime, nullable=False, index=True),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("sent_at", UTCDateTime, nullable=True),
    Index("ix_deliveries_status_log_ident", "status", "log_ident"),
    Index("ix_deliveries_group_id_status", "group_id", "status"),
)

delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "delivery_id",
        Id,
        ForeignKey("deliveries.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("attempted_at", UTCDateTime, nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("error", Text, nullable=True),
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

# Overrides made through the API or CLI (those in tocsin.yaml live there); above every layer,
# the later-created one wins where two overlap.
schedule_overrides = Table(
    "schedule_overrides",
    metadata,
    # In creation order: where two overlap, the higher id wins.
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("schedule", String(200), nullable=False),
    Column("user_id", String(100), nullable=False),
    Column("starts_at", UTCDateTime, nullable=False),
    Column("ends_at", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("note", Text, nullable=False),
    # The shift swap it came from, if any.
    Column("swap_id", String(36), nullable=True),
    Index("ix_schedule_overrides_schedule_ends_at", "schedule", "ends_at"),
)

# Shift swaps: a person offers (part of) their shift; when someone takes it, it becomes an
# override for the taker.
shift_swaps = Table(
    "shift_swaps",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("schedule", String(200), nullable=False, index=True),
    Column("offered_by", String(100), nullable=False),
    # Offered to one person only (None: to anyone).
    Column("offered_to", String(100), nullable=True),
    Column("starts_at", UTCDateTime, nullable=False),
    Column("ends_at", UTCDateTime, nullable=False),
    Column("note", Text, nullable=False),
    # open, taken, withdrawn
    Column("status", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("taken_by", String(100), nullable=True),
    Column("taken_at", UTCDateTime, nullable=True),
    Column("override_id", Id, nullable=True),
)

# A person's secret token for their calendar feed (SHA-256 of it).
user_tokens = Table(
    "user_tokens",
    metadata,
    Column("user_id", String(100), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
)

# Messages to one person (handoff summaries, shift reminders, swaps), each sent by the
# engine ("message", id) with retries; ``dedup_key`` makes creating one idempotent.
messages = Table(
    "messages",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("dedup_key", String(64), nullable=False, unique=True),
    Column("user_id", String(100), nullable=False, index=True),
    # handoff, shift-reminder, swap-offered, swap-taken
    Column("kind", String(32), nullable=False),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("address", Text, nullable=True),
    # pending, sent, failed
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False, index=True),
    Column("sent_at", UTCDateTime, nullable=True),
    # email, sms, voice, push, slack, webhook
    Column("method", String(16), nullable=False, server_default="email"),
    # The incident a page is about (None: not a page).
    Column("incident_id", Id, nullable=True, index=True),
    # Link, actions, urgency, reply code, the provider's id for it ...
    Column("details", JSONMap, nullable=True),
)

# Incidents: the human workflow around alerts, from triggered to resolved.
incidents = Table(
    "incidents",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("title", Text, nullable=False),
    Column("summary", Text, nullable=False),
    # triggered, acknowledged, mitigated, resolved
    Column("status", String(16), nullable=False, index=True),
    Column("severity", String(8), nullable=False),
    Column("urgency", String(8), nullable=False),
    Column("service", String(200), nullable=True),
    Column("team", String(200), nullable=True),
    Column("policy", String(200), nullable=True),
    # The policy as it was when the incident opened (pages in flight keep it).
    Column("policy_snapshot", JSONMap, nullable=True),
    # The alert group it was opened for: at most one open incident per group.
    Column("group_ident", String(64), nullable=True, index=True),
    Column("created_at", UTCDateTime, nullable=False, index=True),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("acknowledged_at", UTCDateTime, nullable=True),
    Column("acknowledged_by", String(100), nullable=True),
    Column("mitigated_at", UTCDateTime, nullable=True),
    Column("resolved_at", UTCDateTime, nullable=True),
    Column("resolved_by", String(100), nullable=True),
    Column("snoozed_until", UTCDateTime, nullable=True),
    # commander, communications (a user each), investigator (a list)
    Column("roles", JSONMap, nullable=False),
    # Paged directly instead of the policy (reassigned).
    Column("assignees", JSONMap, nullable=False),
    Column("previous_id", Id, nullable=True),
    Column("merged_into", Id, nullable=True),
    # Escalation: the level that fires next, in which pass, and the re-trigger count.
    Column("level", Integer, nullable=False),
    Column("loop", Integer, nullable=False),
    Column("epoch", Integer, nullable=False),
    # A short code people reply to SMS with (unique among open incidents).
    Column("reply_code", String(16), nullable=False, index=True),
    # When stakeholders are owed the next update (None: no cadence).
    Column("next_update_at", UTCDateTime, nullable=True),
)

# An incident's chat room (a Slack channel) or card (a Teams post), kept in step with the
# incident by the engine: what was created, what the topic and card last said.
incident_chats = Table(
    "incident_chats",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("incident_id", Id, nullable=False),
    # slack or teams
    Column("provider", String(16), nullable=False),
    Column("channel_id", String(100), nullable=True),
    Column("channel_name", String(100), nullable=True),
    # The card's message: Slack's ts.
    Column("card_ref", String(100), nullable=True),
    Column("topic", Text, nullable=True),
    # A hash of the card as last posted.
    Column("card_hash", String(64), nullable=True),
    # Chat user ids invited so far.
    Column("members", JSONMap, nullable=False),
    Column("requested_by", String(100), nullable=False),
    # Bumped by every change of the incident; a sync that began at an older one runs again.
    Column("revision", Integer, nullable=False),
    # The last timeline entry posted to the room (updates and reminders after it are owed).
    Column("posted_upto", BigInteger, nullable=False),
    # Counts the syncs saved: a sync saves only over the one it started from.
    Column("syncs", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("synced_at", UTCDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    UniqueConstraint("incident_id", "provider"),
    Index("ix_incident_chats_channel_id", "channel_id"),
)

# The timeline: every event of an incident, with who and when.
incident_events = Table(
    "incident_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("incident_id", Id, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    # opened, alert-fired, alert-resolved, paged, notified, notify-failed, acknowledged, ...
    Column("kind", String(32), nullable=False),
    # A user id, "tocsin" (the engine), or how (e.g. "api-token:ci").
    Column("actor", String(200), nullable=False),
    Column("text", Text, nullable=False),
    Column("data", JSONMap, nullable=False),
    Index("ix_incident_events_incident_id_id", "incident_id", "id"),
)

# The alerts of an incident.
incident_alerts = Table(
    "incident_alerts",
    metadata,
    Column("incident_id", Id, primary_key=True),
    Column("fingerprint", String(16), primary_key=True),
    Column("firing", Boolean, nullable=False),
    Column("added_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime, nullable=True),
    Column("alertname", String(200), nullable=False),
    Index("ix_incident_alerts_fingerprint", "fingerprint"),
)

# Round-robin levels: where each (policy, level) is in its turn, across incidents.
round_robin = Table(
    "round_robin",
    metadata,
    Column("policy", String(200), primary_key=True),
    Column("level", Integer, primary_key=True),
    Column("counter", Integer, nullable=False),
)

# Secrets Tocsin makes for itself on first start (the key that signs action links).
site_secrets = Table(
    "site_secrets",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(128), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# Who can sign in to the web UI: one row per person (a configured user, or one made with
# ``tocsin user create``). ``profile`` holds the contact methods and notification rules a
# person set for themselves; they take precedence over the configuration file's.
accounts = Table(
    "accounts",
    metadata,
    Column("user_id", String(100), primary_key=True),
    Column("password_hash", String(200), nullable=True),
    Column("admin", Boolean, nullable=False, default=False),
    Column("name", String(200), nullable=False, default=""),
    Column("email", String(320), nullable=True),
    Column("profile", JSONMap, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Signed-in browsers: the cookie holds a random token, the table its SHA-256 digest (a
# stolen database does not sign anyone in), with the session's CSRF secret.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", String(100), nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("seen_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

# --- The public status page (docs/status-page.md) -------------------------------------------

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

# --- Service level objectives (docs/slos.md) -------------------------------------------------

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
