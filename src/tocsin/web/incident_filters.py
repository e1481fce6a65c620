"""The incident list's filters, read from the page's query string (so a filtered list is a
URL people can bookmark and share) and checked, every problem named with its field."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from starlette.datastructures import QueryParams

from tocsin.domain.incidents import Severity, Status
from tocsin.domain.wallclock import start_of_day
from tocsin.errors import FieldProblem, InputError

__all__ = ["MAX_ID", "PAGE_SIZE", "RANGES", "Filters"]

#: Incidents per page.
PAGE_SIZE = 50
#: Ids beyond this are no incident (and never reach the database: PostgreSQL's bigint).
MAX_ID = 2**53
#: The time ranges offered, by their value in the query string.
RANGES: dict[str, tuple[str, timedelta | None]] = {
    "": ("Any time", None),
    "24h": ("Last 24 hours", timedelta(hours=24)),
    "7d": ("Last 7 days", timedelta(days=7)),
    "30d": ("Last 30 days", timedelta(days=30)),
}


@dataclass(frozen=True)
class Filters:
    statuses: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    service: str = ""
    team: str = ""
    range: str = ""
    #: Custom dates as typed (YYYY-MM-DD, in the viewer's time zone), both inclusive.
    from_: str = ""
    to: str = ""
    q: str = ""
    #: Only incidents older than this one (the next page).
    before: int | None = None

    @classmethod
    def parse(cls, params: QueryParams) -> Filters:
        """The filters in ``params``; InputError naming each value that is not valid."""
        problems: list[FieldProblem] = []
        statuses = _distinct(params.getlist("status"))
        for s in statuses:
            if s not in {x.value for x in Status}:
                problems.append(FieldProblem("status", f"{s!r} is not a status"))
        severities = []
        for s in _distinct(params.getlist("severity")):
            try:
                severities.append(Severity.parse(s).value)
            except ValueError as exc:
                problems.append(FieldProblem("severity", str(exc)))
        range_ = params.get("range", "").strip()
        if range_ == "all":
            range_ = ""
        if range_ not in RANGES:
            problems.append(FieldProblem("range", f"{range_!r} is not one of 24h, 7d, 30d, all"))
        days = {}
        for name in ("from", "to"):
            text = params.get(name, "").strip()
            if text:
                try:
                    days[name] = date.fromisoformat(text)
                except ValueError:
                    problems.append(FieldProblem(name, f"{text!r} is not a date (YYYY-MM-DD)"))
                    continue
                if not 1970 <= days[name].year <= 9000:
                    problems.append(FieldProblem(name, f"{text!r} is out of range"))
        if "from" in days and "to" in days and days["from"] > days["to"]:
            problems.append(FieldProblem("to", "is before the from date"))
        before = None
        if params.get("before", "").strip():
            raw = params.get("before", "").strip()
            if not (raw.isascii() and raw.isdigit() and len(raw) <= 16) or not (
                1 <= int(raw) <= MAX_ID
            ):
                problems.append(FieldProblem("before", f"{raw!r} is not an incident number"))
            else:
                before = int(raw)
        if problems:
            raise InputError(problems)
        return cls(
            statuses=tuple(statuses),
            severities=tuple(dict.fromkeys(severities)),
            service=params.get("service", "").strip(),
            team=params.get("team", "").strip(),
            range=range_,
            from_=params.get("from", "").strip(),
            to=params.get("to", "").strip(),
            q=params.get("q", "").strip(),
            before=before,
        )

    def window(self, zone: ZoneInfo, now: datetime) -> tuple[datetime | None, datetime | None]:
        """[since, until) of the opening times asked for: custom dates (whole days in
        ``zone``) when given, else the range back from ``now``."""
        if self.from_ or self.to:
            since = start_of_day(date.fromisoformat(self.from_), zone) if self.from_ else None
            until = (
                start_of_day(date.fromisoformat(self.to) + timedelta(days=1), zone)
                if self.to
                else None
            )
            return since, until
        length = RANGES[self.range][1]
        return (now - length if length is not None else None), None

    @property
    def active(self) -> bool:
        """Whether anything narrows the list (paging aside)."""
        return any(
            (
                self.statuses,
                self.severities,
                self.service,
                self.team,
                self.range,
                self.from_,
                self.to,
                self.q,
            )
        )

    def query(self, before: int | None = None) -> str:
        """The query string of these filters (and ``before`` for a page of older ones)."""
        pairs: list[tuple[str, str | int]] = [("status", s) for s in self.statuses]
        pairs += [("severity", s) for s in self.severities]
        for key, value in (
            ("service", self.service),
            ("team", self.team),
            ("range", self.range),
            ("from", self.from_),
            ("to", self.to),
            ("q", self.q),
        ):
            if value:
                pairs.append((key, value))
        if before is not None:
            pairs.append(("before", before))
        return urlencode(pairs)


def _distinct(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in values if v.strip()))
