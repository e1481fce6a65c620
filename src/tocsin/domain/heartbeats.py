"""Heartbeat monitors (dead man's switches): something pings Tocsin every ``interval``; when
no ping comes within ``interval + grace``, the heartbeat is down and an alert is raised
(docs/heartbeats.md).

What a heartbeat is (``Heartbeat``, from tocsin.yaml), what Tocsin knows of it
(``HeartbeatStatus``, stored), and the pure decisions: its deadline, whether it is late, the
alert's labels and words.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tocsin.domain.durations import duration_text
from tocsin.domain.matchers import Matcher, matches_all

__all__ = [
    "DEFAULT_ALERTNAME",
    "NAME",
    "DownReason",
    "Heartbeat",
    "HeartbeatState",
    "HeartbeatStatus",
    "Watchdogs",
    "alert_annotations",
    "alert_labels",
    "default_grace",
    "outage_began",
]

#: A heartbeat's name: it is in URLs and label values.
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
DEFAULT_ALERTNAME = "HeartbeatMissing"
DEFAULT_SEVERITY = "critical"


def default_grace(interval: timedelta) -> timedelta:
    """A fifth of the interval, at least a minute and at most an hour (a cron job every 5
    minutes gets 1m, an hourly one 12m, a daily one 1h)."""
    return min(max(interval / 5, timedelta(minutes=1)), timedelta(hours=1))


class HeartbeatState(enum.StrEnum):
    WAITING = "waiting"  # configured, never pinged yet
    UP = "up"
    DOWN = "down"


class DownReason(enum.StrEnum):
    MISSED = "missed"  # no ping within interval + grace
    FAILED = "failed"  # the sender said so (a ping to /fail)


@dataclass(frozen=True)
class Heartbeat:
    """One heartbeat of tocsin.yaml's ``heartbeats:``."""

    name: str
    interval: timedelta
    grace: timedelta
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    #: Firing alerts matching all of these count as pings (an always-firing Watchdog).
    watchdog: tuple[Matcher, ...] = ()
    alertname: str = DEFAULT_ALERTNAME

    @property
    def allowed_silence(self) -> timedelta:
        return self.interval + self.grace


@dataclass(frozen=True)
class HeartbeatStatus:
    """What Tocsin knows of a heartbeat (its row)."""

    name: str
    state: HeartbeatState
    first_seen_at: datetime
    #: The deadline counts from here: the last ping, when it was configured, or when Tocsin
    #: started again after an outage during which the ping was due.
    counting_from: datetime
    last_ping_at: datetime | None = None
    last_ping_source: str | None = None
    pings: int = 0
    down_since: datetime | None = None
    down_reason: DownReason | None = None
    alert_labels: Mapping[str, str] | None = None
    token_rotated_at: datetime | None = None
    retired_at: datetime | None = None

    def deadline(self, spec: Heartbeat) -> datetime | None:
        """When it goes down without a ping; None while it is down."""
        if self.state is HeartbeatState.DOWN:
            return None
        return self.counting_from + spec.allowed_silence

    def expected_from(self, spec: Heartbeat) -> datetime:
        """The earliest a punctual next ping comes: the interval less the grace (a job's
        pings drift by up to the grace either way)."""
        return self.counting_from + max(spec.interval - spec.grace, timedelta(0))

    def missed_while_away(self, spec: Heartbeat, away_since: datetime, now: datetime) -> bool:
        """Tocsin was away (its engine stopped) from ``away_since`` until it started again
        at ``now``: might a ping have come, and been refused, meanwhile? Only when the
        outage overlaps the window the next ping was due in (``expected_from`` to the
        deadline: the interval, give or take the grace). An outage before that window, or
        one that began after the deadline (the engine ran then: it fired), changes
        nothing. A heartbeat that is down stays down."""
        deadline = self.deadline(spec)
        return deadline is not None and self.expected_from(spec) <= now and deadline > away_since

    def late(self, spec: Heartbeat, now: datetime) -> bool:
        """Past its interval, within its grace: not down yet, but worth a look."""
        if self.state is HeartbeatState.DOWN:
            return False
        return now > self.counting_from + spec.interval


def outage_began(last_alive: datetime | None, pulse: timedelta, now: datetime) -> datetime | None:
    """When Tocsin went away, as seen by a node starting at ``now``: ``last_alive`` is when
    an engine (on any node) last beat its ``pulse`` (the housekeeping timer). None when no
    engine ever ran (a first start) or one ran within the last two pulses (a quick restart,
    or another node kept running): then nothing was missed."""
    if last_alive is None or now - last_alive <= 2 * pulse:
        return None
    return last_alive


def alert_labels(spec: Heartbeat) -> dict[str, str]:
    return {
        "severity": DEFAULT_SEVERITY,
        **spec.labels,
        "alertname": spec.alertname,
        "heartbeat": spec.name,
    }


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S UTC")


def alert_annotations(
    spec: Heartbeat, status: HeartbeatStatus, reason: DownReason, now: datetime
) -> dict[str, str]:
    every = f"expected every {duration_text(spec.interval)}, grace {duration_text(spec.grace)}"
    if reason is DownReason.FAILED:
        summary = f"{spec.name} reported a failure at {_when(now)} ({every})"
    elif status.last_ping_at is None:
        summary = (
            f"no ping from {spec.name} since it was configured at "
            f"{_when(status.counting_from)} ({every})"
        )
    else:
        summary = f"no ping from {spec.name} since {_when(status.last_ping_at)} ({every})"
    return {"summary": summary, **spec.annotations}


class Watchdogs:
    """The heartbeats pinged by matching alerts, matched cheaply: nothing to do (``bool``
    false) when no heartbeat has watchdog matchers."""

    def __init__(self, heartbeats: Iterable[Heartbeat]) -> None:
        self._specs = tuple((h.name, h.watchdog) for h in heartbeats if h.watchdog)

    def __bool__(self) -> bool:
        return bool(self._specs)

    def pinged(self, labels: Mapping[str, str]) -> list[str]:
        """The heartbeats an alert with ``labels`` pings."""
        return [name for name, matchers in self._specs if matches_all(matchers, labels)]
