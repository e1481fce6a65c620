"""The schema. Alembic migrations under ``migrations/`` must produce exactly this: the tables
here and those of the status page (``status_tables``), of SLOs (``slo_tables``) and of
postmortems (``learning_tables``), all on one ``metadata``."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

# The other schema modules: importing them puts their tables on the metadata.
from tocsin.store import (  # noqa: F401
    audit_tables,
    cluster_tables,
    drill_tables,
    heartbeat_tables,
    learning_tables,
    remediation_tables,
    runbook_tables,
    security_tables,
    slo_tables,
    status_tables,
)
from tocsin.store.metadata import Id, metadata
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
    "messages",
    "metadata",
    "notification_groups",
    "notification_log",
    "round_robin",
    "schedule_overrides",
    "shift_swaps",
    "silences",
    "site_secrets",
    "timers",
    "user_tokens",
    "web_sessions",
]

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
    # The team that owns it (its managers may rotate its token); None: admins only.
    Column("team", String(100), nullable=True),
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
    # A practice incident (docs/drills.md): pages as usual, marked DRILL, left out of metrics.
    Column("drill", Boolean, nullable=False, default=False, server_default=false()),
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

# Secrets Tocsin makes for itself on first start (the keys that sign action links and
# derive heartbeat tokens), encrypted with the site's keys (store/site_secrets.py).
site_secrets = Table(
    "site_secrets",
    metadata,
    Column("name", String(64), primary_key=True),
    # ``enc:`` and a Fernet token (docs/security.md#secrets; plain only without a key).
    Column("value", Text, nullable=False),
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
    # stakeholder, viewer, responder, admin (None: responder, or admin when ``admin``); a
    # person in the configuration file has the file's role.
    Column("role", String(16), nullable=True),
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
