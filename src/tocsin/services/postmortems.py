"""Postmortems as the API, the web UI and the CLI use them (docs/postmortems.md): drafted
on request (or by ``postmortem_watch`` when a required incident is resolved), edited at
the version the editor read (else ``VersionConflict``), submitted for review, approved by
the named reviewers, published; each step on the incident's timeline. The rules are
``domain/postmortems``; each command is one transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from tocsin.config.compile import RoutingConfig
from tocsin.domain.incidents import Incident
from tocsin.domain.learning_policy import PostmortemPolicy
from tocsin.domain.postmortem_template import (
    DraftFacts,
    TemplateError,
    action_items_text,
    replace_block,
    timeline_text,
)
from tocsin.domain.postmortems import (
    Actor,
    Edit,
    NotAllowed,
    Postmortem,
    PostmortemState,
    StateError,
    Step,
    edit,
    step,
)
from tocsin.engine.clock import Clock
from tocsin.errors import ConfigError, Conflict, FieldProblem, InputError, NotFound
from tocsin.notify.paging import ENGINE
from tocsin.services import postmortem_drafts as drafts
from tocsin.services.slos import SloService
from tocsin.store import audit
from tocsin.store import incidents as incident_store
from tocsin.store import postmortems as store
from tocsin.store.database import Database
from tocsin.store.incidents import Event
from tocsin.store.postmortems import Listed

__all__ = ["PostmortemPage", "PostmortemService", "VersionConflict", "rules"]

#: The timeline entry each step writes.
STEP_WORDS = {
    Step.SUBMIT: "Postmortem submitted for review by {who}",
    Step.APPROVE: "Postmortem approved by {who}",
    Step.PUBLISH: "Postmortem published by {who}",
    Step.REOPEN: "Postmortem back to draft by {who}",
}


class VersionConflict(Conflict):
    """Someone saved the postmortem since the version this edit was based on."""

    def __init__(self, incident_id: int, stored: int, sent: int) -> None:
        super().__init__(
            f"the postmortem of incident {incident_id} is at version {stored}, "
            f"but this edit was based on version {sent}: someone saved it meanwhile"
        )
        self.stored = stored
        self.sent = sent


@dataclass(frozen=True)
class PostmortemPage:
    """What the postmortem's page shows: the incident, its postmortem (None: not drafted
    yet), the timeline entries to choose from, and the policy."""

    incident: Incident
    postmortem: Postmortem | None
    events: tuple[Event, ...]
    policy: PostmortemPolicy


@contextmanager
def rules() -> Iterator[None]:
    """The domain's refusals as Tocsin's errors: a wrong state is a conflict, a wrong
    field or person is bad input naming the field."""
    try:
        yield
    except StateError as exc:
        raise Conflict(str(exc)) from None
    except NotAllowed as exc:
        raise InputError(FieldProblem(exc.field, exc.problem)) from None
    except TemplateError as exc:
        raise ConfigError(f"postmortems.template: {exc}") from None


class PostmortemService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        config: Callable[[], RoutingConfig | None],
        slos: SloService,
        public_url: str,
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.slos = slos
        self.public_url = public_url
        self.wake = wake

    @property
    def policy(self) -> PostmortemPolicy:
        config = self.config()
        return config.postmortems if config is not None else PostmortemPolicy()

    # -- reading -----------------------------------------------------------------------------

    def find(self, incident_id: int) -> Postmortem | None:
        with self.db.read() as conn:
            self.incident(conn, incident_id)
            return store.for_incident(conn, incident_id)

    def get(self, incident_id: int) -> Postmortem:
        found = self.find(incident_id)
        if found is None:
            raise NotFound(f"incident {incident_id} has no postmortem")
        return found

    def page(self, incident_id: int) -> PostmortemPage:
        with self.db.read() as conn:
            incident = self.incident(conn, incident_id)
            events = incident_store.events(conn, incident_id)
            found = store.for_incident(conn, incident_id)
        own = tuple(e for e in events if e.kind != drafts.OWN_KIND)
        return PostmortemPage(incident, found, own, self.policy)

    def listing(
        self, *, state: str | None = None, overdue: bool | None = None, limit: int = 500
    ) -> list[Listed]:
        """Postmortems, the soonest due first; ``overdue`` True: only overdue ones, False:
        none of them."""
        if state is not None and state not in {s.value for s in PostmortemState}:
            raise InputError(
                FieldProblem("state", f"{state!r} is not one of draft, in_review, published")
            )
        now = self.clock.now()
        with self.db.read() as conn:
            found = store.listing(
                conn,
                states=[state] if state else (),
                overdue_at=now if overdue else None,
                limit=limit,
            )
        if overdue is False:
            found = [f for f in found if not f.postmortem.overdue(now)]
        return found

    @staticmethod
    def incident(conn: Connection, incident_id: int) -> Incident:
        incident = incident_store.get(conn, incident_id)
        if incident is None:
            raise NotFound(f"no incident {incident_id}")
        return incident

    # -- commands ----------------------------------------------------------------------------

    def create(self, incident_id: int, actor: str) -> Postmortem:
        """Draft the incident's postmortem now (Conflict when it has one)."""
        with self.db.read() as conn:
            facts = drafts.read_facts(conn, incident_id)
            if store.for_incident(conn, incident_id) is not None:
                raise Conflict(f"incident {incident_id} has a postmortem already")
        slos = drafts.slo_facts(self.slos, facts.incident, facts.heads.values())
        now = self.clock.now()
        with rules():
            new = drafts.draft(facts, slos, self.config(), actor, now)
        made = self.db.transact(lambda conn: self.store_draft(conn, new, now))
        if made is None:
            raise Conflict(f"incident {incident_id} has a postmortem already")
        return made

    def store_draft(self, conn: Connection, new: Postmortem, now: datetime) -> Postmortem | None:
        """Store a new draft and say so on the timeline; None when the incident got a
        postmortem meanwhile (the unique incident id refuses a second)."""
        if store.for_incident(conn, new.incident_id, lock=True) is not None:
            return None
        try:
            with conn.begin_nested():
                store.create(conn, new)
        except IntegrityError:  # another node stored one first: the unique key refused ours
            return None
        how = "from the incident" if new.created_by == ENGINE else "by " + new.created_by
        zone = self.policy.time_zone
        due = (
            f", due {new.due_at.astimezone(ZoneInfo(zone)):%Y-%m-%d} ({zone})" if new.due_at else ""
        )
        incident_store.add_event(
            conn,
            new.incident_id,
            now,
            drafts.OWN_KIND,
            new.created_by,
            f"Postmortem drafted {how}{due}",
            {"step": "draft"},
        )
        made = store.for_incident(conn, new.incident_id)
        audit.record(
            conn,
            now,
            "postmortem.drafted",
            "postmortem",
            new.incident_id,
            actor=new.created_by,
            after=made,
        )
        return made

    def actor(self, incident: Incident, user: str) -> Actor:
        config = self.config()
        person = config.users.get(user) if config is not None else None
        return Actor(
            user,
            admin=bool(person and person.admin),
            commander=incident.roles.get("commander") == user,
        )

    def known(self, users: Sequence[str] | None, field: str) -> None:
        config = self.config()
        for user in users or ():
            if user.strip() and (config is None or user.strip() not in config.users):
                raise InputError(FieldProblem(field, f"no user {user.strip()!r}"))

    def edit(self, incident_id: int, actor: str, version: int, change: Edit) -> Postmortem:
        """Apply ``change`` to the postmortem at ``version`` (VersionConflict when it is at
        another). A new timeline selection redraws the document's timeline block."""
        self.known(change.authors, "authors")
        self.known(change.reviewers, "reviewers")

        def work(conn: Connection) -> Postmortem:
            incident = self.incident(conn, incident_id)
            pm = self._locked(conn, incident_id)
            if pm.version != version:
                raise VersionConflict(incident_id, pm.version, version)
            now = self.clock.now()
            with rules():
                after = edit(pm, change, self.actor(incident, actor), now, self.policy)
            if change.timeline_selection is not None:
                after = self._redraw_timeline(conn, incident, after)
            return self.save(conn, pm, after, actor=actor)

        return self.db.transact(work)

    def _redraw_timeline(self, conn: Connection, incident: Incident, pm: Postmortem) -> Postmortem:
        events = [e for e in incident_store.events(conn, incident.id) if e.kind != drafts.OWN_KIND]
        strange = sorted(set(pm.timeline_selection or ()) - {e.id for e in events})
        if strange:
            raise InputError(
                FieldProblem(
                    "timeline_selection",
                    f"{', '.join(map(str, strange))}: not on the timeline of incident "
                    f"{incident.id}",
                )
            )
        facts = DraftFacts(
            incident=incident,
            zone=ZoneInfo(self.policy.time_zone),
            timeline=drafts.timeline_entries(events),
            selection=frozenset(pm.timeline_selection or ()),
        )
        body = replace_block(pm.body, "timeline", timeline_text(facts))
        return pm if body is None else replace(pm, body=body)

    def _locked(self, conn: Connection, incident_id: int) -> Postmortem:
        pm = store.for_incident(conn, incident_id, lock=True)
        if pm is None:
            raise NotFound(f"incident {incident_id} has no postmortem")
        return pm

    def save(
        self,
        conn: Connection,
        before: Postmortem,
        after: Postmortem,
        *,
        action: str = "postmortem.edited",
        actor: str | None = None,
    ) -> Postmortem:
        """Write ``after`` over ``before`` (read under lock): a changed document is one
        version more than ``before``, however many parts of it changed. The audit log
        records ``action`` by ``actor``."""
        if after is before:
            return before
        if _document(after) != _document(before):
            after = replace(after, version=before.version + 1)
        if not store.save(conn, after, before.version):
            stored = store.for_incident(conn, before.incident_id)
            raise VersionConflict(
                before.incident_id, stored.version if stored else 0, before.version
            )
        audit.record_change(
            conn,
            self.clock.now(),
            action,
            "postmortem",
            before.incident_id,
            before,
            after,
            actor=actor,
        )
        return after

    def _step(
        self, incident_id: int, what: Step, user: str, *, override: bool = False
    ) -> Postmortem:
        def work(conn: Connection) -> Postmortem:
            incident = self.incident(conn, incident_id)
            pm = self._locked(conn, incident_id)
            now = self.clock.now()
            with rules():
                after = step(pm, what, self.actor(incident, user), now, override=override)
            if after is pm:
                return pm
            if what is Step.SUBMIT:
                items = DraftFacts(
                    incident=incident,
                    zone=ZoneInfo(self.policy.time_zone),
                    action_items=tuple(store.action_item_facts(conn, incident_id)),
                    names=drafts.names_of(self.config()),
                )
                body = replace_block(after.body, "action_items", action_items_text(items))
                if body is not None:
                    after = replace(after, body=body)
            saved = self.save(conn, pm, after, action=_DONE[what], actor=user)
            text = STEP_WORDS[what].format(who=user)
            if what is Step.PUBLISH and pm.waiting_for:
                text += f" without the approval of {', '.join(pm.waiting_for)}"
            incident_store.add_event(
                conn, incident_id, now, drafts.OWN_KIND, user, text, {"step": what.value}
            )
            return saved

        return self.db.transact(work)

    def submit(self, incident_id: int, actor: str) -> Postmortem:
        """For review; the action items list is brought up to date."""
        return self._step(incident_id, Step.SUBMIT, actor)

    def approve(self, incident_id: int, actor: str) -> Postmortem:
        return self._step(incident_id, Step.APPROVE, actor)

    def publish(self, incident_id: int, actor: str, *, override: bool = False) -> Postmortem:
        return self._step(incident_id, Step.PUBLISH, actor, override=override)

    def reopen(self, incident_id: int, actor: str) -> Postmortem:
        """Back to draft from review."""
        return self._step(incident_id, Step.REOPEN, actor)


#: The audit log's action of each step.
_DONE = {
    Step.EDIT: "postmortem.edited",
    Step.SUBMIT: "postmortem.submitted",
    Step.APPROVE: "postmortem.approved",
    Step.PUBLISH: "postmortem.published",
    Step.REOPEN: "postmortem.reopened",
}


def _document(pm: Postmortem) -> tuple[object, ...]:
    """What ``version`` counts the edits of (not the state, nor the approvals)."""
    return (
        pm.title,
        pm.body,
        pm.root_cause_category,
        pm.authors,
        tuple(r.user for r in pm.reviewers),
        pm.timeline_selection,
    )
