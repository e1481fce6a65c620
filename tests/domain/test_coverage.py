"""Coverage gaps, hours on call and handoffs, derived from a schedule's final shifts."""

from __future__ import annotations

from datetime import time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.domain.test_schedules import NY, _window, at, schedules
from tocsin.domain.coverage import (
    Gap,
    Handoff,
    Turn,
    gaps,
    handoffs,
    hours_on_call,
    total_hours,
    turn_at,
    with_overrides,
)
from tocsin.domain.schedules import (
    Layer,
    Override,
    Restriction,
    Rotation,
    Schedule,
    Unit,
    oncall_at,
    shifts,
)

H = timedelta(hours=1)


def business_hours() -> Schedule:
    layer = Layer(
        at(NY, 2024, 3, 4, 9),
        Rotation(1, Unit.DAYS, time(9)),
        ("ann", "bob"),
        restrictions=(Restriction(time(9), 8 * H),),
    )
    return Schedule("biz", NY, (layer,))


def test_gaps_are_the_uncovered_time() -> None:
    schedule = business_hours()
    got = gaps(schedule, at(NY, 2024, 3, 4, 0), at(NY, 2024, 3, 6, 0))
    assert got == [
        Gap(at(NY, 2024, 3, 4, 0), at(NY, 2024, 3, 4, 9)),
        Gap(at(NY, 2024, 3, 4, 17), at(NY, 2024, 3, 5, 9)),
        Gap(at(NY, 2024, 3, 5, 17), at(NY, 2024, 3, 6, 0)),
    ]
    # The night the clocks spring forward is one hour shorter.
    night = gaps(schedule, at(NY, 2024, 3, 9, 12), at(NY, 2024, 3, 10, 12))
    assert [g.end - g.start for g in night] == [15 * H]


def test_an_override_fills_a_gap_and_hours_add_up() -> None:
    schedule = with_overrides(
        business_hours(), [Override(at(NY, 2024, 3, 4, 17), at(NY, 2024, 3, 4, 21), "cat")]
    )
    start, end = at(NY, 2024, 3, 4, 9), at(NY, 2024, 3, 6, 9)
    assert gaps(schedule, start, end)[0] == Gap(at(NY, 2024, 3, 4, 21), at(NY, 2024, 3, 5, 9))
    assert hours_on_call(shifts(schedule, start, end)) == {
        "ann": 8 * H,
        "bob": 8 * H,
        "cat": 4 * H,
    }


def test_the_turn_around_an_instant_and_total_hours() -> None:
    schedule = business_hours()
    assert turn_at(schedule, at(NY, 2024, 3, 4, 12)) == Turn(
        "ann", at(NY, 2024, 3, 4, 9), at(NY, 2024, 3, 4, 17)
    )
    assert turn_at(schedule, at(NY, 2024, 3, 4, 20)) is None  # a gap
    # Looked for within 2 hours only: neither end is in reach.
    assert turn_at(schedule, at(NY, 2024, 3, 4, 12), 2 * H) == Turn("ann", None, None)
    assert list(total_hours({"a": {"ann": H, "bob": 3 * H}, "b": {"ann": 3 * H}}).items()) == [
        ("ann", 4 * H),
        ("bob", 3 * H),
    ]


def test_handoffs_name_who_hands_over_to_whom() -> None:
    schedule = with_overrides(
        business_hours(), [Override(at(NY, 2024, 3, 4, 12), at(NY, 2024, 3, 4, 13), "cat")]
    )
    got = handoffs(schedule, at(NY, 2024, 3, 4, 9), at(NY, 2024, 3, 5, 10))
    assert got == [
        Handoff(at(NY, 2024, 3, 4, 9), None, "ann"),
        Handoff(at(NY, 2024, 3, 4, 12), "ann", "cat"),
        Handoff(at(NY, 2024, 3, 4, 13), "cat", "ann"),
        Handoff(at(NY, 2024, 3, 4, 17), "ann", None),
        Handoff(at(NY, 2024, 3, 5, 9), None, "bob"),
    ]
    # Starting inside a shift is not a handoff.
    assert handoffs(schedule, at(NY, 2024, 3, 4, 10), at(NY, 2024, 3, 4, 12)) == []


@settings(max_examples=50, deadline=None)
@given(schedules(), st.integers(-24, 24 * 20), st.integers(1, 24 * 10))
def test_gaps_and_shifts_tile_the_range(schedule: Schedule, offset: int, length: int) -> None:
    begin, end = _window(schedule, offset, length)
    pieces = sorted(
        [(s.start, s.end) for s in shifts(schedule, begin, end)]
        + [(g.start, g.end) for g in gaps(schedule, begin, end)]
    )
    assert pieces[0][0] == begin and pieces[-1][1] == end
    assert all(a[1] == b[0] for a, b in zip(pieces, pieces[1:], strict=False))
    for gap in gaps(schedule, begin, end):
        assert oncall_at(schedule, gap.start) is None
    total = sum(hours_on_call(shifts(schedule, begin, end)).values(), timedelta(0))
    uncovered = sum((g.end - g.start for g in gaps(schedule, begin, end)), timedelta(0))
    assert total + uncovered == end - begin


@settings(max_examples=50, deadline=None)
@given(schedules(), st.integers(-24, 24 * 20), st.integers(1, 24 * 10))
def test_handoffs_are_exactly_the_changes(schedule: Schedule, offset: int, length: int) -> None:
    begin, end = _window(schedule, offset, length)
    found = handoffs(schedule, begin, end)
    assert all(begin <= h.at < end and h.outgoing != h.incoming for h in found)
    assert [h.at for h in found] == sorted({h.at for h in found})
    for h in found:
        assert oncall_at(schedule, h.at) == h.incoming
        assert oncall_at(schedule, h.at - timedelta(microseconds=1)) == h.outgoing
    # Between handoffs nobody changes: each shift starting after begin starts at a handoff.
    starts = {h.at for h in found}
    for shift in shifts(schedule, begin, end):
        if shift.start > begin:
            assert shift.start in starts
