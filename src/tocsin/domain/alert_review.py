"""The monthly alert review, as pure functions over plain facts (docs/reports.md).

Per alert (its ``alertname`` and ``service`` labels) over a period [start, end):

- **fired**: its firings that started in the period. A firing is one stored alert: an alert
  that resolves and fires again is a new firing (domain/alerts.py).
- **incidents**: the incidents it was linked to in the period (merged ones left out); of
  those, how many **paged** someone (a page message was made for the incident), were
  **acknowledged**, and were **actioned**.
- **actioned** (led to a human action): the incident has an action item, or a person (any
  actor but Tocsin's own engine) mitigated or resolved it *and* left a note: a note on the
  mitigation or resolution itself, or a ``note`` / ``slack-note`` timeline entry.
- **auto-resolved**: firings in the period that resolved by themselves (the source said so,
  or endsAt passed) while no incident they were part of had been acknowledged; their median
  (nearest-rank p50) time from start to resolution.
- **flapping**: firings in the period that started within ``flap_window`` (15 minutes unless
  said otherwise) of the same alert's previous firing resolving.

The **never actioned** list: alerts that fired at least ``min_fired`` times in the period and
never led to a human action, most firings first (then most pages): candidates to delete or
tune.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tocsin.domain.incident_metrics import percentile

__all__ = [
    "CLOSING_KINDS",
    "ENGINE",
    "NOTE_KINDS",
    "AlertReview",
    "AlertRow",
    "Firing",
    "IncidentLink",
    "IncidentOutcome",
    "TimelineEntry",
    "alert_review",
    "carries_note",
    "is_actioned",
]

#: The engine's name on timelines: what it does is not a human action.
ENGINE = "tocsin"
#: Timeline entries that are a person's note.
NOTE_KINDS = frozenset({"note", "slack-note"})
CLOSING_KINDS = frozenset({"mitigated", "resolved"})
FLAP_WINDOW = timedelta(minutes=15)
MIN_FIRED = 3


@dataclass(frozen=True, slots=True)
class Firing:
    fingerprint: str
    alertname: str
    service: str | None
    starts_at: datetime
    #: When it stopped firing (None: still firing).
    resolved_at: datetime | None


@dataclass(frozen=True, slots=True)
class IncidentLink:
    """An alert (by fingerprint) linked to an incident at ``added_at``."""

    incident_id: int
    fingerprint: str
    added_at: datetime


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    kind: str
    actor: str
    text: str
    #: ``via`` of a resolution (api, link, sms, slack ...), else "".
    via: str = ""


@dataclass(frozen=True, slots=True)
class IncidentOutcome:
    id: int
    created_at: datetime
    team: str | None
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    merged_into: int | None
    paged: bool
    actioned: bool


def carries_note(entry: TimelineEntry) -> bool:
    """Whether a mitigation or resolution entry says more than who did it (the desk writes
    ``Mitigated by ann`` / ``Resolved by ann (api)``, then ``: the note``)."""
    if entry.kind == "mitigated":
        return entry.text.startswith(f"Mitigated by {entry.actor}: ")
    if entry.kind == "resolved":
        return entry.text.startswith(f"Resolved by {entry.actor} ({entry.via}): ")
    return False


def is_actioned(entries: Iterable[TimelineEntry], has_action_item: bool) -> bool:
    """Whether an incident led to a human action (the module's definition)."""
    if has_action_item:
        return True
    closed = noted = False
    for e in entries:
        if e.actor == ENGINE:
            continue
        if e.kind in CLOSING_KINDS:
            closed = True
            noted = noted or carries_note(e)
        elif e.kind in NOTE_KINDS:
            noted = True
    return closed and noted


@dataclass(frozen=True)
class AlertRow:
    alertname: str
    service: str | None
    fired: int
    incidents: int
    paged: int
    acknowledged: int
    actioned: int
    auto_resolved: int
    #: Seconds, nearest-rank median (None: none auto-resolved).
    median_auto_resolve: float | None
    flapping: int


@dataclass(frozen=True)
class AlertReview:
    start: datetime
    end: datetime
    flap_window: timedelta
    min_fired: int
    #: Most firings first.
    rows: tuple[AlertRow, ...]
    #: Fired at least ``min_fired`` times, never actioned; most firings first, then most pages.
    never_actioned: tuple[AlertRow, ...]


Key = tuple[str, str | None]


def _auto_resolved(
    f: Firing, links: Sequence[IncidentLink], incidents: Mapping[int, IncidentOutcome]
) -> bool:
    """Resolved while no incident it was part of (open at some time during the firing) had
    been acknowledged."""
    if f.resolved_at is None:
        return False
    for link in links:
        i = incidents.get(link.incident_id)
        if i is None or i.created_at > f.resolved_at:
            continue
        if i.resolved_at is not None and i.resolved_at < f.starts_at:
            continue
        if i.acknowledged_at is not None and i.acknowledged_at <= f.resolved_at:
            return False
    return True


def _flaps(firings: Sequence[Firing], start: datetime, end: datetime, window: timedelta) -> int:
    """Firings (sorted by start) in the period that began within ``window`` of the one
    before them resolving."""
    count = 0
    for before, f in zip(firings, firings[1:], strict=False):
        if not start <= f.starts_at < end or before.resolved_at is None:
            continue
        if timedelta(0) <= f.starts_at - before.resolved_at <= window:
            count += 1
    return count


def alert_review(
    firings: Iterable[Firing],
    links: Iterable[IncidentLink],
    incidents: Iterable[IncidentOutcome],
    start: datetime,
    end: datetime,
    *,
    flap_window: timedelta = FLAP_WINDOW,
    min_fired: int = MIN_FIRED,
    service: str | None = None,
    team: str | None = None,
) -> AlertReview:
    """The review of [start, end). ``firings`` may include earlier ones (to tell a flap at
    the period's start, and which alert a linked fingerprint is); ``links`` and
    ``incidents`` every incident open at some time in the period. ``service``: only that
    alert service; ``team``: only alerts linked to that team's incidents, counting only
    those incidents."""
    by_id = {i.id: i for i in incidents if i.merged_into is None}
    if team is not None:
        by_id = {k: i for k, i in by_id.items() if i.team == team}
    identity: dict[str, Key] = {}
    per_fp: dict[str, list[Firing]] = {}
    for f in firings:
        identity[f.fingerprint] = (f.alertname, f.service)
        per_fp.setdefault(f.fingerprint, []).append(f)
    links_of: dict[str, list[IncidentLink]] = {}
    in_period: dict[Key, set[int]] = {}
    for link in links:
        if link.incident_id not in by_id:
            continue
        links_of.setdefault(link.fingerprint, []).append(link)
        key = identity.get(link.fingerprint)
        if key is not None and start <= link.added_at < end:
            in_period.setdefault(key, set()).add(link.incident_id)

    fired: dict[Key, int] = {}
    auto: dict[Key, list[float]] = {}
    flapping: dict[Key, int] = {}
    for fp, mine in per_fp.items():
        key = identity[fp]
        mine.sort(key=lambda f: f.starts_at)
        flapping[key] = flapping.get(key, 0) + _flaps(mine, start, end, flap_window)
        for f in mine:
            if not start <= f.starts_at < end:
                continue
            fired[key] = fired.get(key, 0) + 1
            if _auto_resolved(f, links_of.get(fp, ()), by_id):
                assert f.resolved_at is not None
                auto.setdefault(key, []).append((f.resolved_at - f.starts_at).total_seconds())

    keys = set(fired) | set(in_period)
    if service is not None:
        keys = {k for k in keys if k[1] == service}
    if team is not None:
        keys &= set(in_period)
    rows = []
    for key in keys:
        ids = in_period.get(key, set())
        times = sorted(auto.get(key, []))
        rows.append(
            AlertRow(
                alertname=key[0],
                service=key[1],
                fired=fired.get(key, 0),
                incidents=len(ids),
                paged=sum(1 for i in ids if by_id[i].paged),
                acknowledged=sum(1 for i in ids if by_id[i].acknowledged_at is not None),
                actioned=sum(1 for i in ids if by_id[i].actioned),
                auto_resolved=len(times),
                median_auto_resolve=percentile(times, 50) if times else None,
                flapping=flapping.get(key, 0),
            )
        )
    rows.sort(key=lambda r: (-r.fired, -r.incidents, r.alertname, r.service or ""))
    never = [r for r in rows if r.fired >= min_fired and r.actioned == 0]
    never.sort(key=lambda r: (-r.fired, -r.paged, r.alertname, r.service or ""))
    return AlertReview(start, end, flap_window, min_fired, tuple(rows), tuple(never))
