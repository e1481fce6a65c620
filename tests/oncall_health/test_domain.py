"""On-call health over hand-built shifts and pages, every figure worked out by hand.

The main table: a two-person weekly rotation of nights (18:00-09:00 Berlin, handing over on
Mondays at 09:00), ann living in Tokyo and bob in Berlin, over two weeks of March 2026 (no
DST change). Berlin is UTC+1 then, Tokyo UTC+9; 2 March 2026 is a Monday.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tocsin.domain.learning_policy import HealthPolicy
from tocsin.domain.oncall_health import (
    OnCallShift,
    Page,
    PersonHealth,
    health_report,
    in_sleep_hours,
    in_working_hours,
    longest_stretch,
    of_schedule,
)
from tocsin.domain.schedules import Layer, Restriction, Rotation, Schedule, Unit, shifts
from tocsin.domain.wallclock import resolve_first

BERLIN = ZoneInfo("Europe/Berlin")
TOKYO = ZoneInfo("Asia/Tokyo")
H = timedelta(hours=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc, arg-type]


def nights() -> Schedule:
    """ann the week of 2 March, bob the week of 9 March; on call 18:00-09:00 each night."""
    layer = Layer(
        resolve_first(datetime(2026, 3, 2, 9), BERLIN),
        Rotation(1, Unit.WEEKS, time(9), handoff_weekday=1),
        ("ann", "bob"),
        restrictions=(Restriction(time(18), timedelta(hours=15)),),
    )
    return Schedule("nights", BERLIN, (layer,))


START, END = utc(2026, 3, 2, 8), utc(2026, 3, 16, 8)  # Monday 09:00 Berlin, two weeks
ZONES = {"ann": TOKYO, "bob": BERLIN}

PAGES = [
    # ann's first night (Mon 2 17:00Z - Tue 3 08:00Z): three incidents, one paged twice.
    Page("ann", utc(2026, 3, 3, 2), 1, "SEV2"),  # Tokyo Tue 11:00: working hours
    Page("ann", utc(2026, 3, 3, 2, 1), 1, "SEV2"),  # the SMS a minute later: the same page
    Page("ann", utc(2026, 3, 3, 6, 30), 2, "SEV1"),  # Tokyo 15:30
    Page("ann", utc(2026, 3, 3, 7), 3, "SEV1"),  # Tokyo 16:00
    # Saturday night's shift: Berlin 21:00, Tokyo Sunday 05:00 (asleep, a weekend).
    Page("ann", utc(2026, 3, 7, 20), 4, "SEV3"),
    # bob's week: ann paged too, off shift, at Tokyo Tuesday 03:00.
    Page("ann", utc(2026, 3, 9, 18), 5, "SEV2"),
    Page("bob", utc(2026, 3, 9, 18), 5, "SEV2"),  # Berlin Mon 19:00: after work
    Page("bob", utc(2026, 3, 10, 2), 6, "SEV2"),  # Berlin Tue 03:00: asleep
    Page("bob", utc(2026, 3, 12, 12), 7, "SEV4"),  # Berlin Thu 13:00: no shift then
    # Outside the period: not counted.
    Page("bob", utc(2026, 3, 16, 8), 8, "SEV1"),
    Page("ann", utc(2026, 3, 2, 7, 59), 9, "SEV1"),
]


def report(policy: HealthPolicy = HealthPolicy(page_budget=0.5)) -> dict[str, PersonHealth]:
    found = of_schedule("nights", shifts(nights(), START, END))
    made = health_report(found, PAGES, ZONES, policy, START, END)
    return {p.person: p for p in made.people}


def test_a_restricted_weekly_rotation_gives_one_shift_a_night() -> None:
    found = shifts(nights(), START, END)
    assert [(s.user, s.start, s.end) for s in found[:2]] == [
        ("ann", utc(2026, 3, 2, 17), utc(2026, 3, 3, 8)),
        ("ann", utc(2026, 3, 3, 17), utc(2026, 3, 4, 8)),
    ]
    assert [s.user for s in found] == ["ann"] * 7 + ["bob"] * 7
    assert {s.end - s.start for s in found} == {15 * H}


ROWS = [
    # person, hours, shifts, pages, off shift, per shift, max, off hours, sleep, stretch, flag
    ("ann", 105 * H, 7, 5, 1, 4 / 7, 3, 2, 2, 15 * H, True),
    ("bob", 105 * H, 7, 3, 1, 2 / 7, 2, 2, 1, 15 * H, False),
]


@pytest.mark.parametrize("person,hours,n,pages,off,per,most,off_hours,sleep,stretch,flag", ROWS)
def test_each_persons_figures(
    person: str,
    hours: timedelta,
    n: int,
    pages: int,
    off: int,
    per: float,
    most: int,
    off_hours: int,
    sleep: int,
    stretch: timedelta,
    flag: bool,
) -> None:
    got = report()[person]
    assert (got.hours, got.shifts, got.pages, got.off_shift_pages) == (hours, n, pages, off)
    assert got.pages_per_shift == pytest.approx(per)
    assert (got.max_pages_per_shift, got.off_hours_pages, got.sleep_pages) == (
        most,
        off_hours,
        sleep,
    )
    assert (got.longest_stretch, got.over_budget) == (stretch, flag)
    assert got.zone == ZONES[person]


def test_bob_per_shift_counts_two_pages_in_one_night() -> None:
    # bob: incidents 5 and 6 in his first night, 7 off shift: 2 pages over 7 shifts.
    bob = report()["bob"]
    assert bob.on_shift_pages == 2 and bob.pages_per_shift == pytest.approx(2 / 7)


def test_pages_by_severity_count_each_interruption_once() -> None:
    assert report()["ann"].by_severity == {"SEV1": 2, "SEV2": 2, "SEV3": 1}


def test_the_page_budget_flag_follows_the_policy() -> None:
    # ann averages 4/7 = 0.571 pages a shift: over a budget of 0.5, within 0.6 and 2.
    assert report(HealthPolicy(page_budget=0.5))["ann"].over_budget
    assert not report(HealthPolicy(page_budget=0.6))["ann"].over_budget
    assert not report(HealthPolicy())["ann"].over_budget


def test_fairness_of_the_rotation() -> None:
    found = of_schedule("nights", shifts(nights(), START, END))
    made = health_report(found, PAGES, ZONES, HealthPolicy(), START, END)
    (fair,) = made.schedules
    ann, bob = fair.people
    assert (ann.hours_share, bob.hours_share, ann.hours_vs_even) == (0.5, 0.5, 1.0)
    assert (fair.hours_cv, fair.hours_spread) == (0.0, 1.0)
    # Pages on shift: ann 4, bob 2. Shares 2/3 and 1/3; mean 3, deviation 1: cv 1/3.
    assert (ann.pages, bob.pages) == (4, 2)
    assert ann.pages_share == pytest.approx(2 / 3) and bob.pages_vs_even == pytest.approx(2 / 3)
    assert fair.pages_cv == pytest.approx(1 / 3) and fair.pages_spread == 2.0


def test_the_same_instant_is_three_in_the_morning_in_one_zone_and_not_another() -> None:
    # 2026-03-10 02:00Z is 03:00 in Berlin and 11:00 in Tokyo (a Tuesday in both).
    policy = HealthPolicy()
    at = utc(2026, 3, 10, 2)
    assert in_sleep_hours(at, BERLIN, policy) and not in_working_hours(at, BERLIN, policy)
    assert not in_sleep_hours(at, TOKYO, policy) and in_working_hours(at, TOKYO, policy)


@pytest.mark.parametrize(
    "at,sleeping,working",
    [
        # Winter: Berlin is UTC+1. Saturday 28 March 05:30Z is 06:30: still asleep.
        (utc(2026, 3, 28, 5, 30), True, False),
        # The clocks go forward at 01:00Z on Sunday 29 March: 05:30Z is then 07:30, awake.
        (utc(2026, 3, 29, 5, 30), False, False),
        (utc(2026, 3, 29, 0, 30), True, False),  # 01:30 CET, before the change
        (utc(2026, 3, 29, 1, 30), True, False),  # 03:30 CEST, after it
        (utc(2026, 3, 28, 21, 0), True, False),  # Saturday 22:00: sleep starts
        (utc(2026, 3, 28, 20, 59), False, False),  # 21:59: not yet
        # Monday 07:30Z: 08:30 the week before (not yet working), 09:30 after the change.
        (utc(2026, 3, 23, 7, 30), False, False),
        (utc(2026, 3, 30, 7, 30), False, True),
        (utc(2026, 3, 30, 16, 0), False, False),  # 18:00 CEST: the working day is over
        (utc(2026, 3, 30, 15, 59), False, True),
    ],
)
def test_working_and_sleep_hours_across_a_dst_change(
    at: datetime, sleeping: bool, working: bool
) -> None:
    policy = HealthPolicy()
    assert in_sleep_hours(at, BERLIN, policy) is sleeping
    assert in_working_hours(at, BERLIN, policy) is working


def test_a_daily_shift_over_the_dst_change_lasts_23_hours() -> None:
    layer = Layer(
        resolve_first(datetime(2026, 3, 27, 9), BERLIN),
        Rotation(1, Unit.DAYS, time(9)),
        ("dan", "eve"),
    )
    schedule = Schedule("daily", BERLIN, (layer,))
    start, end = utc(2026, 3, 27, 8), utc(2026, 3, 30, 7)  # Fri 09:00 CET - Mon 09:00 CEST
    found = of_schedule("daily", shifts(schedule, start, end))
    assert [(s.person, s.length) for s in found] == [
        ("dan", 24 * H),
        ("eve", 23 * H),
        ("dan", 24 * H),
    ]
    pages = [
        Page("eve", utc(2026, 3, 29, 0, 30), 1),  # 01:30 CET: asleep
        Page("eve", utc(2026, 3, 29, 5, 30), 2),  # 07:30 CEST: awake, a Sunday
        Page("dan", utc(2026, 3, 28, 5, 30), 3),  # 06:30 CET Saturday: dan's shift, asleep
    ]
    made = health_report(found, pages, {"dan": BERLIN, "eve": BERLIN}, HealthPolicy(), start, end)
    dan, eve = made.people
    assert (dan.hours, dan.shifts, dan.longest_stretch) == (48 * H, 2, 24 * H)
    assert (eve.hours, eve.shifts, eve.pages, eve.sleep_pages, eve.off_hours_pages) == (
        23 * H,
        1,
        2,
        1,
        2,
    )
    assert (dan.pages, dan.off_shift_pages, dan.sleep_pages) == (1, 0, 1)
    assert dan.pages_per_shift == 0.5 and eve.pages_per_shift == 2.0
    (fair,) = made.schedules
    assert fair.hours_spread == pytest.approx(48 / 23)
    # Hours 48 and 23: mean 35.5, deviation 12.5. Pages 1 and 2: mean 1.5, deviation 0.5.
    assert fair.hours_cv == pytest.approx(12.5 / 35.5)
    assert (fair.pages_spread, fair.pages_cv) == (2.0, pytest.approx(1 / 3))


def test_overlapping_and_touching_shifts_merge_into_one_stretch() -> None:
    found = [
        OnCallShift("ann", "primary", utc(2026, 3, 2, 0), utc(2026, 3, 2, 12)),
        OnCallShift("ann", "secondary", utc(2026, 3, 2, 10), utc(2026, 3, 2, 20)),
        OnCallShift("ann", "primary", utc(2026, 3, 2, 20), utc(2026, 3, 2, 23)),
        OnCallShift("ann", "primary", utc(2026, 3, 4, 0), utc(2026, 3, 4, 5)),
        OnCallShift("bob", "secondary", utc(2026, 3, 3, 0), utc(2026, 3, 3, 10)),
    ]
    assert longest_stretch(found[:4]) == 23 * H
    pages = [
        Page("ann", utc(2026, 3, 2, 11), 1),  # in both: the shift that began first (primary)
        Page("ann", utc(2026, 3, 2, 13), 2),  # secondary only
        Page("ann", utc(2026, 3, 2, 20), 3),  # the handoff instant: the later primary shift
    ]
    start, end = utc(2026, 3, 1), utc(2026, 3, 8)
    made = health_report(found, pages, {}, HealthPolicy(), start, end)
    ann, bob = made.people
    # On call 00:00-23:00 on the 2nd (23 h, the overlap once) and 5 h on the 4th.
    assert (ann.hours, ann.shifts, ann.longest_stretch) == (28 * H, 4, 23 * H)
    assert (ann.pages, ann.max_pages_per_shift, ann.pages_per_shift) == (3, 1, 0.75)
    assert ann.zone == ZoneInfo("UTC")  # no zone given: UTC
    primary, secondary = made.schedules
    assert [(s.person, s.hours, s.pages) for s in primary.people] == [("ann", 20 * H, 2)]
    assert [(s.person, s.hours, s.pages) for s in secondary.people] == [
        ("ann", 10 * H, 1),
        ("bob", 10 * H, 0),
    ]
    assert secondary.pages_cv == 1.0 and secondary.pages_spread is None
    assert (bob.hours, bob.pages, bob.pages_per_shift) == (10 * H, 0, 0.0)


def test_shifts_are_clipped_to_the_period_and_stretches_too() -> None:
    found = [OnCallShift("ann", "primary", utc(2026, 3, 1), utc(2026, 3, 8))]
    made = health_report(found, [], {}, HealthPolicy(), utc(2026, 3, 3), utc(2026, 3, 5))
    (ann,) = made.people
    assert (ann.hours, ann.shifts, ann.longest_stretch) == (48 * H, 1, 48 * H)
    assert ann.pages_per_shift == 0.0 and not ann.over_budget


def test_people_paged_without_a_shift_and_only_on_call() -> None:
    found = [OnCallShift("ann", "primary", utc(2026, 3, 2), utc(2026, 3, 3))]
    pages = [Page("cat", utc(2026, 3, 2, 3), 1), Page("cat", utc(2026, 3, 2, 4), 1)]
    start, end = utc(2026, 3, 1), utc(2026, 3, 8)
    made = health_report(found, pages, {}, HealthPolicy(), start, end)
    cat = made.people[1]
    assert (cat.person, cat.shifts, cat.pages, cat.off_shift_pages) == ("cat", 0, 1, 1)
    assert cat.pages_per_shift is None and not cat.over_budget
    only = health_report(found, pages, {}, HealthPolicy(), start, end, only_on_call=True)
    assert [p.person for p in only.people] == ["ann"]


def test_one_incident_paging_in_two_shifts_is_two_pages() -> None:
    found = [
        OnCallShift("ann", "primary", utc(2026, 3, 2, 0), utc(2026, 3, 2, 8)),
        OnCallShift("ann", "primary", utc(2026, 3, 3, 0), utc(2026, 3, 3, 8)),
    ]
    pages = [Page("ann", utc(2026, 3, 2, 1), 1), Page("ann", utc(2026, 3, 3, 1), 1)]
    made = health_report(found, pages, {}, HealthPolicy(), utc(2026, 3, 1), utc(2026, 3, 8))
    assert made.people[0].pages == 2 and made.people[0].pages_per_shift == 1.0


def test_sleep_hours_that_do_not_cross_midnight() -> None:
    nap = HealthPolicy(sleep_start=time(1), sleep_end=time(6))
    assert in_sleep_hours(utc(2026, 3, 2, 3), ZoneInfo("UTC"), nap)
    assert not in_sleep_hours(utc(2026, 3, 2, 23), ZoneInfo("UTC"), nap)
    none = HealthPolicy(sleep_start=time(0), sleep_end=time(0))
    assert not in_sleep_hours(utc(2026, 3, 2, 3), ZoneInfo("UTC"), none)
