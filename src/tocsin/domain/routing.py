"""Alertmanager's routing tree: which routes (and so receivers) an alert reaches.

Same semantics as Alertmanager's ``dispatch/route.go`` ``Route.Match``: depth-first,
children in order, the walk stops at the first matching child unless it has
``continue: true``, a route none of whose children match is itself the match, and the root
matches everything. Settings inherit from the parent when compiled (``config/compile.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from tocsin.domain.matchers import Matcher, matches_all
from tocsin.domain.noise import FlapPolicy, VolumePolicy

__all__ = ["GroupBy", "Route", "match_routes", "walk"]


@dataclass(frozen=True)
class GroupBy:
    """The labels a route groups by; ``everything`` is Alertmanager's ``group_by: ['...']``."""

    labels: tuple[str, ...] = ()
    everything: bool = False

    def key_of(self, labels: Mapping[str, str]) -> dict[str, str]:
        """The group labels present on an alert (absent and empty ones are left out)."""
        if self.everything:
            return {k: v for k, v in sorted(labels.items()) if v != ""}
        return {k: labels[k] for k in sorted(self.labels) if labels.get(k, "") != ""}


@dataclass(frozen=True)
class Route:
    receiver: str
    group_by: GroupBy
    group_wait: timedelta
    group_interval: timedelta
    repeat_interval: timedelta
    matchers: tuple[Matcher, ...] = ()
    continue_: bool = False
    mute_time_intervals: tuple[str, ...] = ()
    active_time_intervals: tuple[str, ...] = ()
    routes: tuple[Route, ...] = ()
    #: Alertmanager's route key: the matcher sets from the root down, e.g.
    #: ``{}/{severity="critical"}``; part of every group key.
    key: str = "{}"
    #: Unique in the tree: the key and each route's position among its siblings, like
    #: Alertmanager's ``Route.ID()``. Aggregation groups belong to a route by id.
    id: str = "{}"
    # Tocsin's noise controls (inherited like the timers; off by default):
    #: Tell receivers an alert is resolved when a silence starts muting it.
    send_resolved_on_silence: bool = False
    flap_detection: FlapPolicy | None = None
    volume: VolumePolicy = VolumePolicy()


def match_routes(route: Route, labels: Mapping[str, str]) -> list[Route]:
    """Every route the alert with ``labels`` reaches, in tree order."""
    if not matches_all(route.matchers, labels):
        return []
    found: list[Route] = []
    for child in route.routes:
        matched = match_routes(child, labels)
        found.extend(matched)
        if matched and not child.continue_:
            break
    return found or [route]


def walk(route: Route) -> list[Route]:
    """The route and all its descendants, depth-first."""
    return [route, *(r for child in route.routes for r in walk(child))]
