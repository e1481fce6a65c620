"""Runbooks (docs/runbooks.md): list them (stale ones flagged), read one with its previous
incidents, the ones an incident uses, and write the database's (the web UI's and the API's):
create, edit at the version read, mark reviewed. File runbooks are read-only here: their
text, and their review, live in git."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection

from tocsin.config.compile import RoutingConfig
from tocsin.config.runbooks import compile_runbook, file_text
from tocsin.domain.durations import duration_text
from tocsin.domain.runbook_template import body_from
from tocsin.domain.runbooks import (
    PREVIOUS_INCIDENTS,
    SLUG,
    Runbook,
    RunbookPolicy,
    markdown_escape,
    matching,
    with_section_text,
)
from tocsin.engine.clock import Clock
from tocsin.errors import Conflict, FieldProblem, Forbidden, InputError, NotFound
from tocsin.notify.runbook_links import catalogue
from tocsin.services.access import service_team
from tocsin.store import alerts as alert_store
from tocsin.store import audit
from tocsin.store import incidents as incident_store
from tocsin.store import runbooks as store
from tocsin.store.database import Database
from tocsin.store.runbooks import Used

__all__ = ["Fields", "IncidentRunbook", "Listed", "RunbookPage", "RunbookService"]

MAX_BODY = 1_000_000


@dataclass(frozen=True)
class Fields:
    """What a person writes: the front matter's fields (as typed) and the Markdown."""

    title: str
    body: str = ""
    alerts: Sequence[str] = ()
    matchers: Sequence[str] = ()
    service: str | None = None
    owner: str | None = None
    #: ``2026-10-01``, or a date
    last_reviewed: str | date | None = None
    #: ``30d``
    review_every: str | None = None

    def raw(self) -> dict[str, Any]:
        raw: dict[str, Any] = {"title": self.title}
        raw["alerts"] = [a for a in (x.strip() for x in self.alerts) if a]
        raw["matchers"] = [m for m in (x.strip() for x in self.matchers) if m]
        for name in ("service", "owner", "last_reviewed", "review_every"):
            value = getattr(self, name)
            if isinstance(value, str):
                value = value.strip() or None
            if value is not None:
                raw[name] = value
        return raw


@dataclass(frozen=True)
class Listed:
    runbook: Runbook
    stale: bool
    review_due: date | None
    #: A database runbook a file of the same slug hides.
    hidden: bool = False


@dataclass(frozen=True)
class RunbookPage:
    runbook: Runbook
    stale: bool
    review_due: date | None
    #: The incidents that used it, the most recent first.
    previous: list[Used]
    #: Its Markdown with "Previous incidents" filled in.
    body: str


@dataclass(frozen=True)
class IncidentRunbook:
    runbook: Runbook
    stale: bool
    #: When its alerts first matched it (None: they match it now, e.g. a runbook written
    #: after they joined the incident).
    first_matched_at: datetime | None


def _hours(used: Used) -> str:
    span = used.time_to_resolve
    return duration_text(span) if span is not None else "not resolved"


def previous_markdown(previous: Sequence[Used]) -> str:
    """The incidents as a Markdown table (their titles escaped)."""
    if not previous:
        return "_No incident has used this runbook yet._"
    rows = [
        "| Incident | Date | Severity | Title | Time to resolve |",
        "| --- | --- | --- | --- | --- |",
    ]
    for u in previous:
        rows.append(
            f"| [#{u.incident_id}](/incidents/{u.incident_id}) | {u.created_at:%Y-%m-%d} | "
            f"{u.severity.value} | {markdown_escape(u.title)} | {_hours(u)} |"
        )
    return "\n".join(rows)


def _ANY(team: str | None) -> bool:
    return True


class RunbookService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        current: Callable[[], RoutingConfig | None],
        public_url: str,
    ) -> None:
        self.db = db
        self.clock = clock
        self.current = current
        self.public_url = public_url.rstrip("/")

    @property
    def policy(self) -> RunbookPolicy:
        config = self.current()
        return config.runbooks if config is not None else RunbookPolicy()

    def _all(self, conn: Connection) -> dict[str, Runbook]:
        return catalogue(conn, self.current())

    def _stale(self, rb: Runbook, now: datetime) -> bool:
        return rb.stale(self.policy.review_every, now)

    # -- reading -------------------------------------------------------------------------------

    def listing(
        self, *, stale: bool | None = None, service: str | None = None, alert: str | None = None
    ) -> list[Listed]:
        """Every runbook by slug (database ones a file hides last), filtered."""
        now = self.clock.now()
        with self.db.read() as conn:
            stored = store.all_runbooks(conn)
        files = self.policy.files
        rows = [
            Listed(rb, self._stale(rb, now), rb.review_due(self.policy.review_every))
            for rb in [*files.values(), *(r for r in stored if r.slug not in files)]
        ]
        rows.sort(key=lambda x: x.runbook.slug)
        rows += [
            Listed(r, self._stale(r, now), r.review_due(self.policy.review_every), hidden=True)
            for r in stored
            if r.slug in files
        ]
        if stale is not None:
            rows = [r for r in rows if r.stale == stale]
        if service:
            rows = [r for r in rows if r.runbook.service == service]
        if alert:
            rows = [
                r
                for r in rows
                if alert in r.runbook.alerts or r.runbook.matches({"alertname": alert})
            ]
        return rows

    def get(self, slug: str) -> Runbook:
        with self.db.read() as conn:
            rb = self._find(conn, slug)
        return rb

    def _find(self, conn: Connection, slug: str) -> Runbook:
        rb = self.policy.files.get(slug) if SLUG.match(slug) else None
        if rb is None and SLUG.match(slug):
            rb = store.get(conn, slug)
        if rb is None:
            raise NotFound(f"no runbook {slug!r}")
        return rb

    def page(self, slug: str) -> RunbookPage:
        now = self.clock.now()
        with self.db.read() as conn:
            rb = self._find(conn, slug)
            previous = store.used_by(conn, slug)
        body = with_section_text(
            rb.body, PREVIOUS_INCIDENTS, "Previous incidents", previous_markdown(previous)
        )
        due = rb.review_due(self.policy.review_every)
        return RunbookPage(rb, self._stale(rb, now), due, previous, body)

    def for_incident(self, incident_id: int) -> list[IncidentRunbook]:
        """The runbooks the incident used (recorded) or its alerts match now."""
        now = self.clock.now()
        with self.db.read() as conn:
            if incident_store.get(conn, incident_id) is None:
                raise NotFound(f"no incident {incident_id}")
            linked = {
                link.slug: link.first_matched_at for link in store.links_of(conn, incident_id)
            }
            fingerprints = [
                a.fingerprint for a in incident_store.alerts_of(conn, [incident_id])[incident_id]
            ]
            heads = alert_store.load_heads(conn, fingerprints)
            runbooks = self._all(conn)
        live = {rb.slug for a in heads.values() for rb in matching(runbooks.values(), a.labels)}
        out = [
            IncidentRunbook(runbooks[s], self._stale(runbooks[s], now), linked.get(s))
            for s in sorted(set(linked) | live)
            if s in runbooks
        ]
        return out

    def template(self, title: str = "New runbook") -> str:
        return body_from(self.policy.template, title)

    def export(self, slug: str) -> tuple[str, str]:
        """(file name, text) of a runbook as a file of the runbooks directory."""
        rb = self.get(slug)
        return f"{rb.slug}.md", file_text(
            title=rb.title,
            body=rb.body,
            alerts=rb.alerts,
            matchers=[str(m) for m in rb.matchers],
            service=rb.service,
            owner=rb.owner,
            last_reviewed=rb.last_reviewed,
            review_every=duration_text(rb.review_every) if rb.review_every else None,
        )

    # -- writing (database runbooks) -------------------------------------------------------------

    def _checked(self, slug: str, fields: Fields) -> Runbook:
        problems: list[FieldProblem] = []
        if not SLUG.match(slug):
            problems.append(
                FieldProblem(
                    "slug",
                    "must be lower case letters, digits, - and _ (at most 100), "
                    "starting with a letter or digit",
                )
            )
        elif slug in self.policy.files:
            problems.append(
                FieldProblem(
                    "slug", f"a runbook file has this slug: {self.policy.files[slug].path}"
                )
            )
        if len(fields.body) > MAX_BODY:
            problems.append(FieldProblem("body", f"is longer than {MAX_BODY} characters"))

        def problem(keys: list[str | int], text: str) -> None:
            name = ".".join(str(k) for k in keys) if keys else "body"
            if len(keys) == 2 and isinstance(keys[1], int):
                name = f"{keys[0]}[{keys[1]}]"
            problems.append(FieldProblem(name, text))

        config = self.current()
        people = {*config.users, *config.teams} if config is not None else None
        body = fields.body if fields.body.strip() else body_from(self.policy.template, fields.title)
        rb = compile_runbook(slug, fields.raw(), body.replace("\r\n", "\n"), problem, people=people)
        if problems or rb is None:
            raise InputError(problems or [FieldProblem("body", "is not a runbook")])
        return rb

    def team_of(self, rb: Runbook) -> str | None:
        """The team a runbook belongs to: its owner, when a team owns it, else the team
        owning its service."""
        config = self.current()
        if rb.owner and config is not None and rb.owner in config.teams:
            return rb.owner
        return service_team(config, rb.service)

    def _may(self, rb: Runbook, may_change: Callable[[str | None], bool]) -> None:
        team = self.team_of(rb)
        if not may_change(team):
            raise Forbidden(f"only members of team {team!r} and admins can change this runbook")

    def create(
        self, slug: str, fields: Fields, who: str, may_change: Callable[[str | None], bool] = _ANY
    ) -> Runbook:
        """Write a database runbook; ``may_change(team)`` says whether who asks may write
        for that team (the runbook's owner or its service's team)."""
        rb = self._checked(slug, fields)
        self._may(rb, may_change)
        with self.db.write() as conn:
            if store.get(conn, slug) is not None:
                raise Conflict(f"there is a runbook {slug!r} already")
            made = store.create(conn, rb, who, self.clock.now())
            audit.record(
                conn, self.clock.now(), "runbook.created", "runbook", slug, actor=who, after=made
            )
            return made

    def update(
        self,
        slug: str,
        version: int,
        fields: Fields,
        who: str,
        may_change: Callable[[str | None], bool] = _ANY,
    ) -> Runbook:
        """Replace a database runbook; who asks must be allowed to change it as it is and
        as it will be (``create``)."""
        with self.db.read() as conn:
            self._may(self._writable(conn, slug), may_change)
        rb = self._checked(slug, fields)
        self._may(rb, may_change)
        with self.db.write() as conn:
            stored = self._writable(conn, slug)
            if stored.version != version:
                raise Conflict(
                    f"{stored.updated_by} saved version {stored.version} of this runbook after "
                    f"version {version} you edited: reload it and edit again"
                )
            store.save(conn, rb, version, who, self.clock.now())
            saved = store.get(conn, slug)
            audit.record_change(
                conn, self.clock.now(), "runbook.edited", "runbook", slug, stored, saved, actor=who
            )
        assert saved is not None
        return saved

    def review(
        self, slug: str, who: str, may_change: Callable[[str | None], bool] = _ANY
    ) -> Runbook:
        """Mark a database runbook reviewed today (UTC)."""
        now = self.clock.now()
        with self.db.write() as conn:
            stored = self._writable(conn, slug)
            self._may(stored, may_change)
            store.reviewed(conn, slug, now.date(), who, now)
            saved = store.get(conn, slug)
            audit.record(
                conn,
                now,
                "runbook.reviewed",
                "runbook",
                slug,
                actor=who,
                before={"last_reviewed": stored.last_reviewed},
                after={"last_reviewed": now.date()},
            )
        assert saved is not None
        return saved

    def _writable(self, conn: Connection, slug: str) -> Runbook:
        file = self.policy.files.get(slug)
        if file is not None:
            raise Conflict(
                f"the runbook {slug!r} is a file ({file.path}): edit it in git (its front "
                "matter's last_reviewed says when it was reviewed)"
            )
        rb = store.get(conn, slug) if SLUG.match(slug) else None
        if rb is None:
            raise NotFound(f"no runbook {slug!r}")
        return rb
