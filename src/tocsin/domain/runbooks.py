"""Runbooks: what to do when an alert fires, written down before it does (docs/runbooks.md).

A runbook is Markdown with a little front matter saying which alerts it covers (alert names
and/or Alertmanager matchers), whose it is and when it was last reviewed. It lives in a file
of the runbooks directory (read-only here: git is the truth) or in the database (written in
the web UI or by API). Its sections are its ``## `` headings; the body of ``## Quick
assessment`` travels in pages. Everything here is pure: matching takes labels, staleness
takes ``now``."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from tocsin.domain.matchers import Matcher, matches_all

__all__ = [
    "DEFAULT_REVIEW_EVERY",
    "PREVIOUS_INCIDENTS",
    "QUICK_ASSESSMENT",
    "SLUG",
    "Runbook",
    "RunbookPolicy",
    "Section",
    "markdown_escape",
    "matching",
    "quick_assessment",
    "sections",
    "shortened",
    "split_front_matter",
    "with_section_text",
]

#: A runbook's name in URLs and file names: ``api-high-latency``.
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
DEFAULT_REVIEW_EVERY = timedelta(days=90)
#: The headings (lower case, the start of the heading's text) Tocsin reads.
QUICK_ASSESSMENT = "quick assessment"
PREVIOUS_INCIDENTS = "previous incidents"
_FENCE = "---"
_CODE_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_ESCAPED = re.compile(r"([\\`*_\[\]{}()<>#+\-.!|~&])")


@dataclass(frozen=True)
class Section:
    """A ``## `` heading and the Markdown under it, up to the next one."""

    title: str
    body: str
    #: 1-based line of the heading in the body.
    line: int

    @property
    def key(self) -> str:
        return self.title.strip().lower()


@dataclass(frozen=True)
class Runbook:
    slug: str
    title: str
    #: The Markdown, front matter excluded.
    body: str
    #: Alert names it covers (any of them).
    alerts: tuple[str, ...] = ()
    #: Label matchers an alert must all satisfy (with ``alerts``: as well).
    matchers: tuple[Matcher, ...] = ()
    service: str | None = None
    #: A user id or a team name.
    owner: str | None = None
    last_reviewed: date | None = None
    #: Its own review period; None: the policy's.
    review_every: timedelta | None = None
    #: Where its file is; None: it is kept in the database (editable in the UI).
    path: str | None = None
    #: Saved edits (database runbooks); 0 for files.
    version: int = 0
    updated_by: str = ""

    @property
    def editable(self) -> bool:
        return self.path is None

    @property
    def linked(self) -> bool:
        """Whether alerts can match it at all."""
        return bool(self.alerts or self.matchers)

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether an alert with ``labels`` is one this runbook covers."""
        if not self.linked:
            return False
        if self.alerts and labels.get("alertname", "") not in self.alerts:
            return False
        return matches_all(self.matchers, labels)

    @property
    def quick_assessment(self) -> str:
        return quick_assessment(self.body)

    def review_due(self, default_every: timedelta) -> date | None:
        """The day it should be reviewed by; None: never reviewed (due now)."""
        if self.last_reviewed is None:
            return None
        every = self.review_every or default_every
        return self.last_reviewed + timedelta(days=max(1, every.days))

    def stale(self, default_every: timedelta, now: datetime) -> bool:
        """Not reviewed within its period (or never)."""
        due = self.review_due(default_every)
        return due is None or now.date() > due


@dataclass(frozen=True)
class RunbookPolicy:
    """``runbooks:`` in tocsin.yaml, and the runbooks read from its directory."""

    #: The directory of runbook files; None: no files (database runbooks only).
    directory: str | None = None
    review_every: timedelta = DEFAULT_REVIEW_EVERY
    #: After incidents of these severities the runbooks' owners are asked to review them;
    #: None: after every incident.
    ask_review_after: frozenset[str] | None = frozenset({"SEV1", "SEV2"})
    #: The Markdown new runbooks start from; None: the standard template.
    template: str | None = None
    #: The file runbooks by slug.
    files: Mapping[str, Runbook] = field(default_factory=dict)

    def asks_review(self, severity: str) -> bool:
        return self.ask_review_after is None or severity in self.ask_review_after


def split_front_matter(text: str) -> tuple[str, str] | None:
    """(front matter YAML, body) of a runbook's text; None when it does not start with a
    ``---`` line or the front matter is not closed by one. The YAML keeps its lines: line
    n of it is line n of the file (the opening fence is a blank line)."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != _FENCE:
        return None
    for i in range(1, len(lines)):
        if lines[i].rstrip() in (_FENCE, "..."):
            front = "\n" + "".join(lines[1:i])
            return front, "".join(lines[i + 1 :]).lstrip("\n")
    return None


def sections(body: str) -> tuple[Section, ...]:
    """The ``## `` sections of ``body`` (headings inside fenced code do not count)."""
    found: list[Section] = []
    title: str | None = None
    start = 0
    text: list[str] = []
    in_code = False
    for number, line in enumerate(body.splitlines(), start=1):
        if _CODE_FENCE.match(line):
            in_code = not in_code
        if not in_code and line.startswith("## "):
            if title is not None:
                found.append(Section(title, "\n".join(text).strip("\n"), start))
            title, start, text = line[3:].strip().rstrip("#").strip(), number, []
            continue
        if title is not None:
            text.append(line)
    if title is not None:
        found.append(Section(title, "\n".join(text).strip("\n"), start))
    return tuple(found)


def _section(body: str, key: str) -> Section | None:
    return next((s for s in sections(body) if s.key.startswith(key)), None)


def quick_assessment(body: str) -> str:
    """The body of the ``## Quick assessment`` section ("" when there is none)."""
    found = _section(body, QUICK_ASSESSMENT)
    return found.body.strip() if found is not None else ""


def with_section_text(body: str, key: str, heading: str, extra: str) -> str:
    """``body`` with ``extra`` (Markdown) appended to the section whose heading starts with
    ``key``; a ``## heading`` section holding it is added at the end when there is none."""
    lines = body.rstrip("\n").split("\n")
    found = _section(body, key)
    if found is None:
        return "\n".join([*lines, "", f"## {heading}", "", extra.rstrip("\n"), ""])
    later = [s.line for s in sections(body) if s.line > found.line]
    end = (later[0] - 1) if later else len(lines)
    head, tail = lines[:end], lines[end:]
    while head and not head[-1].strip():
        head.pop()
    return "\n".join([*head, "", extra.rstrip("\n"), "", *tail]).rstrip("\n") + "\n"


def markdown_escape(text: str) -> str:
    """``text`` shown as written in Markdown (every punctuation that means something
    escaped, as CommonMark allows)."""
    return _ESCAPED.sub(r"\\\1", " ".join(text.split()))


def shortened(text: str, limit: int) -> str:
    """``text`` as lines without blank ones or Markdown heading marks, cut at a word before
    ``limit`` characters with an ellipsis when longer: readable in an SMS."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    joined = "\n".join(line for line in lines if line)
    if len(joined) <= limit:
        return joined
    cut = joined[: max(0, limit - 1)]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-\n") + "…"


def matching(runbooks: Iterable[Runbook], labels: Mapping[str, str]) -> list[Runbook]:
    """The runbooks covering an alert with ``labels``, by slug."""
    return sorted((r for r in runbooks if r.matches(labels)), key=lambda r: r.slug)
