"""Repeat incidents: an incident repeats an earlier one, opened no longer than the repeat
window before it (30 days by default), when both are of the same service and root-cause
category, or when they share an alert (fingerprint).

Categories are compared without regard to case or surrounding spaces ("Deploy" is
"deploy"); an incident with no service or no category is never matched on them (an alert
it shares still counts).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

__all__ = [
    "IncidentFacts",
    "Reason",
    "Repeat",
    "count_repeats",
    "repeating_ids",
    "repeats",
    "repeats_of",
]


class Reason(StrEnum):
    SAME_SERVICE_AND_CATEGORY = "same_service_and_category"
    SHARED_ALERT = "shared_alert"


@dataclass(frozen=True)
class IncidentFacts:
    """What tells whether incidents repeat one another."""

    id: int
    service: str | None
    created_at: datetime
    #: The root-cause category of its postmortem (None: no postmortem or no category).
    category: str | None
    fingerprints: frozenset[str] = frozenset()

    @property
    def kind(self) -> tuple[str, str] | None:
        """(service, category) normalised, or None when either is missing."""
        service = (self.service or "").strip()
        category = (self.category or "").strip().casefold()
        return (service, category) if service and category else None


@dataclass(frozen=True)
class Repeat:
    """``incident_id`` repeats the earlier ``earlier_id``, for these reasons."""

    incident_id: int
    earlier_id: int
    earlier_at: datetime
    reasons: tuple[Reason, ...]
    #: The shared category as the earlier incident's postmortem spells it (None: no match
    #: on service and category).
    category: str | None
    #: The alert fingerprints both had.
    fingerprints: tuple[str, ...]

    def describe(self) -> str:
        """``same service and category: deploy; shared alert``."""
        words = []
        if Reason.SAME_SERVICE_AND_CATEGORY in self.reasons:
            words.append(f"same service and category: {self.category}")
        if Reason.SHARED_ALERT in self.reasons:
            n = len(self.fingerprints)
            words.append("shared alert" if n == 1 else f"{n} shared alerts")
        return "; ".join(words)


def _order(f: IncidentFacts) -> tuple[datetime, int]:
    return (f.created_at, f.id)


def repeats_of(
    incident: IncidentFacts, others: Iterable[IncidentFacts], window: timedelta
) -> list[Repeat]:
    """The earlier incidents among ``others`` that ``incident`` repeats, newest first."""
    found = []
    for earlier in others:
        if _order(earlier) >= _order(incident):
            continue
        if incident.created_at - earlier.created_at > window:
            continue
        link = _link(incident, earlier)
        if link is not None:
            found.append(link)
    return sorted(found, key=lambda r: (r.earlier_at, r.earlier_id), reverse=True)


def _link(incident: IncidentFacts, earlier: IncidentFacts) -> Repeat | None:
    reasons = []
    kind = incident.kind
    if kind is not None and kind == earlier.kind:
        reasons.append(Reason.SAME_SERVICE_AND_CATEGORY)
    shared = tuple(sorted(incident.fingerprints & earlier.fingerprints))
    if shared:
        reasons.append(Reason.SHARED_ALERT)
    if not reasons:
        return None
    return Repeat(
        incident.id,
        earlier.id,
        earlier.created_at,
        tuple(reasons),
        (earlier.category or "").strip() if Reason.SAME_SERVICE_AND_CATEGORY in reasons else None,
        shared,
    )


class _Index:
    """Incidents by what makes them repeat (kind, fingerprint), each list in time order."""

    def __init__(self, facts: Sequence[IncidentFacts]) -> None:
        self.by: dict[Hashable, list[IncidentFacts]] = defaultdict(list)
        unique = {f.id: f for f in facts}
        for f in sorted(unique.values(), key=_order):
            for key in self.keys(f):
                self.by[key].append(f)
        self.times = {key: [f.created_at for f in found] for key, found in self.by.items()}

    @staticmethod
    def keys(f: IncidentFacts) -> list[Hashable]:
        kind = f.kind
        return ([("kind", kind)] if kind is not None else []) + [
            ("alert", fp) for fp in f.fingerprints
        ]

    def earlier(self, f: IncidentFacts, key: Hashable, window: timedelta) -> list[IncidentFacts]:
        found, times = self.by[key], self.times[key]
        start = bisect_left(times, f.created_at - window)
        end = bisect_right(times, f.created_at)
        return [e for e in found[start:end] if _order(e) < _order(f)]


def repeats(
    incidents: Sequence[IncidentFacts],
    window: timedelta,
    among: Iterable[IncidentFacts] = (),
) -> dict[int, list[Repeat]]:
    """For each of ``incidents``: the earlier ones (of ``incidents`` and ``among``) it
    repeats, newest first. Every incident has an entry (empty: not a repeat)."""
    index = _Index([*incidents, *among])
    out: dict[int, list[Repeat]] = {}
    for f in incidents:
        seen: dict[int, IncidentFacts] = {}
        for key in index.keys(f):
            for e in index.earlier(f, key, window):
                seen[e.id] = e
        out[f.id] = repeats_of(f, seen.values(), window)
    return out


def repeating_ids(
    incidents: Sequence[IncidentFacts],
    window: timedelta,
    among: Iterable[IncidentFacts] = (),
) -> set[int]:
    """The ids of ``incidents`` that repeat an earlier incident (of ``incidents`` or
    ``among``, e.g. those of the window before a report's period)."""
    index = _Index([*incidents, *among])
    return {f.id for f in incidents if any(index.earlier(f, key, window) for key in index.keys(f))}


def count_repeats(
    incidents: Sequence[IncidentFacts],
    window: timedelta,
    among: Iterable[IncidentFacts] = (),
) -> int:
    """How many of ``incidents`` repeat an earlier incident (see ``repeating_ids``)."""
    return len(repeating_ids(incidents, window, among))
