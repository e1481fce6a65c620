"""How a team learns from incidents, as configured: which incidents need a postmortem and
by when, how action items are chased, and what counts as a healthy on-call load
(``postmortems:`` and ``reports:`` in tocsin.yaml, ``config/learning``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta

__all__ = ["HealthPolicy", "PostmortemPolicy", "WEEKDAYS"]

#: Monday is 0, as ``datetime.weekday``.
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class PostmortemPolicy:
    #: Severities whose incidents need a postmortem (others get one on request).
    required_for: frozenset[str] = frozenset({"SEV1", "SEV2"})
    #: Due this many business days after the incident is resolved.
    due_business_days: int = 5
    #: The days that count as business days (0 = Monday).
    business_days: frozenset[int] = frozenset(range(5))
    #: The time zone business days are counted in.
    time_zone: str = "UTC"
    #: The Markdown template with placeholders; None: the built-in blameless template.
    template: str | None = None
    #: Root-cause categories offered (free text is allowed when empty).
    categories: tuple[str, ...] = ()
    #: Action item owners are reminded this long before the due date, and this long after
    #: it (then again every ``remind_after``) while the item is not done.
    remind_before: timedelta = timedelta(days=2)
    remind_after: timedelta = timedelta(days=1)
    #: A review of the action items is asked for this long after publication.
    follow_up_review: timedelta = timedelta(days=14)


@dataclass(frozen=True)
class HealthPolicy:
    """On-call health: what counts as working hours and sleep hours (in each person's own
    time zone), and how many pages a shift is too many on average."""

    working_days: frozenset[int] = frozenset(range(5))
    working_start: time = time(9, 0)
    working_end: time = time(18, 0)
    sleep_start: time = time(22, 0)
    sleep_end: time = time(7, 0)
    page_budget: float = 2.0
    #: Incidents of one service and root-cause category, or sharing an alert fingerprint,
    #: within this span are repeats.
    repeat_window: timedelta = field(default=timedelta(days=30))
