"""Silences: matchers and a time window that mute matching alerts (Alertmanager's model)."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from tocsin.domain.matchers import Matcher, MatchOp, matches_all
from tocsin.domain.time_intervals import TimeInterval

__all__ = ["Silence", "SilenceState", "Silencer", "silence_problems"]


class SilenceState(enum.StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    EXPIRED = "expired"


@dataclass(frozen=True)
class Silence:
    id: str
    matchers: tuple[Matcher, ...]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str
    updated_at: datetime
    #: Tocsin: a recurring maintenance window. Between startsAt and endsAt the silence
    #: mutes only while this time interval holds (e.g. Sundays 02:00-04:00).
    recurrence: TimeInterval | None = None

    def state(self, now: datetime) -> SilenceState:
        """Pending before startsAt, active on [startsAt, endsAt), expired from endsAt."""
        if now < self.starts_at:
            return SilenceState.PENDING
        if now < self.ends_at:
            return SilenceState.ACTIVE
        return SilenceState.EXPIRED

    def in_effect(self, now: datetime) -> bool:
        """Active, and (for a recurring one) inside its time interval."""
        return self.state(now) is SilenceState.ACTIVE and (
            self.recurrence is None or self.recurrence.contains(now)
        )

    def mutes(self, labels: Mapping[str, str], now: datetime) -> bool:
        return self.in_effect(now) and matches_all(self.matchers, labels)


def silence_problems(
    matchers: tuple[Matcher, ...], starts_at: datetime, ends_at: datetime
) -> list[tuple[str, str]]:
    """(field, problem) pairs that make a silence invalid, as Alertmanager checks them."""
    problems: list[tuple[str, str]] = []
    if not matchers:
        problems.append(("matchers", "at least one matcher is required"))
    elif all(m.matches({}) for m in matchers):
        problems.append(("matchers", "at least one matcher must not match the empty string"))
    if ends_at < starts_at:
        problems.append(("endsAt", "must not be before startsAt"))
    return problems


class Silencer:
    """Which silences mute an alert. The silences in effect at a moment are worked out once
    for that moment (a page or a flush asks about every alert at the same time), and indexed
    by one of their ``name="value"`` matchers, so an alert is checked against the silences
    that could match it rather than against all of them."""

    def __init__(self, silences: Iterable[Silence]) -> None:
        self.silences = tuple(silences)
        self._at: datetime | None = None
        self._in_effect: tuple[Silence, ...] = ()
        self._by_pair: dict[tuple[str, str], list[int]] = {}
        self._unindexed: list[int] = []

    def in_effect(self, now: datetime) -> tuple[Silence, ...]:
        if now != self._at:
            self._in_effect = tuple(s for s in self.silences if s.in_effect(now))
            self._by_pair, self._unindexed = {}, []
            for i, silence in enumerate(self._in_effect):
                pivot = next((m for m in silence.matchers if m.op is MatchOp.EQ and m.value), None)
                if pivot is None:
                    self._unindexed.append(i)
                else:
                    self._by_pair.setdefault((pivot.name, pivot.value), []).append(i)
            self._at = now
        return self._in_effect

    def silenced_by(self, labels: Mapping[str, str], now: datetime) -> list[str]:
        """Ids of the active silences that mute an alert with ``labels``, in order."""
        effective = self.in_effect(now)
        candidates = list(self._unindexed)
        for pair in labels.items():
            candidates.extend(self._by_pair.get(pair, ()))
        if len(candidates) > 1:
            candidates.sort()
        return [effective[i].id for i in candidates if matches_all(effective[i].matchers, labels)]

    def mutes(self, labels: Mapping[str, str], now: datetime) -> bool:
        return bool(self.silenced_by(labels, now))
