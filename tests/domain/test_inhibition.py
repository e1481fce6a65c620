"""Inhibition, table-driven, with Alertmanager's rules (inhibit/inhibit.go)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tocsin.domain.inhibition import Inhibitor, InhibitRule, SourceAlert
from tocsin.domain.matchers import parse_matchers

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

CRITICAL_MUTES_WARNING = InhibitRule(
    source=tuple(parse_matchers('severity="critical"')),
    target=tuple(parse_matchers('severity="warning"')),
    equal=("cluster", "alertname"),
)


def source(fp: str, ends_at: datetime | None = None, **labels: str) -> SourceAlert:
    return SourceAlert(fp, labels, ends_at)


@pytest.mark.parametrize(
    ("alerts", "target", "inhibited_by"),
    [
        # A firing critical with equal labels inhibits the warning.
        (
            [source("c1", severity="critical", cluster="a", alertname="Down")],
            {"severity": "warning", "cluster": "a", "alertname": "Down"},
            "c1",
        ),
        # Different value of an `equal` label: no.
        (
            [source("c1", severity="critical", cluster="b", alertname="Down")],
            {"severity": "warning", "cluster": "a", "alertname": "Down"},
            None,
        ),
        # `equal` label missing on both counts as equal.
        (
            [source("c1", severity="critical", alertname="Down")],
            {"severity": "warning", "alertname": "Down"},
            "c1",
        ),
        # Missing on one side only: not equal.
        (
            [source("c1", severity="critical", alertname="Down")],
            {"severity": "warning", "cluster": "a", "alertname": "Down"},
            None,
        ),
        # Target matchers do not match: never inhibited.
        (
            [source("c1", severity="critical", cluster="a", alertname="Down")],
            {"severity": "critical", "cluster": "a", "alertname": "Down"},
            None,
        ),
        # A source whose endsAt has passed inhibits nothing.
        (
            [source("c1", NOW, severity="critical", cluster="a", alertname="Down")],
            {"severity": "warning", "cluster": "a", "alertname": "Down"},
            None,
        ),
        (
            [
                source(
                    "c1",
                    NOW + timedelta(seconds=1),
                    severity="critical",
                    cluster="a",
                    alertname="Down",
                )
            ],
            {"severity": "warning", "cluster": "a", "alertname": "Down"},
            "c1",
        ),
        # No sources at all.
        ([], {"severity": "warning", "cluster": "a", "alertname": "Down"}, None),
    ],
)
def test_inhibition(
    alerts: list[SourceAlert], target: dict[str, str], inhibited_by: str | None
) -> None:
    inhibitor = Inhibitor([CRITICAL_MUTES_WARNING], alerts)
    assert inhibitor.inhibited_by(target, NOW) == inhibited_by
    assert inhibitor.mutes(target, NOW) is (inhibited_by is not None)


def test_an_alert_matching_both_sides_does_not_inhibit_its_like() -> None:
    # Rule: any "Down" alert inhibits any other "Down" alert in the same cluster.
    rule = InhibitRule(
        source=tuple(parse_matchers('alertname="Down"')),
        target=tuple(parse_matchers('alertname="Down"')),
        equal=("cluster",),
    )
    a = source("a", alertname="Down", cluster="x", instance="1")
    b = source("b", alertname="Down", cluster="x", instance="2")
    inhibitor = Inhibitor([rule], [a, b])
    assert inhibitor.inhibited_by(dict(a.labels), NOW) is None
    assert inhibitor.inhibited_by(dict(b.labels), NOW) is None


def test_two_sided_target_is_still_inhibited_by_a_one_sided_source() -> None:
    rule = InhibitRule(
        source=tuple(parse_matchers('severity=~"critical|page"')),
        target=tuple(parse_matchers('severity=~"page|warning"')),
        equal=(),
    )
    only_source = source("s", severity="critical")
    both = {"severity": "page"}
    assert Inhibitor([rule], [only_source]).inhibited_by(both, NOW) == "s"
    assert Inhibitor([rule], [source("p", severity="page")]).inhibited_by(both, NOW) is None
