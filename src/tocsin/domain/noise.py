"""Noise controls Alertmanager lacks, as pure decisions: flap detection and holding a group
until it is big enough or has fired long enough."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["FlapPolicy", "VolumePolicy", "is_flapping", "volume_hold_until"]


@dataclass(frozen=True)
class FlapPolicy:
    """An alert that changed state (fired, resolved) more than ``changes`` times within
    ``window`` is flapping; its notifications are held until it has been stable for
    ``quiet``."""

    changes: int
    window: timedelta
    quiet: timedelta


def is_flapping(changed_at: Sequence[datetime], now: datetime, policy: FlapPolicy) -> bool:
    """Whether an alert whose state changed at ``changed_at`` is held as flapping at ``now``."""
    if not changed_at:
        return False
    last = max(changed_at)
    if now - last >= policy.quiet:
        return False  # stable long enough: released
    recent = [t for t in changed_at if last - policy.window < t <= last]
    return len(recent) > policy.changes


@dataclass(frozen=True)
class VolumePolicy:
    """Notify a group only once it has ``min_alerts`` firing alerts, or once its oldest firing
    alert has fired for ``min_firing_for`` (either is enough when both are set)."""

    min_alerts: int = 0
    min_firing_for: timedelta = timedelta(0)

    @property
    def active(self) -> bool:
        return self.min_alerts > 1 or self.min_firing_for > timedelta(0)


def volume_hold_until(
    firing_starts: Sequence[datetime], now: datetime, policy: VolumePolicy
) -> datetime | None:
    """None when the group may notify now; else the moment the firing-time rule would let it
    (``datetime.max`` when only more alerts can)."""
    if not policy.active or not firing_starts:
        return None
    if policy.min_alerts > 1 and len(firing_starts) >= policy.min_alerts:
        return None
    if policy.min_firing_for > timedelta(0):
        ready_at = min(firing_starts) + policy.min_firing_for
        if ready_at <= now:
            return None
        return ready_at
    return datetime.max.replace(tzinfo=now.tzinfo)
