"""When an aggregation group notifies: Alertmanager's timing, as pure functions.

A group is (route, values of the route's group_by labels) and is created by its first alert.
It first flushes ``group_wait`` after creation (at once if an alert in it started more than
``group_wait`` ago), then ticks every ``group_interval`` on a fixed schedule counted from that
first flush. At each tick, ``needs_update`` decides from what fires now and what was last
sent (Alertmanager's ``DedupStage.needsUpdate``).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Set
from dataclasses import dataclass
from datetime import datetime, timedelta

from tocsin.domain.matchers import quote_value

__all__ = [
    "NotifyReason",
    "SentRecord",
    "first_flush_at",
    "group_key",
    "needs_update",
    "next_tick_at",
    "notify_reason",
]


def _label_set(labels: Mapping[str, str]) -> str:
    # Prometheus's LabelSet.String(): ", " between pairs (route keys use "," between matchers).
    return "{" + ", ".join(f"{k}={quote_value(v)}" for k, v in sorted(labels.items())) + "}"


def group_key(route_key: str, group_labels: Mapping[str, str]) -> str:
    """Alertmanager's group key, e.g. ``{}/{severity="critical"}:{alertname="Lag"}``."""
    return f"{route_key}:{_label_set(group_labels)}"


def first_flush_at(
    created_at: datetime, group_wait: timedelta, earliest_start: datetime | None = None
) -> datetime:
    """When a new group first flushes: after group_wait, or at once for old alerts."""
    if earliest_start is not None and earliest_start < created_at - group_wait:
        return created_at
    return created_at + group_wait


def next_tick_at(first_flush: datetime, group_interval: timedelta, after: datetime) -> datetime:
    """The first tick of the fixed schedule first_flush + k * group_interval after ``after``."""
    if after < first_flush:
        return first_flush
    ticks = (after - first_flush) // group_interval + 1
    return first_flush + ticks * group_interval


@dataclass(frozen=True)
class SentRecord:
    """What the last notification of a group to a receiver said (the notification log)."""

    firing: frozenset[str]
    resolved: frozenset[str]
    sent_at: datetime


class NotifyReason(enum.StrEnum):
    """Why a group notifies: Alertmanager's ``notification_reason`` (0.32+) values."""

    NONE = "none"
    FIRST = "first notification"
    NEW_ALERTS = "new alerts added"
    NEW_RESOLVED = "some alerts resolved"
    ALL_RESOLVED = "all alerts resolved"
    REPEAT = "repeat interval elapsed"


def notify_reason(
    last: SentRecord | None,
    firing: Set[str],
    resolved: Set[str],
    *,
    send_resolved: bool,
    repeat_interval: timedelta,
    now: datetime,
) -> NotifyReason:
    """Whether, and why, a group whose unmuted alerts are ``firing`` and ``resolved``
    (fingerprints) notifies at this tick (Alertmanager's ``DedupStage.needsUpdate``)."""
    if last is None:
        return NotifyReason.FIRST if firing else NotifyReason.NONE
    if not firing <= last.firing:
        # After a notification that resolved everything, this starts over.
        return NotifyReason.NEW_ALERTS if last.firing else NotifyReason.FIRST
    if not firing:
        # Everything resolved. Sent even without send_resolved, so that the log forgets the
        # firing alerts (the resolved ones are then filtered out and nothing goes out).
        return NotifyReason.ALL_RESOLVED if last.firing else NotifyReason.NONE
    if send_resolved and not resolved <= last.resolved:
        return NotifyReason.NEW_RESOLVED
    if now > last.sent_at + repeat_interval:
        return NotifyReason.REPEAT
    return NotifyReason.NONE


def needs_update(
    last: SentRecord | None,
    firing: Set[str],
    resolved: Set[str],
    *,
    send_resolved: bool,
    repeat_interval: timedelta,
    now: datetime,
) -> bool:
    """Whether the group notifies at this tick (see ``notify_reason``)."""
    reason = notify_reason(
        last,
        firing,
        resolved,
        send_resolved=send_resolved,
        repeat_interval=repeat_interval,
        now=now,
    )
    return reason is not NotifyReason.NONE
