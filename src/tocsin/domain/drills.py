"""Drills: practice incidents that page through the real escalation path, every message
marked DRILL, left out of every metric, and a report of how the paging went.

Pure: what a drill message says, when a scheduled drill's next occurrence is (wall-clock
time in its zone, across daylight saving), and the report over an incident's timeline and
pages (``drill_report``)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

from tocsin.domain.durations import duration_text
from tocsin.domain.incidents import Incident, Severity
from tocsin.domain.tabletop import Scenario
from tocsin.domain.wallclock import local, resolve_first

__all__ = [
    "DRILL_LINE",
    "DRILL_TAG",
    "DrillPolicy",
    "DrillReport",
    "Failure",
    "LevelReport",
    "PageAttempt",
    "ScheduledDrill",
    "TimelineFact",
    "drill_report",
    "mark",
    "next_occurrence",
    "page_position",
    "parse_rrule",
]

DRILL_TAG = "[DRILL]"
DRILL_LINE = "DRILL — this is a practice page; acknowledge as you would a real one."
#: Where a scheduled drill's rule counts from (its DTSTART), in the drill's zone.
ANCHOR = datetime(2000, 1, 3)  # noqa: DTZ001 (a naive wall-clock time, on purpose)
#: Frequencies a drill may have (a drill every hour would be noise, not practice).
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
#: How the resolution a timed-out drill gets is marked (``via``).
TIMED_OUT = "drill-timeout"


def mark(subject: str, body: str) -> tuple[str, str]:
    """A message about a drill: ``[DRILL]`` before the subject, the DRILL line first in the
    body. Marking a marked message changes nothing."""
    if not subject.startswith(DRILL_TAG):
        subject = f"{DRILL_TAG} {subject}"
    if not body.startswith(DRILL_LINE):
        body = f"{DRILL_LINE}\n{body}" if body else DRILL_LINE
    return subject, body


# -- scheduled drills ------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduledDrill:
    """``drills.scheduled[]``: a drill declared on ``policy`` at each occurrence of
    ``rrule`` (wall-clock time in ``time_zone``)."""

    policy: str
    rrule: str
    time_zone: str = "UTC"
    severity: Severity = Severity.SEV3
    title: str = ""

    @property
    def id(self) -> str:
        """Stable while the entry is unchanged (its place in the list does not matter)."""
        text = "\n".join((self.policy, self.rrule, self.time_zone, self.severity, self.title))
        return f"{self.policy[:60]}-{hashlib.sha256(text.encode()).hexdigest()[:10]}"

    @property
    def headline(self) -> str:
        return self.title or f"Scheduled drill of {self.policy}"


@dataclass(frozen=True)
class DrillPolicy:
    """``drills:`` in tocsin.yaml."""

    #: An unacknowledged drill is resolved this long after its policy ran out (an
    #: acknowledged one this long after the acknowledgement).
    timeout: timedelta = timedelta(hours=1)
    #: The tabletop scenarios, by name (the file's stem).
    scenarios: Mapping[str, Scenario] = field(default_factory=dict)
    scenarios_dir: str | None = None
    scheduled: tuple[ScheduledDrill, ...] = ()

    def schedule(self, schedule_id: str) -> ScheduledDrill | None:
        return next((s for s in self.scheduled if s.id == schedule_id), None)


def parse_rrule(text: str) -> rrule:
    """An iCalendar RRULE (``FREQ=MONTHLY;BYDAY=1TU;BYHOUR=10``); ValueError saying what
    is wrong."""
    body = text.strip().removeprefix("RRULE:")
    if "DTSTART" in body.upper() or "\n" in body:
        raise ValueError("give only the RRULE (no DTSTART): times are wall-clock in time_zone")
    freq = re.search(r"(?:^|;)FREQ=([A-Z]+)", body.upper())
    if freq is None:
        raise ValueError("an RRULE needs FREQ=")
    if freq.group(1) not in FREQUENCIES:
        raise ValueError(f"FREQ must be one of {', '.join(FREQUENCIES)} (a drill at most daily)")
    try:
        rule = rrulestr(body, dtstart=ANCHOR)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not an RRULE: {exc}") from None
    if not isinstance(rule, rrule):
        raise ValueError("give one RRULE")
    return rule


def next_occurrence(drill: ScheduledDrill, after: datetime) -> datetime | None:
    """The first occurrence strictly after the instant ``after`` (UTC), or None. The rule
    runs on wall-clock time in the drill's zone: 10:00 stays 10:00 across daylight saving;
    a time the clocks skip happens when they resume, one they repeat happens once."""
    zone = ZoneInfo(drill.time_zone)
    rule = parse_rrule(drill.rrule)
    wall = local(after, zone)
    for _ in range(5):
        found = rule.after(wall, inc=False)
        if found is None:
            return None
        instant = resolve_first(found, zone)
        if instant > after:
            return instant
        wall = found
    return None


# -- the report ------------------------------------------------------------------------------

_KEY = re.compile(r"^tocsin-\d+-(\d+)-(\d+)/(\d+)/")


def page_position(idempotency_key: str) -> tuple[int, int] | None:
    """(loop, level), 0-based, of a page from a level of the escalation policy (its
    idempotency key names them); None for other pages (a responder asked for)."""
    found = _KEY.match(idempotency_key)
    return (int(found.group(2)), int(found.group(3))) if found else None


@dataclass(frozen=True)
class PageAttempt:
    """One page to one person by one contact method, and what became of it."""

    user: str
    method: str
    #: pending, sent, failed, cancelled
    status: str
    created_at: datetime
    sent_at: datetime | None = None
    error: str | None = None
    #: (loop, level), 0-based; None: not a level's page.
    position: tuple[int, int] | None = None
    #: The message's id (its timeline entries name it).
    message: int | None = None
    #: False: there was no address to send it to (the timeline's "Cannot page ... no
    #: address" entry reports that), so its failure is not a delivery's.
    addressed: bool = True


@dataclass(frozen=True)
class TimelineFact:
    """An entry of the incident's timeline, as the report reads it."""

    at: datetime
    kind: str
    actor: str
    text: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Failure:
    #: delivery, pending, nobody-on-call, skipped, no-contact, timed-out, fallback
    kind: str
    text: str
    level: int | None = None


@dataclass(frozen=True)
class LevelReport:
    level: int
    #: The pass over the policy (1: the first).
    loop: int
    at: datetime
    users: tuple[str, ...]
    channels: tuple[str, ...]
    pages: tuple[PageAttempt, ...]
    #: acknowledged, timed out, skipped, resolved, waiting
    outcome: str
    acknowledged_by: str | None = None
    #: From this level's pages to the acknowledgement.
    time_to_ack: timedelta | None = None


@dataclass(frozen=True)
class DrillReport:
    incident_id: int
    title: str
    policy: str | None
    severity: str
    started_at: datetime
    #: When it was resolved (None: still running).
    ended_at: datetime | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    levels: tuple[LevelReport, ...]
    failures: tuple[Failure, ...]
    #: The policy ran out with nobody acknowledging.
    exhausted: bool
    #: Resolved by Tocsin after ``drills.timeout``.
    timed_out: bool
    #: Pages outside the policy's levels (responders asked for, direct pages).
    other_pages: tuple[PageAttempt, ...] = ()

    @property
    def time_to_ack(self) -> timedelta | None:
        if self.acknowledged_at is None:
            return None
        return self.acknowledged_at - self.started_at

    @property
    def verdict(self) -> str:
        if self.acknowledged_at is not None:
            return f"Acknowledged by {self.acknowledged_by} after {duration_text(self.time_to_ack)}"
        if self.exhausted and self.ended_at is not None:
            return "Nobody acknowledged: the escalation policy ran to its end"
        if self.ended_at is not None:
            return "Resolved before anyone acknowledged"
        if self.exhausted:
            return "Running: every level was paged, nobody has acknowledged yet"
        return "Running: nobody has acknowledged yet"

    def markdown(self) -> str:
        lines = [
            f"# Drill report: #{self.incident_id} {self.title}",
            "",
            f"- Policy: {self.policy or 'none'}",
            f"- Severity: {self.severity}",
            f"- Started: {self.started_at:%Y-%m-%d %H:%M:%S} UTC",
            f"- Ended: {f'{self.ended_at:%Y-%m-%d %H:%M:%S} UTC' if self.ended_at else 'running'}"
            + (" (timed out)" if self.timed_out else ""),
            f"- Outcome: {self.verdict}",
            "",
            "## Levels",
            "",
        ]
        for lv in self.levels:
            who = ", ".join([*lv.users, *(f"#{c}" for c in lv.channels)]) or "nobody"
            ack = (
                f" by {lv.acknowledged_by} after {duration_text(lv.time_to_ack)}"
                if lv.acknowledged_by
                else ""
            )
            lines.append(f"### Level {lv.level} (pass {lv.loop}): {lv.outcome}{ack}")
            lines.append(f"Paged at {lv.at:%H:%M:%S} UTC: {who}")
            for p in lv.pages:
                error = f": {p.error}" if p.error else ""
                lines.append(f"- {p.user} by {p.method}: {p.status}{error}")
            lines.append("")
        lines += ["## What failed", ""]
        lines += [f"- {f.text}" for f in self.failures] or ["- Nothing"]
        return "\n".join(lines) + "\n"


_OUTCOME_KINDS = ("escalated", "level-skipped")


def drill_report(
    incident: Incident, timeline: Sequence[TimelineFact], pages: Iterable[PageAttempt]
) -> DrillReport:
    """How a drill's paging went, level by level, and what failed: deliveries that failed,
    levels with nobody on call or nobody to page, people without a way to reach them,
    levels nobody acknowledged in time."""
    events = sorted(timeline, key=lambda e: e.at)
    ack = next((e for e in events if e.kind == "acknowledged"), None)
    resolved = next((e for e in events if e.kind == "resolved"), None)
    exhausted_at = next((e.at for e in events if e.kind == "policy-exhausted"), None)
    ack_at = ack.at if ack is not None else None
    by_position: dict[tuple[int, int], list[PageAttempt]] = {}
    other: list[PageAttempt] = []
    for page in sorted(pages, key=lambda p: (p.created_at, p.user, p.method)):
        if page.position is None:
            other.append(page)
        else:
            by_position.setdefault(page.position, []).append(page)
    steps = [e for e in events if e.kind in _OUTCOME_KINDS]
    levels: list[LevelReport] = []
    failures: list[Failure] = []
    for i, e in enumerate(steps):
        level, loop = int(e.data.get("level", 0)), int(e.data.get("loop", 1))
        following = steps[i + 1].at if i + 1 < len(steps) else None
        if e.kind == "level-skipped":
            levels.append(LevelReport(level, loop, e.at, (), (), (), "skipped"))
            failures.append(Failure("skipped", f"Level {level} reached nobody who can be paged"))
            continue
        acked_here = (
            ack_at is not None and ack_at >= e.at and (following is None or ack_at < following)
        )
        if acked_here:
            outcome = "acknowledged"
        elif following is not None and (ack_at is None or ack_at >= following):
            outcome = "timed out"
        elif resolved is not None and ack_at is None:
            # The last level: nobody acknowledged before the drill ended.
            outcome = "timed out" if exhausted_at is not None else "resolved"
        elif resolved is not None:
            outcome = "resolved"
        else:
            outcome = "waiting"
        if outcome == "timed out":
            failures.append(
                Failure("timed-out", f"Level {level} was not acknowledged in time", level)
            )
        levels.append(
            LevelReport(
                level=level,
                loop=loop,
                at=e.at,
                users=tuple(str(u) for u in e.data.get("users", ())),
                channels=tuple(str(c) for c in e.data.get("slack_channels", ())),
                pages=tuple(by_position.get((loop - 1, level - 1), ())),
                outcome=outcome,
                acknowledged_by=ack.actor if acked_here and ack is not None else None,
                time_to_ack=(ack_at - e.at) if acked_here and ack_at is not None else None,
            )
        )
    all_pages = [*(p for ps in by_position.values() for p in ps), *other]
    reported = {p.message for p in all_pages if p.message is not None}
    for e in events:
        if e.kind == "nobody-on-call":
            failures.append(Failure("nobody-on-call", e.text, e.data.get("level")))
        elif e.kind == "notify-failed" and "message" in e.data:
            # A send that failed: the page's own record reports it below.
            if e.data["message"] not in reported:
                failures.append(Failure("delivery", e.text))
        elif e.kind == "notify-failed":
            failures.append(Failure("no-contact", e.text))
        elif e.kind in ("fallback", "nobody-paged"):
            failures.append(Failure("fallback", e.text))
    for page in all_pages:
        at_level = page.position[1] + 1 if page.position else None
        last = f" (last error: {page.error})" if page.error else ""
        who = f"The page to {page.user} by {page.method}"
        if page.status == "failed" and page.addressed:
            failures.append(Failure("delivery", f"{who} failed: {page.error or '?'}", at_level))
        elif page.status == "pending" and resolved is not None:
            failures.append(
                Failure("pending", f"{who} was still unsent when the drill ended{last}", at_level)
            )
        elif page.status == "cancelled" and page.error:
            # its sends were failing until the acknowledgement cancelled it
            failures.append(
                Failure("pending", f"{who} was never sent before it was cancelled{last}", at_level)
            )
    if exhausted_at is not None and ack_at is None and resolved is not None:
        failures.append(Failure("timed-out", "Nobody acknowledged: the policy ran to its end"))
    return DrillReport(
        incident_id=incident.id,
        title=incident.title,
        policy=incident.policy,
        severity=incident.severity.value,
        started_at=incident.created_at,
        ended_at=resolved.at if resolved is not None else None,
        acknowledged_by=ack.actor if ack is not None else None,
        acknowledged_at=ack_at,
        levels=tuple(levels),
        failures=tuple(failures),
        exhausted=exhausted_at is not None and ack_at is None,
        timed_out=resolved is not None and resolved.data.get("via") == TIMED_OUT,
        other_pages=tuple(other),
    )
