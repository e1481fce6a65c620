"""Alerts: what a source said (``AlertEvent``), what Tocsin knows (``Alert``), and how the
first changes the second (``apply``).

An alert is identified by its fingerprint: the hash of its label set for label-based sources
(Prometheus, Alertmanager), or of the integration and the sender's dedup key (PagerDuty,
Opsgenie, webhooks). A fingerprint has at most one *open* (firing or acknowledged) alert at a
time; once resolved, a new trigger opens a new alert with the same fingerprint, as PagerDuty
does. The latest alert of a fingerprint is its *head*.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from tocsin.domain.labels import fingerprint

__all__ = [
    "Action",
    "Alert",
    "AlertEvent",
    "AlertStatus",
    "Identity",
    "Outcome",
    "Resolution",
    "apply",
    "effective_status",
    "expire",
]


class AlertStatus(enum.StrEnum):
    FIRING = "firing"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Action(enum.StrEnum):
    """What an event asks for, in PagerDuty's words."""

    TRIGGER = "trigger"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


class Identity(enum.StrEnum):
    LABELS = "labels"  # fingerprint of the label set; Alertmanager semantics
    DEDUP_KEY = "dedup_key"  # fingerprint of (integration, dedup key); PagerDuty semantics


class Resolution(enum.StrEnum):
    SOURCE = "source"  # the sender said so (resolve action or endsAt in the past)
    TIMEOUT = "timeout"  # endsAt passed without a refresh (resolve_timeout)


class Outcome(enum.StrEnum):
    """What an event did to the stored alert."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    IGNORED = "ignored"  # acknowledge/resolve for nothing open, or a stale re-send


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """One alert as a source reported it, already validated and normalised."""

    fingerprint: str
    identity: Identity
    action: Action
    labels: Mapping[str, str]
    annotations: Mapping[str, str] = field(default_factory=dict)
    starts_at: datetime | None = None
    #: For a trigger: when the alert stops firing unless refreshed (Alertmanager's endsAt,
    #: or receive time + resolve_timeout). None: fires until resolved.
    ends_at: datetime | None = None
    #: True when ends_at came from resolve_timeout rather than from the sender.
    ends_at_is_timeout: bool = False
    generator_url: str = ""
    dedup_key: str | None = None
    details: Mapping[str, Any] | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Alert:
    """Tocsin's current knowledge of one alert. ``id`` is None until stored."""

    id: int | None
    uid: str
    fingerprint: str
    integration_id: int | None
    status: AlertStatus
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    starts_at: datetime
    ends_at: datetime | None
    ends_at_is_timeout: bool
    generator_url: str
    dedup_key: str | None
    details: Mapping[str, Any] | None
    created_at: datetime
    updated_at: datetime
    last_received_at: datetime
    receive_count: int
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    resolution: Resolution | None = None

    @property
    def is_open(self) -> bool:
        return self.status is not AlertStatus.RESOLVED


def effective_status(alert: Alert, now: datetime) -> AlertStatus:
    """The status at ``now``: an open alert whose endsAt has passed is resolved."""
    if alert.is_open and alert.ends_at is not None and alert.ends_at <= now:
        return AlertStatus.RESOLVED
    return alert.status


def expire(alert: Alert, now: datetime) -> Alert:
    """The open ``alert`` whose endsAt has passed, resolved as of its endsAt."""
    return replace(
        alert,
        status=AlertStatus.RESOLVED,
        resolved_at=alert.ends_at,
        resolution=Resolution.TIMEOUT if alert.ends_at_is_timeout else Resolution.SOURCE,
        updated_at=now,
    )


def _content(a: Alert) -> tuple[object, ...]:
    return (a.labels, a.annotations, a.starts_at, a.generator_url, a.details, a.status)


def apply(
    head: Alert | None,
    event: AlertEvent,
    *,
    integration_id: int | None,
    new_uid: str,
    now: datetime,
) -> tuple[Alert | None, Outcome]:
    """Apply ``event`` to the fingerprint's head alert.

    Returns the alert to store (the updated head, or a new alert that becomes the head) and
    what happened. A returned alert with ``id=None`` is new. Returns ``(None, IGNORED)`` when
    nothing changes.
    """
    if head is not None and head.is_open and effective_status(head, now) is AlertStatus.RESOLVED:
        # Its endsAt passed before housekeeping noticed.
        head = expire(head, now)
    is_open = head is not None and head.is_open

    if event.action is Action.TRIGGER:
        if head is not None and is_open:
            return _refresh(head, event, now)
        if head is not None and _is_stale(head, event):
            if head.resolution is Resolution.TIMEOUT:
                # The sender went quiet and came back about the same firing: reopen it.
                reopened = replace(
                    _refresh_fields(head, event, now),
                    ends_at=event.ends_at,
                    ends_at_is_timeout=event.ends_at_is_timeout,
                    status=AlertStatus.FIRING,
                    resolved_at=None,
                    resolution=None,
                )
                return reopened, Outcome.REOPENED
            return None, Outcome.IGNORED
        return _new(event, integration_id=integration_id, uid=new_uid, now=now), Outcome.CREATED

    if head is None or not is_open:
        return None, Outcome.IGNORED

    if event.action is Action.ACKNOWLEDGE:
        if head.status is AlertStatus.ACKNOWLEDGED:
            return _touch(head, now), Outcome.UNCHANGED
        acked = replace(
            _touch(head, now), status=AlertStatus.ACKNOWLEDGED, acknowledged_at=now, updated_at=now
        )
        return acked, Outcome.ACKNOWLEDGED

    ends_at = event.ends_at if event.ends_at is not None and event.ends_at <= now else now
    # A resolve names the alert; it does not redefine it (its labels stay as they were).
    resolved = replace(
        _refresh_fields(head, replace(event, labels={}), now),
        status=AlertStatus.RESOLVED,
        ends_at=ends_at,
        ends_at_is_timeout=False,
        resolved_at=ends_at,
        resolution=Resolution.SOURCE,
        updated_at=now,
    )
    return resolved, Outcome.RESOLVED


def _is_stale(head: Alert, event: AlertEvent) -> bool:
    """A trigger about the very firing that already resolved (same start), not a new one.

    Only for label-identified alerts: Prometheus keeps an alert's startsAt for as long as it
    fires, so a trigger with the resolved head's startsAt is a late or repeated re-send (an HA
    pair, a retry), or the sender resuming after a resolve_timeout.
    """
    return (
        event.identity is Identity.LABELS
        and event.starts_at is not None
        and event.starts_at == head.starts_at
    )


def _touch(head: Alert, now: datetime) -> Alert:
    return replace(head, last_received_at=now, receive_count=head.receive_count + 1)


def _refresh_fields(head: Alert, event: AlertEvent, now: datetime) -> Alert:
    starts_at = head.starts_at
    if event.starts_at is not None and event.starts_at < starts_at:
        starts_at = event.starts_at
    return replace(
        _touch(head, now),
        labels=dict(event.labels) if event.labels else head.labels,
        annotations=dict(event.annotations) if event.annotations else head.annotations,
        starts_at=starts_at,
        generator_url=event.generator_url or head.generator_url,
        details=event.details if event.details is not None else head.details,
    )


def _refresh(head: Alert, event: AlertEvent, now: datetime) -> tuple[Alert, Outcome]:
    updated = _refresh_fields(head, event, now)
    ends_at = event.ends_at
    ends_at_is_timeout = event.ends_at_is_timeout
    if (
        ends_at is not None
        and head.ends_at is not None
        and not head.ends_at_is_timeout
        and ends_at_is_timeout
        and head.ends_at > ends_at
    ):
        # Alertmanager's merge: a sender's explicit endsAt beats a later-expiring timeout.
        ends_at, ends_at_is_timeout = head.ends_at, False
    updated = replace(updated, ends_at=ends_at, ends_at_is_timeout=ends_at_is_timeout)
    if _content(updated) == _content(head):
        return updated, Outcome.UNCHANGED
    return replace(updated, updated_at=now), Outcome.UPDATED


def _new(event: AlertEvent, *, integration_id: int | None, uid: str, now: datetime) -> Alert:
    return Alert(
        id=None,
        uid=uid,
        fingerprint=event.fingerprint,
        integration_id=integration_id,
        status=AlertStatus.FIRING,
        labels=dict(event.labels),
        annotations=dict(event.annotations),
        starts_at=event.starts_at or now,
        ends_at=event.ends_at,
        ends_at_is_timeout=event.ends_at_is_timeout,
        generator_url=event.generator_url,
        dedup_key=event.dedup_key,
        details=event.details,
        created_at=now,
        updated_at=now,
        last_received_at=now,
        receive_count=1,
    )


def with_labels(event: AlertEvent, extra: Mapping[str, str]) -> AlertEvent:
    """``event`` with the labels of ``extra`` it lacks (an integration's own labels, as
    Prometheus' external labels: the sender's win). Where labels identify the alert, its
    fingerprint is of its labels with them."""
    missing = {k: v for k, v in extra.items() if k not in event.labels}
    if not missing:
        return event
    labels = {**event.labels, **missing}
    found = fingerprint(labels) if event.identity is Identity.LABELS else event.fingerprint
    return replace(event, labels=labels, fingerprint=found)
