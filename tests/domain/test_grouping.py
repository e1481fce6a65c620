"""Group timing and Alertmanager's needsUpdate, table-driven (shared/specs/alertmanager.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tocsin.domain.grouping import (
    SentRecord,
    first_flush_at,
    group_key,
    needs_update,
    next_tick_at,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
S = timedelta(seconds=1)


def test_group_key_is_route_path_and_group_labels() -> None:
    key = group_key('{}/{severity="critical"}', {"alertname": "ReplicationLag"})
    assert key == '{}/{severity="critical"}:{alertname="ReplicationLag"}'
    assert group_key("{}", {}) == "{}:{}"
    assert group_key("{}", {"b": "2", "a": 'q"x'}) == '{}:{a="q\\"x", b="2"}'


@pytest.mark.parametrize(
    ("earliest_start", "expected"),
    [
        (None, T0 + 30 * S),
        (T0, T0 + 30 * S),
        (T0 - 30 * S, T0 + 30 * S),  # exactly group_wait old: still waits
        (T0 - 31 * S, T0),  # older than group_wait: flush at once
    ],
)
def test_first_flush(earliest_start: datetime | None, expected: datetime) -> None:
    assert first_flush_at(T0, 30 * S, earliest_start) == expected


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (T0 - S, T0),
        (T0, T0 + 5 * S),
        (T0 + 4 * S, T0 + 5 * S),
        (T0 + 5 * S, T0 + 10 * S),
        (T0 + 12 * S, T0 + 15 * S),  # a fixed schedule, not counted from arrivals
    ],
)
def test_ticks_are_on_a_fixed_schedule(after: datetime, expected: datetime) -> None:
    assert next_tick_at(T0, 5 * S, after) == expected


def rec(firing: set[str], resolved: set[str] = frozenset(), at: datetime = T0) -> SentRecord:  # type: ignore[assignment]
    return SentRecord(frozenset(firing), frozenset(resolved), at)


@pytest.mark.parametrize(
    ("last", "firing", "resolved", "send_resolved", "now", "expected", "why"),
    [
        (None, {"a"}, set(), True, T0, True, "never sent, something fires"),
        (None, set(), {"a"}, True, T0, False, "never sent, only resolved"),
        (rec({"a"}), {"a", "b"}, set(), True, T0 + S, True, "a new alert"),
        (rec({"a", "b"}), {"a"}, {"b"}, False, T0 + S, False, "shrinking, no send_resolved"),
        (rec({"a", "b"}), {"a"}, {"b"}, True, T0 + S, True, "shrinking, send_resolved"),
        (rec({"a"}, {"b"}), {"a"}, {"b"}, True, T0 + S, False, "resolved already reported"),
        (rec({"a"}), set(), {"a"}, False, T0 + S, True, "all resolved (log cleared)"),
        (rec(set(), {"a"}), set(), set(), True, T0 + S, False, "nothing then, nothing now"),
        (rec({"a"}), {"a"}, set(), True, T0 + 4 * 3600 * S - S, False, "before repeat"),
        # Alertmanager: the last notification must be strictly older than repeat_interval.
        (rec({"a"}), {"a"}, set(), True, T0 + 4 * 3600 * S, False, "repeat_interval just reached"),
        (rec({"a"}), {"a"}, set(), True, T0 + 4 * 3600 * S + S, True, "repeat_interval passed"),
        (rec({"a", "b"}), {"a"}, set(), True, T0 + S, False, "silenced alert leaves"),
    ],
)
def test_needs_update(
    last: SentRecord | None,
    firing: set[str],
    resolved: set[str],
    send_resolved: bool,
    now: datetime,
    expected: bool,
    why: str,
) -> None:
    got = needs_update(
        last,
        firing,
        resolved,
        send_resolved=send_resolved,
        repeat_interval=timedelta(hours=4),
        now=now,
    )
    assert got is expected, why


def test_repeats_come_at_the_first_tick_after_the_repeat_interval() -> None:
    # group_interval 2s, repeat_interval 5s: Alertmanager repeats every 6 s.
    sent_at, sends = T0, []
    tick = T0
    for _ in range(10):
        tick = next_tick_at(T0, 2 * S, tick)
        last = SentRecord(frozenset({"a"}), frozenset(), sent_at)
        if needs_update(last, {"a"}, set(), send_resolved=True, repeat_interval=5 * S, now=tick):
            sent_at = tick
            sends.append((tick - T0).seconds)
    assert sends == [6, 12, 18]
