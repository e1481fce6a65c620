"""On-call shifts as an iCalendar feed (RFC 5545), for Google Calendar and Outlook
subscriptions. Each shift is one event with a stable UID, so a calendar that refreshes the
feed updates an event rather than adding a copy."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import icalendar

__all__ = ["FeedShift", "calendar"]


@dataclass(frozen=True)
class FeedShift:
    schedule: str
    user: str
    start: datetime
    end: datetime


def calendar(name: str, found: Sequence[FeedShift], *, now: datetime, domain: str) -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Tocsin//On-call schedules//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    # Ask subscribers to refresh hourly (Outlook and Apple honour one or the other).
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", timedelta(hours=1))
    for shift in found:
        event = icalendar.Event()
        ident = f"{shift.schedule}|{shift.user}|{shift.start.isoformat()}"
        event.add("uid", f"{hashlib.sha256(ident.encode()).hexdigest()[:32]}@{domain}")
        event.add("dtstamp", now)
        event.add("dtstart", shift.start)
        event.add("dtend", shift.end)
        event.add("summary", f"On call: {shift.schedule} ({shift.user})")
        event.add("description", f"{shift.user} is on call for {shift.schedule}.")
        event.add("transp", "TRANSPARENT")
        event.add("categories", ["On call"])
        cal.add_component(event)
    return cal.to_ical()
