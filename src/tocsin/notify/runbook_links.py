"""Runbooks and incidents: which runbooks there are (the configuration's files, then the
database's), which ones an incident's alerts match (recorded when alerts join it, in the
group's tick: never on the ingest path), and what a page says about them.

A file runbook and a database runbook with the same slug: the file wins (git is the truth);
the web UI says the database one is hidden."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine

from tocsin.config.compile import RoutingConfig
from tocsin.domain.alerts import Alert
from tocsin.domain.runbooks import Runbook, matching, quick_assessment, shortened
from tocsin.store import runbooks as store

__all__ = [
    "MAX_PAGED",
    "QUICK_IN_PAGE",
    "PagedRunbook",
    "catalogue",
    "page_lines",
    "paged",
    "record",
    "runbook_url",
]

#: Runbooks named in a page (the others are on the incident's page).
MAX_PAGED = 2
#: Characters of a quick assessment in a page: with the rest it stays well within an SMS
#: (``channels.twilio``: 1600) and a call reads its first 400 characters of the body.
QUICK_IN_PAGE = 300


@dataclass(frozen=True)
class PagedRunbook:
    title: str
    url: str
    quick_assessment: str


def catalogue(conn: Connection, config: RoutingConfig | None) -> dict[str, Runbook]:
    """Every runbook by slug: the database's, then the files' over them (whole: for the
    runbook pages and reviews, not for the hot paths)."""
    found = {rb.slug: rb for rb in store.all_runbooks(conn)}
    if config is not None:
        found.update(config.runbooks.files)
    return found


class _Matchable:
    """The stored runbooks' slugs and compiled matchers, per database, read again only when
    ``store.catalogue_stamp`` changes (a runbook created or saved): a group's tick reads one
    aggregate row, not every runbook's body."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: weakref.WeakKeyDictionary[Engine, tuple[Any, tuple[Runbook, ...]]] = (
            weakref.WeakKeyDictionary()
        )

    def get(self, conn: Connection) -> tuple[Runbook, ...]:
        stamp = store.catalogue_stamp(conn)
        with self._lock:
            known = self._known.get(conn.engine)
        if known is not None and known[0] == stamp:
            return known[1]
        runbooks = tuple(store.matchable(conn))
        with self._lock:
            self._known[conn.engine] = (stamp, runbooks)
        return runbooks


_matchable = _Matchable()


def record(
    conn: Connection,
    config: RoutingConfig,
    incident_id: int,
    alerts: Sequence[Alert],
    now: datetime,
) -> list[str]:
    """Link the incident to the runbooks the (joining) ``alerts`` match; the new links."""
    if not alerts:
        return []
    files = config.runbooks.files
    runbooks = [*(rb for rb in _matchable.get(conn) if rb.slug not in files), *files.values()]
    slugs = {rb.slug for a in alerts for rb in matching(runbooks, a.labels)}
    return store.link(conn, incident_id, slugs, now)


def runbook_url(public_url: str, slug: str) -> str:
    return f"{public_url.rstrip('/')}/runbooks/{slug}"


def paged(
    conn: Connection, config: RoutingConfig | None, incident_id: int, public_url: str
) -> list[PagedRunbook]:
    """The runbooks the incident used, as a page names them: reads only those."""
    linked = store.linked_slugs(conn, incident_id)
    if not linked:
        return []
    files = config.runbooks.files if config is not None else {}
    stored = store.paged_facts(conn, [s for s in linked if s not in files])
    out = []
    for slug in linked:
        if slug in files:
            rb = files[slug]
            title, assessment = rb.title, rb.quick_assessment
        elif slug in stored:
            title, body = stored[slug]
            assessment = quick_assessment(body)
        else:
            continue
        out.append(PagedRunbook(title, runbook_url(public_url, slug), assessment))
    return out


def page_lines(runbooks: Iterable[PagedRunbook]) -> list[str]:
    """The lines a page's body ends with: each runbook's link first (so an SMS cut short
    keeps it), then its quick assessment, shortened."""
    shown = list(runbooks)
    lines: list[str] = []
    for rb in shown[:MAX_PAGED]:
        lines.append(f"Runbook: {rb.title} {rb.url}")
        if rb.quick_assessment:
            lines.append("Quick assessment: " + shortened(rb.quick_assessment, QUICK_IN_PAGE))
    if len(shown) > MAX_PAGED:
        more = len(shown) - MAX_PAGED
        lines.append(f"{more} more runbook{'' if more == 1 else 's'} on the incident's page.")
    return lines


def owners_of(config: RoutingConfig, owner: str | None) -> list[str]:
    """The people an owner is: the user, or the team's members."""
    if owner is None:
        return []
    if owner in config.users:
        return [owner]
    team = config.teams.get(owner)
    return list(team.members) if team is not None else []


def by_slug(runbooks: Mapping[str, Runbook], slugs: Iterable[str]) -> list[Runbook]:
    return [runbooks[s] for s in slugs if s in runbooks]
