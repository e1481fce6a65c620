"""Repeat incidents as a pure rule: same service and root-cause category, or a shared
alert, within the repeat window (30 days)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tocsin.domain.repeats import (
    IncidentFacts,
    Reason,
    Repeat,
    count_repeats,
    repeating_ids,
    repeats,
    repeats_of,
)

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
DAY = timedelta(days=1)
WINDOW = timedelta(days=30)
SAME = Reason.SAME_SERVICE_AND_CATEGORY
SHARED = Reason.SHARED_ALERT


def facts(
    id: int,
    days: float,
    service: str | None = "api",
    category: str | None = "deploy",
    fps: tuple[str, ...] = (),
) -> IncidentFacts:
    return IncidentFacts(id, service, T0 + days * DAY, category, frozenset(fps))


EARLIER = facts(1, 0, fps=("aaa",))


@pytest.mark.parametrize(
    ("later", "reasons"),
    [
        (facts(2, 30), (SAME,)),  # exactly 30 days later: within
        (facts(2, 31), ()),  # 31 days: not
        (facts(2, 29, category=" Deploy "), (SAME,)),  # the same category, typed otherwise
        (facts(2, 5, service="web"), ()),  # another service
        (facts(2, 5, category="capacity"), ()),  # another category
        (facts(2, 5, category=None), ()),  # no postmortem category yet
        (facts(2, 5, service=None), ()),
        (facts(2, 5, service="web", category=None, fps=("aaa", "bbb")), (SHARED,)),
        (facts(2, 5, fps=("aaa",)), (SAME, SHARED)),
        (facts(2, 31, service="web", fps=("aaa",)), ()),  # shared, but too late
        (facts(2, -1), ()),  # earlier, not a repeat of a later one
    ],
)
def test_what_is_a_repeat(later: IncidentFacts, reasons: tuple[Reason, ...]) -> None:
    found = repeats_of(later, [EARLIER], WINDOW)
    assert [r.reasons for r in found] == ([reasons] if reasons else [])


def test_a_repeat_names_the_category_and_the_shared_alerts() -> None:
    [link] = repeats_of(facts(2, 3, category="DEPLOY", fps=("aaa", "zzz")), [EARLIER], WINDOW)
    assert link == Repeat(2, 1, T0, (SAME, SHARED), "deploy", ("aaa",))
    assert link.describe() == "same service and category: deploy; shared alert"


def test_repeats_among_many_newest_first_and_count_in_a_period() -> None:
    incidents = [
        facts(1, 0),
        facts(2, 10, service="web", fps=("f1",)),
        facts(3, 20),  # repeats 1
        facts(4, 25, service="web", category=None, fps=("f1",)),  # repeats 2 (alert)
        facts(5, 45),  # repeats 3 (25 d), not 1 (45 d)
        facts(6, 90),  # nothing within 30 days
    ]
    found = repeats(incidents, WINDOW)
    assert {i: [r.earlier_id for r in rs] for i, rs in found.items()} == {
        1: [],
        2: [],
        3: [1],
        4: [2],
        5: [3],
        6: [],
    }
    assert count_repeats(incidents, WINDOW) == 3
    assert repeating_ids(incidents, WINDOW) == {3, 4, 5}
    # A period from day 20: 3, 4 and 5 repeat, counting incidents before the period.
    period, before = incidents[2:], incidents[:2]
    assert count_repeats(period, WINDOW, before) == 3
    assert count_repeats(period, WINDOW) == 1  # without them only 5 (of 3)


def test_several_earlier_incidents_are_listed_newest_first() -> None:
    later = facts(9, 20)
    found = repeats_of(later, [facts(1, 0), facts(2, 10), facts(3, 15, service="x")], WINDOW)
    assert [r.earlier_id for r in found] == [2, 1]


def test_incidents_opened_at_the_same_moment_are_ordered_by_number() -> None:
    a, b = facts(1, 0), facts(2, 0)
    assert [r.earlier_id for r in repeats_of(b, [a], WINDOW)] == [1]
    assert repeats_of(a, [b], WINDOW) == []
    assert count_repeats([a, b], WINDOW) == 1
