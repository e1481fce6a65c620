"""The public status page's vocabulary and its top-level status.

Statuses, impacts and their order are Atlassian Statuspage's, so a page reads the same to
people (and to monitors that poll ``/api/v2/status.json``) as a Statuspage one:

* a component is ``operational``, ``degraded_performance``, ``partial_outage``,
  ``major_outage`` or ``under_maintenance``;
* a public incident goes ``investigating`` -> ``identified`` -> ``monitoring`` ->
  ``resolved`` and has an impact ``none``, ``minor``, ``major`` or ``critical``;
* a scheduled maintenance goes ``scheduled`` -> ``in_progress`` -> ``verifying`` ->
  ``completed``.

``overall`` follows Atlassian's support article "Top-level status and incident impact
calculations" (support.atlassian.com/statuspage/docs/top-level-status-and-incident-impact-
calculations/): the words are the ones listed there (All Systems Operational, Major System
Outage, Partial System Outage, Minor Service Outage, Degraded System Service, Partially
Degraded Service, Service Under Maintenance); "all components" in a state reads stronger
than "some"; with no components only the unresolved incidents count. The ``indicator`` is
the one ``/api/v2/status.json`` carries: ``none``, ``minor``, ``major``, ``critical`` or
``maintenance``; an unresolved incident raises it to at least its impact.

A component's status is what people set it to, and what the active incidents and
maintenances hold it at (``held``): the worst of those holds wins, so a maintenance
starting, or another incident resolving, never hides an outage still going on.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "ComponentStatus",
    "Impact",
    "IncidentStatus",
    "MaintenanceStatus",
    "Overall",
    "control_character",
    "held",
    "impact_of",
    "overall",
    "worst",
]


class ComponentStatus(enum.StrEnum):
    OPERATIONAL = "operational"
    DEGRADED = "degraded_performance"
    PARTIAL = "partial_outage"
    MAJOR = "major_outage"
    MAINTENANCE = "under_maintenance"

    @property
    def severity(self) -> int:
        """Worse is higher; maintenance is planned, so it ranks just above operational."""
        return _SEVERITY[self]

    @property
    def label(self) -> str:
        return _LABELS[self]


_SEVERITY = {
    ComponentStatus.OPERATIONAL: 0,
    ComponentStatus.MAINTENANCE: 1,
    ComponentStatus.DEGRADED: 2,
    ComponentStatus.PARTIAL: 3,
    ComponentStatus.MAJOR: 4,
}
_LABELS = {
    ComponentStatus.OPERATIONAL: "Operational",
    ComponentStatus.MAINTENANCE: "Under maintenance",
    ComponentStatus.DEGRADED: "Degraded performance",
    ComponentStatus.PARTIAL: "Partial outage",
    ComponentStatus.MAJOR: "Major outage",
}


class IncidentStatus(enum.StrEnum):
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"


class MaintenanceStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    VERIFYING = "verifying"
    COMPLETED = "completed"


class Impact(enum.StrEnum):
    NONE = "none"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _IMPACT_RANK[self]


_IMPACT_RANK = {Impact.NONE: 0, Impact.MINOR: 2, Impact.MAJOR: 3, Impact.CRITICAL: 4}
#: The indicator's order: maintenance is above none and below any outage.
_INDICATOR_RANK = {"none": 0, "maintenance": 1, "minor": 2, "major": 3, "critical": 4}
_IMPACT_WORDS = {
    Impact.MINOR: "Minor Service Outage",
    Impact.MAJOR: "Partial System Outage",
    Impact.CRITICAL: "Major System Outage",
}
ALL_OK = "All Systems Operational"


@dataclass(frozen=True)
class Overall:
    """``status`` of ``/api/v2/status.json``: an indicator and its words."""

    indicator: str
    description: str


def worst(statuses: Iterable[ComponentStatus]) -> ComponentStatus:
    """The most severe status (operational when there are none)."""
    return max(statuses, key=lambda s: s.severity, default=ComponentStatus.OPERATIONAL)


def _from_components(statuses: Sequence[ComponentStatus]) -> Overall:
    if not statuses:
        return Overall("none", ALL_OK)
    every = set(statuses)
    bad = worst(statuses)
    alone = len(every) == 1
    if bad is ComponentStatus.MAJOR:
        return (
            Overall("critical", "Major System Outage")
            if alone
            else Overall("major", "Partial System Outage")
        )
    if bad is ComponentStatus.PARTIAL:
        return (
            Overall("major", "Partial System Outage")
            if alone
            else Overall("minor", "Minor Service Outage")
        )
    if bad is ComponentStatus.DEGRADED:
        return (
            Overall("minor", "Degraded System Service")
            if alone
            else Overall("minor", "Partially Degraded Service")
        )
    if bad is ComponentStatus.MAINTENANCE:
        return Overall("maintenance", "Service Under Maintenance")
    return Overall("none", ALL_OK)


def overall(
    components: Sequence[ComponentStatus],
    unresolved: Iterable[Impact] = (),
    *,
    maintenance_in_progress: bool = False,
) -> Overall:
    """The page's top-level status from every component's status and the impacts of the
    unresolved incidents; a maintenance in progress makes it at least ``maintenance``."""
    found = _from_components(components)
    if maintenance_in_progress and _INDICATOR_RANK[found.indicator] < 1:
        found = Overall("maintenance", "Service Under Maintenance")
    impact = max(unresolved, key=lambda i: i.rank, default=Impact.NONE)
    if impact is not Impact.NONE and impact.rank > _INDICATOR_RANK[found.indicator]:
        return Overall(impact.value, _IMPACT_WORDS[impact])
    return found


def impact_of(statuses: Iterable[ComponentStatus]) -> Impact:
    """An incident's impact when none is given, from its components' statuses (the same
    article: a major outage is critical, a partial outage major, degraded performance
    minor)."""
    bad = worst(statuses)
    if bad is ComponentStatus.MAJOR:
        return Impact.CRITICAL
    if bad is ComponentStatus.PARTIAL:
        return Impact.MAJOR
    if bad is ComponentStatus.DEGRADED:
        return Impact.MINOR
    return Impact.NONE


def held(
    current: ComponentStatus,
    others: Iterable[ComponentStatus],
    *,
    stated: ComponentStatus | None = None,
    default: ComponentStatus | None = None,
    let_go: ComponentStatus | None = None,
) -> ComponentStatus:
    """A component's status after one incident (or maintenance) changes what it holds the
    component at; ``others`` are what the other active ones hold it at. Exactly one of:

    * ``stated``: an update says the component is now this: the worst of it and the others;
    * ``default``: the item holds it at this without saying so (a maintenance starting puts
      its components under maintenance): the worst of it, the others and ``current``, so an
      outage (held or set by hand) is never hidden by planned work;
    * ``let_go``: the item (resolved, completed or deleted) held it at this and no longer
      does: when the component still shows it, the worst of the others (operational when
      there are none); otherwise someone changed it since, and it stays as it is.
    """
    rest = list(others)
    if stated is not None:
        return worst([stated, *rest])
    if default is not None:
        return worst([default, current, *rest])
    if let_go is not None and current is let_go:
        return worst(rest)
    return current


#: Line and paragraph separators break a mail header as a line break does.
_SEPARATORS = {"\u2028", "\u2029", "\x85"}


def control_character(text: str) -> str | None:
    """The first control character (C0, DEL, C1, or a line/paragraph separator) in
    ``text`` as U+XXXX; None when there is none. Names go into mail subjects, where a line
    break is an error at best and a header injection at worst."""
    for ch in text:
        code = ord(ch)
        if code < 0x20 or 0x7F <= code <= 0x9F or ch in _SEPARATORS:
            return f"U+{code:04X}"
    return None
