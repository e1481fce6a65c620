"""Schedules against ../shared/specs/schedules.md: wall-clock rules across daylight saving,
rotations, restrictions, overrides, and properties of the final shifts."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tocsin.domain.schedules import (
    Layer,
    Override,
    Restriction,
    Rotation,
    Schedule,
    Shift,
    Unit,
    oncall_at,
    shifts,
)
from tocsin.domain.wallclock import resolve_first, resolve_last

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
SYDNEY = ZoneInfo("Australia/Sydney")
TOKYO = ZoneInfo("Asia/Tokyo")
H = timedelta(hours=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def at(zone: ZoneInfo, *args: int) -> datetime:
    return resolve_first(datetime(*args), zone)  # type: ignore[arg-type]


def test_wall_clock_resolution_across_transitions() -> None:
    # Spring forward: 02:30 does not exist in New York; it resolves to 03:00 EDT.
    assert resolve_first(datetime(2024, 3, 10, 2, 30), NY) == utc(2024, 3, 10, 7)
    assert resolve_last(datetime(2024, 3, 10, 2, 30), NY) == utc(2024, 3, 10, 7)
    # Fall back: 01:30 happens twice; starts take the first, ends the last.
    assert resolve_first(datetime(2024, 11, 3, 1, 30), NY) == utc(2024, 11, 3, 5, 30)
    assert resolve_last(datetime(2024, 11, 3, 1, 30), NY) == utc(2024, 11, 3, 6, 30)
    assert resolve_first(datetime(2024, 6, 1, 12), NY) == utc(2024, 6, 1, 16)


def weekly(zone: ZoneInfo, start: datetime, users: tuple[str, ...] = ("a", "b")) -> Schedule:
    rotation = Rotation(1, Unit.WEEKS, time(9), handoff_weekday=1)
    return Schedule("s", zone, (Layer(start, rotation, users),))


@pytest.mark.parametrize(
    ("zone", "monday", "hours", "why"),
    [
        (NY, (2024, 3, 4), 167, "New York spring forward"),
        (NY, (2024, 10, 28), 169, "New York fall back"),
        (LONDON, (2024, 3, 25), 167, "London spring forward (31 March)"),
        (LONDON, (2024, 10, 21), 169, "London fall back (27 October)"),
        (SYDNEY, (2024, 9, 30), 167, "Sydney spring forward (6 October)"),
        (SYDNEY, (2024, 4, 1), 169, "Sydney fall back (7 April)"),
        (TOKYO, (2024, 3, 4), 168, "Tokyo has no daylight saving"),
        (NY, (2024, 6, 3), 168, "an ordinary week"),
    ],
)
def test_weekly_turn_lengths(
    zone: ZoneInfo, monday: tuple[int, int, int], hours: int, why: str
) -> None:
    start = at(zone, 2024, 1, 1, 9)
    schedule = weekly(zone, start)
    turn_start = at(zone, *monday, 9)
    [shift] = [s for s in shifts(schedule, turn_start, turn_start + 200 * H)][:1]
    assert shift.start == turn_start
    assert (shift.end - shift.start) / H == hours, why


@pytest.mark.parametrize(
    ("night", "hours"),
    [((2024, 3, 9), 9), ((2024, 11, 2), 11), ((2024, 6, 1), 10)],
)
def test_overnight_restriction_real_length(night: tuple[int, int, int], hours: int) -> None:
    layer = Layer(
        at(NY, 2024, 1, 1, 0),
        Rotation(1, Unit.WEEKS, time(0)),
        ("night-owl",),
        restrictions=(Restriction(time(22), timedelta(hours=10)),),
    )
    schedule = Schedule("nights", NY, (layer,))
    evening = at(NY, *night, 21)
    [shift] = shifts(schedule, evening, evening + 14 * H)
    assert shift.start == at(NY, *night, 22)
    assert (shift.end - shift.start) / H == hours


def test_hourly_turn_in_the_skipped_hour_has_no_length_but_counts() -> None:
    layer = Layer(at(NY, 2024, 3, 10, 0), Rotation(1, Unit.HOURS, time(0)), ("a", "b", "c"))
    schedule = Schedule("hourly", NY, (layer,))
    got = shifts(schedule, at(NY, 2024, 3, 10, 0), at(NY, 2024, 3, 10, 5))
    # 00:00 a, 01:00 b, 02:00 c (skipped: zero length), 03:00 a, 04:00 b
    assert [(s.user, s.start, s.end) for s in got] == [
        ("a", utc(2024, 3, 10, 5), utc(2024, 3, 10, 6)),
        ("b", utc(2024, 3, 10, 6), utc(2024, 3, 10, 7)),
        ("a", utc(2024, 3, 10, 7), utc(2024, 3, 10, 8)),
        ("b", utc(2024, 3, 10, 8), utc(2024, 3, 10, 9)),
    ]


def test_handoff_at_a_skipped_wall_time_happens_at_the_transition() -> None:
    layer = Layer(at(NY, 2024, 3, 1, 2, 30), Rotation(1, Unit.DAYS, time(2, 30)), ("a", "b"))
    schedule = Schedule("daily", NY, (layer,))
    handoffs = [s.start for s in shifts(schedule, at(NY, 2024, 3, 9, 12), at(NY, 2024, 3, 11, 12))]
    assert utc(2024, 3, 10, 7) in handoffs  # 03:00 EDT, not 03:30
    assert utc(2024, 3, 11, 6, 30) in handoffs  # 02:30 EDT the day after


def test_leap_day_gets_its_turn() -> None:
    layer = Layer(at(TOKYO, 2028, 2, 27, 9), Rotation(1, Unit.DAYS, time(9)), ("a", "b", "c"))
    schedule = Schedule("leap", TOKYO, (layer,))
    got = shifts(schedule, at(TOKYO, 2028, 2, 27, 9), at(TOKYO, 2028, 3, 2, 9))
    assert [(s.user, s.start) for s in got] == [
        ("a", at(TOKYO, 2028, 2, 27, 9)),
        ("b", at(TOKYO, 2028, 2, 28, 9)),
        ("c", at(TOKYO, 2028, 2, 29, 9)),
        ("a", at(TOKYO, 2028, 3, 1, 9)),
    ]


def test_hour_rotation_is_phase_aligned_to_the_handoff() -> None:
    layer = Layer(at(LONDON, 2024, 5, 1, 10), Rotation(8, Unit.HOURS, time(6)), ("a", "b", "c"))
    schedule = Schedule("8h", LONDON, (layer,))
    got = shifts(schedule, at(LONDON, 2024, 5, 1, 10), at(LONDON, 2024, 5, 2, 10))
    assert [local.start.astimezone(LONDON).hour for local in got] == [10, 14, 22, 6]
    assert [s.user for s in got] == ["a", "b", "c", "a"]  # users[0] holds the start's turn


def test_later_layers_and_overrides_win_and_gaps_are_absent() -> None:
    base = Layer(at(NY, 2024, 6, 3, 9), Rotation(1, Unit.WEEKS, time(9)), ("ann",))
    business = Layer(
        at(NY, 2024, 6, 3, 9),
        Rotation(1, Unit.DAYS, time(9)),
        ("bob",),
        end=at(NY, 2024, 6, 5, 0),
        restrictions=(Restriction(time(9), timedelta(hours=8)),),
    )
    schedule = Schedule(
        "s",
        NY,
        (base, business),
        overrides=(
            Override(at(NY, 2024, 6, 3, 12), at(NY, 2024, 6, 3, 14), "cat"),
            Override(at(NY, 2024, 6, 3, 13), at(NY, 2024, 6, 3, 15), "dan"),
        ),
    )
    got = shifts(schedule, at(NY, 2024, 6, 3, 9), at(NY, 2024, 6, 4, 9))
    assert [(s.user, s.start.astimezone(NY).hour) for s in got] == [
        ("bob", 9),
        ("cat", 12),
        ("dan", 13),  # the later override wins where they overlap
        ("bob", 15),
        ("ann", 17),
    ]
    lonely = Schedule("gappy", NY, (business,))
    got = shifts(lonely, at(NY, 2024, 6, 3, 0), at(NY, 2024, 6, 5, 0))
    assert [(s.start.hour, s.end.hour) for s in got] == [(13, 21), (13, 21)]  # UTC; no gaps
    assert oncall_at(lonely, at(NY, 2024, 6, 3, 20)) is None


def test_follow_the_sun() -> None:
    day = timedelta(hours=8)
    start = utc(2024, 1, 1)

    def region(hour: int, users: tuple[str, ...]) -> Layer:
        return Layer(
            start,
            Rotation(1, Unit.WEEKS, time(hour)),
            users,
            restrictions=(Restriction(time(hour), day),),
        )

    schedule = Schedule(
        "sun",
        ZoneInfo("UTC"),
        (region(0, ("tokyo",)), region(8, ("berlin",)), region(16, ("los-angeles",))),
    )
    got = shifts(schedule, utc(2024, 3, 4), utc(2024, 3, 5))
    assert [(s.user, s.start.hour, s.end.hour) for s in got] == [
        ("tokyo", 0, 8),
        ("berlin", 8, 16),
        ("los-angeles", 16, 0),
    ]


# -- properties ---------------------------------------------------------------------------

ZONES = [NY, LONDON, SYDNEY, TOKYO]


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    zone = draw(st.sampled_from(ZONES))
    start = utc(2024, 1, 1) + timedelta(hours=draw(st.integers(0, 24 * 300)))
    layers = []
    for _ in range(draw(st.integers(1, 3))):
        unit = draw(st.sampled_from(list(Unit)))
        rotation = Rotation(
            draw(st.integers(1, 3)),
            unit,
            time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 30]))),
            handoff_weekday=draw(st.none() | st.integers(1, 7)) if unit is Unit.WEEKS else None,
        )
        restrictions = tuple(
            Restriction(
                time(draw(st.integers(0, 23))),
                timedelta(hours=draw(st.integers(1, 30))),
                draw(st.none() | st.integers(1, 7)),
            )
            for _ in range(draw(st.integers(0, 2)))
        )
        users = tuple(draw(st.lists(st.sampled_from("abcde"), min_size=1, max_size=4)))
        layer_start = start + timedelta(hours=draw(st.integers(0, 48)))
        layers.append(Layer(layer_start, rotation, users, restrictions=restrictions))
    overrides = tuple(
        Override(s, s + timedelta(hours=draw(st.integers(1, 30))), draw(st.sampled_from("xyz")))
        for s in (
            start + timedelta(hours=draw(st.integers(0, 24 * 20)))
            for _ in range(draw(st.integers(0, 3)))
        )
    )
    return Schedule("p", zone, tuple(layers), overrides)


def _window(schedule: Schedule, offset: int, length: int) -> tuple[datetime, datetime]:
    begin = min(layer.start for layer in schedule.layers) + timedelta(hours=offset)
    return begin, begin + timedelta(hours=length)


@settings(max_examples=60, deadline=None)
@given(schedules(), st.integers(-24, 24 * 20), st.integers(1, 24 * 10), st.data())
def test_shifts_tile_the_covered_time_and_agree_with_oncall_at(
    schedule: Schedule, offset: int, length: int, data: st.DataObject
) -> None:
    begin, end = _window(schedule, offset, length)
    got = shifts(schedule, begin, end)
    for before, after in zip(got, got[1:], strict=False):
        assert before.end <= after.start  # ordered, never overlapping
        assert not (before.end == after.start and before.user == after.user)  # maximal
    for shift in got:
        assert begin <= shift.start < shift.end <= end
    for _ in range(20):
        minutes = data.draw(st.integers(0, length * 60 - 1))
        t = begin + timedelta(minutes=minutes)
        covering = [s for s in got if s.start <= t < s.end]
        assert len(covering) <= 1
        assert oncall_at(schedule, t) == (covering[0].user if covering else None)


@settings(max_examples=40, deadline=None)
@given(schedules(), st.integers(0, 24 * 10), st.integers(2, 24 * 6), st.data())
def test_splitting_the_range_gives_the_same_shifts(
    schedule: Schedule, offset: int, length: int, data: st.DataObject
) -> None:
    begin, end = _window(schedule, offset, length)
    cut = begin + timedelta(hours=data.draw(st.integers(1, length - 1)))
    joined: list[Shift] = []
    for shift in shifts(schedule, begin, cut) + shifts(schedule, cut, end):
        if joined and joined[-1].user == shift.user and joined[-1].end == shift.start:
            joined[-1] = Shift(shift.user, joined[-1].start, shift.end)
        else:
            joined.append(shift)
    assert joined == shifts(schedule, begin, end)


@settings(max_examples=40, deadline=None)
@given(schedules(), st.integers(0, 24 * 10), st.integers(1, 48), st.data())
def test_an_override_changes_nothing_outside_its_interval(
    schedule: Schedule, offset: int, hours: int, data: st.DataObject
) -> None:
    begin, end = _window(schedule, 0, 24 * 12)
    o_start = begin + timedelta(hours=offset)
    override = Override(o_start, o_start + timedelta(hours=hours), "zed")
    changed = Schedule(
        schedule.name, schedule.zone, schedule.layers, (*schedule.overrides, override)
    )
    for _ in range(20):
        t = begin + timedelta(minutes=data.draw(st.integers(0, 24 * 12 * 60 - 1)))
        if override.start <= t < override.end:
            assert oncall_at(changed, t) == "zed"
        else:
            assert oncall_at(changed, t) == oncall_at(schedule, t)
