"""Action items: what is to be done so an incident does not happen again, tracked to done.

An item has a status (open -> in progress -> done or won't do, and back when reopened),
an owner and a due date. People enter a due *date*; it is kept as an instant, the end of
that day in the owner's time zone, so "due Friday" means until Friday ends where the owner
lives. Owners are reminded ``remind_before`` the due date, ``remind_after`` it and again
every ``remind_after`` while the item is not closed. An item is done on time when it was
closed as done no later than its due instant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

__all__ = [
    "ActionItem",
    "ItemStatus",
    "Reminder",
    "TransitionError",
    "checked_ticket_url",
    "checked_title",
    "due_at_of",
    "due_date_of",
    "follow_up_due",
    "is_overdue",
    "on_time",
    "reminder_due",
    "reminder_times",
    "transition",
]

#: Titles longer than this are refused.
MAX_TITLE = 500
#: Ticket addresses longer than this are refused.
MAX_URL = 2000


class ItemStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    WONT_DO = "wont_do"

    @property
    def is_closed(self) -> bool:
        return self in (ItemStatus.DONE, ItemStatus.WONT_DO)

    @property
    def label(self) -> str:
        """As people read it: open, in progress, done, won't do."""
        return _LABELS[self]

    @classmethod
    def parse(cls, text: str) -> ItemStatus:
        """``in_progress``, ``in progress``, ``in-progress``, ``won't do``, ``wont_do`` ..."""
        value = text.strip().lower().replace("'", "").replace("-", "_").replace(" ", "_")
        try:
            return cls(value)
        except ValueError:
            raise ValueError(
                f"{text!r} is not a status: use open, in_progress, done or wont_do"
            ) from None


_LABELS = {
    ItemStatus.OPEN: "open",
    ItemStatus.IN_PROGRESS: "in progress",
    ItemStatus.DONE: "done",
    ItemStatus.WONT_DO: "won't do",
}

#: Which status may follow which. A closed item is reopened (open or in progress) before it
#: can be closed the other way, so "done" never silently becomes "won't do".
_NEXT: dict[ItemStatus, frozenset[ItemStatus]] = {
    ItemStatus.OPEN: frozenset({ItemStatus.IN_PROGRESS, ItemStatus.DONE, ItemStatus.WONT_DO}),
    ItemStatus.IN_PROGRESS: frozenset({ItemStatus.OPEN, ItemStatus.DONE, ItemStatus.WONT_DO}),
    ItemStatus.DONE: frozenset({ItemStatus.OPEN, ItemStatus.IN_PROGRESS}),
    ItemStatus.WONT_DO: frozenset({ItemStatus.OPEN, ItemStatus.IN_PROGRESS}),
}


class TransitionError(ValueError):
    pass


def transition(current: ItemStatus, wanted: ItemStatus) -> ItemStatus:
    """``wanted`` when it may follow ``current`` (the same status is no change);
    TransitionError otherwise (e.g. done -> won't do without reopening)."""
    if wanted is current or wanted in _NEXT[current]:
        return wanted
    raise TransitionError(
        f"an item that is {current.label} cannot become {wanted.label}: reopen it first"
    )


@dataclass(frozen=True)
class ActionItem:
    id: int
    incident_id: int
    #: The postmortem it came from (None: made straight on the incident).
    postmortem_id: int | None
    title: str
    #: A user id.
    owner: str
    #: The end of the due day in the owner's time zone (None: no due date).
    due_at: datetime | None
    status: ItemStatus
    ticket_url: str | None
    created_at: datetime
    created_by: str
    updated_at: datetime
    #: When it became done or won't do (None while open).
    closed_at: datetime | None


# -- due dates --------------------------------------------------------------------------------


def due_at_of(day: date, zone: ZoneInfo) -> datetime:
    """The instant ``day`` ends in ``zone`` (its last microsecond), in UTC."""
    return datetime.combine(day, time.max, tzinfo=zone).astimezone(UTC)


def due_date_of(due_at: datetime, zone: ZoneInfo) -> date:
    """The due date as a person in ``zone`` reads it (the inverse of ``due_at_of``)."""
    return due_at.astimezone(zone).date()


def is_overdue(item: ActionItem, now: datetime) -> bool:
    """Not closed, and its due day has ended."""
    return not item.status.is_closed and item.due_at is not None and now > item.due_at


def on_time(item: ActionItem) -> bool | None:
    """Whether a done item was done on time (closed_at <= due_at; with no due date it
    could not be late); None for an item that is not done (open, in progress, won't do)."""
    if item.status is not ItemStatus.DONE or item.closed_at is None:
        return None
    return item.due_at is None or item.closed_at <= item.due_at


# -- reminders ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reminder:
    """One reminder of an item's due date. ``key`` names the occurrence (``before``,
    ``after-1``, ``after-2`` ...), so each is sent once."""

    key: str
    at: datetime
    #: After the due date (the item is overdue).
    late: bool


def reminder_times(
    due_at: datetime, before: timedelta, after: timedelta, until: datetime
) -> list[Reminder]:
    """Every reminder of a due instant up to ``until``: ``before`` it, ``after`` it, and
    again every ``after``."""
    found = [Reminder("before", due_at - before, False)] if due_at - before <= until else []
    n = 1
    while due_at + n * after <= until:
        found.append(Reminder(f"after-{n}", due_at + n * after, True))
        n += 1
    return found


def reminder_due(
    item: ActionItem, before: timedelta, after: timedelta, now: datetime
) -> Reminder | None:
    """The reminder to send now: the latest occurrence at or before ``now`` (after a pause
    only the newest is sent, not a burst of stale ones), and none from before the item was
    made (its owner has just been given it) or once it is closed."""
    if item.status.is_closed or item.due_at is None:
        return None
    due = item.due_at
    if now >= due + after:
        n = (now - due) // after
        latest = Reminder(f"after-{n}", due + n * after, True)
    elif now >= due - before:
        latest = Reminder("before", due - before, False)
    else:
        return None
    return latest if latest.at >= item.created_at else None


def follow_up_due(published_at: datetime | None, review_after: timedelta, now: datetime) -> bool:
    """A published postmortem's action items are due for their follow-up review."""
    return published_at is not None and now >= published_at + review_after


# -- what people type ----------------------------------------------------------------------------


def checked_title(text: str) -> str:
    """The title, stripped; ValueError when empty or too long."""
    title = " ".join(text.split())
    if not title:
        raise ValueError("must not be empty")
    if len(title) > MAX_TITLE:
        raise ValueError(f"must be at most {MAX_TITLE} characters")
    return title


def checked_ticket_url(text: str) -> str:
    """An http(s) address with a host; ValueError otherwise."""
    url = text.strip()
    if len(url) > MAX_URL:
        raise ValueError(f"must be at most {MAX_URL} characters")
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # e.g. an unclosed [ in the host
        host = None
    if host is None or parts.scheme.lower() not in ("http", "https"):
        raise ValueError("must be an http:// or https:// address")
    if any(c.isspace() for c in url):
        raise ValueError("must not contain spaces")
    return url
