"""Action items as pure rules: statuses, due dates as instants in the owner's time zone,
the reminder schedule, done on time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tocsin.domain.action_items import (
    ActionItem,
    ItemStatus,
    Reminder,
    TransitionError,
    checked_ticket_url,
    checked_title,
    due_at_of,
    due_date_of,
    follow_up_due,
    is_overdue,
    on_time,
    reminder_due,
    reminder_times,
    transition,
)

OP, IP, DN, WD = ItemStatus.OPEN, ItemStatus.IN_PROGRESS, ItemStatus.DONE, ItemStatus.WONT_DO
DAY = timedelta(days=1)
BEFORE, AFTER = 2 * DAY, DAY


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def item(
    due_at: datetime | None,
    *,
    status: ItemStatus = OP,
    created_at: datetime = utc(2026, 3, 1),
    closed_at: datetime | None = None,
) -> ActionItem:
    return ActionItem(
        id=7,
        incident_id=1,
        postmortem_id=None,
        title="Alert on WAL growth",
        owner="ann",
        due_at=due_at,
        status=status,
        ticket_url=None,
        created_at=created_at,
        created_by="ann",
        updated_at=created_at,
        closed_at=closed_at,
    )


@pytest.mark.parametrize(
    ("current", "wanted", "after"),
    [
        (OP, IP, IP),
        (OP, DN, DN),
        (OP, WD, WD),
        (IP, OP, OP),
        (IP, DN, DN),
        (DN, OP, OP),  # reopened
        (WD, IP, IP),
        (DN, DN, DN),  # no change
        (DN, WD, None),  # reopen first
        (WD, DN, None),
    ],
)
def test_status_transitions(
    current: ItemStatus, wanted: ItemStatus, after: ItemStatus | None
) -> None:
    if after is None:
        with pytest.raises(TransitionError, match="reopen it first"):
            transition(current, wanted)
    else:
        assert transition(current, wanted) is after


@pytest.mark.parametrize(
    ("text", "status"),
    [("open", OP), ("in progress", IP), ("In-Progress", IP), ("won't do", WD), ("wont_do", WD)],
)
def test_statuses_as_people_type_them(text: str, status: ItemStatus) -> None:
    assert ItemStatus.parse(text) is status


def test_an_unknown_status_says_which_there_are() -> None:
    with pytest.raises(ValueError, match="use open, in_progress, done or wont_do"):
        ItemStatus.parse("finished")


@pytest.mark.parametrize(
    ("zone", "end_utc"),
    [
        # Kiritimati is UTC+14: 10 March ends at 09:59:59 UTC on the 10th.
        ("Pacific/Kiritimati", utc(2026, 3, 10, 9, 59, 59, 999999)),
        # Pago Pago is UTC-11: 10 March ends at 10:59:59 UTC on the 11th.
        ("Pacific/Pago_Pago", utc(2026, 3, 11, 10, 59, 59, 999999)),
        # Auckland keeps daylight time (UTC+13) until 5 April.
        ("Pacific/Auckland", utc(2026, 3, 10, 10, 59, 59, 999999)),
        ("UTC", utc(2026, 3, 10, 23, 59, 59, 999999)),
        # New York moved to daylight time (UTC-4) on 8 March.
        ("America/New_York", utc(2026, 3, 11, 3, 59, 59, 999999)),
    ],
)
def test_a_due_date_ends_at_the_end_of_that_day_where_the_owner_lives(
    zone: str, end_utc: datetime
) -> None:
    due_at = due_at_of(date(2026, 3, 10), ZoneInfo(zone))
    assert due_at == end_utc
    assert due_date_of(due_at, ZoneInfo(zone)) == date(2026, 3, 10)


# Ann lives in Kiritimati (UTC+14); her item is due 10 March, which ends at
# 2026-03-10 09:59:59.999999 UTC. Reminders: 2 days before (8 March 09:59:59.999999 UTC),
# then 1, 2, 3 ... days after.
DUE = due_at_of(date(2026, 3, 10), ZoneInfo("Pacific/Kiritimati"))
JUST = timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2026, 3, 8, 9, 59, 59), None),
        (utc(2026, 3, 8, 10), Reminder("before", utc(2026, 3, 8, 9, 59, 59, 999999), False)),
        (utc(2026, 3, 10, 9), Reminder("before", utc(2026, 3, 8, 9, 59, 59, 999999), False)),
        (utc(2026, 3, 11, 9, 59), Reminder("before", utc(2026, 3, 8, 9, 59, 59, 999999), False)),
        (utc(2026, 3, 11, 10), Reminder("after-1", utc(2026, 3, 11, 9, 59, 59, 999999), True)),
        (utc(2026, 3, 12, 10), Reminder("after-2", utc(2026, 3, 12, 9, 59, 59, 999999), True)),
        # After a pause of days: only the newest one.
        (utc(2026, 3, 20, 12), Reminder("after-10", utc(2026, 3, 20, 9, 59, 59, 999999), True)),
    ],
)
def test_which_reminder_is_due_around_a_due_date_in_a_far_time_zone(
    now: datetime, expected: Reminder | None
) -> None:
    assert reminder_due(item(DUE), BEFORE, AFTER, now) == expected


def test_the_reminder_schedule() -> None:
    assert reminder_times(DUE, BEFORE, AFTER, DUE + 3 * DAY) == [
        Reminder("before", DUE - 2 * DAY, False),
        Reminder("after-1", DUE + DAY, True),
        Reminder("after-2", DUE + 2 * DAY, True),
        Reminder("after-3", DUE + 3 * DAY, True),
    ]
    assert reminder_times(DUE, BEFORE, AFTER, DUE - 2 * DAY - JUST) == []


def test_no_reminder_when_closed_without_due_date_or_from_before_it_was_made() -> None:
    now = utc(2026, 3, 11, 10)
    assert reminder_due(item(DUE, status=DN, closed_at=now), BEFORE, AFTER, now) is None
    assert reminder_due(item(DUE, status=WD, closed_at=now), BEFORE, AFTER, now) is None
    assert reminder_due(item(None), BEFORE, AFTER, now) is None
    # Made a day before it is due: the "2 days before" reminder is not sent late...
    late = item(DUE, created_at=DUE - DAY)
    assert reminder_due(late, BEFORE, AFTER, DUE - DAY + timedelta(hours=1)) is None
    # ...but the ones after the due date are.
    assert reminder_due(late, BEFORE, AFTER, DUE + DAY) == Reminder("after-1", DUE + DAY, True)
    # In progress is not closed.
    assert reminder_due(item(DUE, status=IP), BEFORE, AFTER, now) is not None


@pytest.mark.parametrize(
    ("status", "closed_at", "due_at", "expected"),
    [
        (DN, DUE, DUE, True),  # at the last microsecond of the day
        (DN, DUE + JUST, DUE, False),
        (DN, DUE - DAY, DUE, True),
        (DN, DUE + DAY, None, True),  # no due date: never late
        (WD, DUE - DAY, DUE, None),  # not done
        (OP, None, DUE, None),
    ],
)
def test_done_on_time(
    status: ItemStatus, closed_at: datetime | None, due_at: datetime | None, expected: bool | None
) -> None:
    assert on_time(item(due_at, status=status, closed_at=closed_at)) is expected


def test_overdue_once_the_due_day_has_ended_and_until_closed() -> None:
    assert not is_overdue(item(DUE), DUE)
    assert is_overdue(item(DUE), DUE + JUST)
    assert not is_overdue(item(DUE, status=DN, closed_at=DUE + DAY), DUE + 2 * DAY)
    assert not is_overdue(item(None), DUE + DAY)


def test_follow_up_review_is_due_two_weeks_after_publication() -> None:
    published = utc(2026, 3, 2, 15)
    assert not follow_up_due(published, 14 * DAY, utc(2026, 3, 16, 14, 59))
    assert follow_up_due(published, 14 * DAY, utc(2026, 3, 16, 15))
    assert not follow_up_due(None, 14 * DAY, utc(2026, 4, 1))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("https://tickets.example.com/OPS-12", None),
        ("http://jira.local/browse/OPS-1", None),
        ("javascript:alert(1)", "http:// or https://"),
        ("ftp://example.com/x", "http:// or https://"),
        ("https://", "http:// or https://"),
        ("https://[::1", "http:// or https://"),
        ("https://example.com/a b", "spaces"),
    ],
)
def test_ticket_urls(text: str, problem: str | None) -> None:
    if problem is None:
        assert checked_ticket_url(f"  {text} ") == text
    else:
        with pytest.raises(ValueError, match=problem):
            checked_ticket_url(text)


def test_titles() -> None:
    assert checked_title("  Add  an alert\n") == "Add an alert"
    with pytest.raises(ValueError, match="must not be empty"):
        checked_title("   ")
    with pytest.raises(ValueError, match="at most 500"):
        checked_title("x" * 501)
