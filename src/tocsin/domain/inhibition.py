"""Inhibition, as Alertmanager's ``inhibit/inhibit.go`` does it.

A target alert is inhibited when some *firing* source alert matches the rule's source
matchers, the target matches the target matchers, and every ``equal`` label has the same
value on both (missing on both counts as equal). When the target also matches the source
matchers, source alerts that also match the target matchers are not considered, so an alert
never inhibits itself or its like.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from tocsin.domain.matchers import Matcher, matches_all

__all__ = ["InhibitRule", "Inhibitor", "SourceAlert"]


@dataclass(frozen=True)
class InhibitRule:
    source: tuple[Matcher, ...]
    target: tuple[Matcher, ...]
    equal: tuple[str, ...]


@dataclass(frozen=True)
class SourceAlert:
    fingerprint: str
    labels: Mapping[str, str]
    #: None: fires until resolved. An alert whose endsAt has passed no longer inhibits.
    ends_at: datetime | None = None


class Inhibitor:
    """The inhibition state for one moment: the rules and the alerts that could be sources."""

    def __init__(self, rules: Iterable[InhibitRule], alerts: Iterable[SourceAlert]) -> None:
        self.rules = tuple(rules)
        candidates = list(alerts)
        self._sources = [
            [a for a in candidates if matches_all(rule.source, a.labels)] for rule in self.rules
        ]

    def inhibited_by(self, labels: Mapping[str, str], now: datetime) -> str | None:
        """The fingerprint of an alert that inhibits one with ``labels``, or None."""
        for rule, sources in zip(self.rules, self._sources, strict=True):
            if not matches_all(rule.target, labels):
                continue
            two_sided = matches_all(rule.source, labels)
            for source in sources:
                if source.ends_at is not None and source.ends_at <= now:
                    continue
                if any(source.labels.get(n, "") != labels.get(n, "") for n in rule.equal):
                    continue
                if two_sided and matches_all(rule.target, source.labels):
                    continue
                return source.fingerprint
        return None

    def mutes(self, labels: Mapping[str, str], now: datetime) -> bool:
        return self.inhibited_by(labels, now) is not None
