"""The people Tocsin pages and puts on call."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

__all__ = ["User", "reading_zone"]


@dataclass(frozen=True)
class User:
    #: The handle schedules and overrides name, e.g. ``ann``.
    id: str
    name: str = ""
    email: str | None = None
    #: Where the person lives: times in their messages are shown in it (else the schedule's).
    time_zone: ZoneInfo | None = None

    @property
    def display(self) -> str:
        return self.name or self.id


def reading_zone(users: Mapping[str, User], user: str, fallback: ZoneInfo) -> ZoneInfo:
    """The zone ``user`` reads times in: their own, else ``fallback`` (a schedule's)."""
    person = users.get(user)
    return (person.time_zone if person is not None else None) or fallback
