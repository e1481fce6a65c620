"""Tabletop exercises: sessions of a scenario (``drills.scenarios``) walked step by step,
the team's answers recorded per question, and the report (docs/drills.md)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from tocsin.config.compile import RoutingConfig
from tocsin.domain.tabletop import (
    DEBRIEF,
    Answer,
    Scenario,
    Session,
    SessionState,
    session_markdown,
)
from tocsin.engine.clock import Clock
from tocsin.errors import Conflict, FieldProblem, InputError, NotFound
from tocsin.store import audit
from tocsin.store import drills as store
from tocsin.store.database import Database

__all__ = ["SessionView", "TabletopService"]

MAX_ANSWER = 10_000
MAX_NOTES = 50_000
MAX_PARTICIPANTS = 100


@dataclass(frozen=True)
class SessionView:
    session: Session
    #: None: its scenario file is gone from the configuration.
    scenario: Scenario | None
    answers: list[Answer]

    def answers_to(self, step: int, question: int) -> list[Answer]:
        return [a for a in self.answers if a.step == step and a.question == question]

    @property
    def steps(self) -> int:
        return len(self.scenario.steps) if self.scenario is not None else 0


def _participants(names: Sequence[str]) -> list[str]:
    out = list(dict.fromkeys(n.strip()[:100] for n in names if n.strip()))
    if len(out) > MAX_PARTICIPANTS:
        raise InputError(FieldProblem("participants", f"at most {MAX_PARTICIPANTS}"))
    return out


_KIND = "tabletop_session"


class TabletopService:
    def __init__(
        self, db: Database, clock: Clock, config: Callable[[], RoutingConfig | None]
    ) -> None:
        self.db = db
        self.clock = clock
        self.config = config

    # -- scenarios ---------------------------------------------------------------------------

    def scenarios(self) -> list[Scenario]:
        config = self.config()
        found = config.drills.scenarios if config is not None else {}
        return sorted(found.values(), key=lambda s: s.name)

    def scenario(self, name: str) -> Scenario:
        config = self.config()
        found = config.drills.scenarios.get(name) if config is not None else None
        if found is None:
            raise NotFound(f"no tabletop scenario {name!r} (drills.scenarios)")
        return found

    # -- sessions ----------------------------------------------------------------------------

    def start(self, scenario: str, actor: str, participants: Sequence[str] = ()) -> Session:
        chosen = self.scenario(scenario)
        people = _participants([actor, *participants])

        def work(conn: Connection) -> Session:
            sid = store.create_session(
                conn, chosen.name, chosen.title, people, actor, self.clock.now()
            )
            made = self._get(conn, sid)
            audit.record(
                conn, self.clock.now(), "tabletop.started", _KIND, sid, actor=actor, after=made
            )
            return made

        return self.db.transact(work)

    def sessions(self, limit: int = 100) -> list[Session]:
        with self.db.read() as conn:
            return store.sessions(conn, limit)

    def view(self, session_id: int) -> SessionView:
        with self.db.read() as conn:
            session = self._get(conn, session_id)
            answers = store.answers(conn, session_id)
        config = self.config()
        scenario = config.drills.scenarios.get(session.scenario) if config is not None else None
        return SessionView(session, scenario, answers)

    def _get(self, conn: Connection, session_id: int, *, lock: bool = False) -> Session:
        session = store.get_session(conn, session_id, lock=lock)
        if session is None:
            raise NotFound(f"no tabletop session {session_id}")
        return session

    def _running(self, conn: Connection, session_id: int) -> Session:
        session = self._get(conn, session_id, lock=True)
        if session.finished:
            raise Conflict(f"tabletop session {session_id} is finished")
        return session

    def go_to(self, session_id: int, step: int) -> Session:
        """Move to ``step`` (0-based; the number of steps: the debrief)."""
        view = self.view(session_id)
        if not 0 <= step <= view.steps:
            raise InputError(FieldProblem("step", f"must be between 1 and {view.steps + 1}"))

        def work(conn: Connection) -> Session:
            before = self._running(conn, session_id)
            store.update_session(conn, session_id, step=step)
            return self._changed(conn, "tabletop.step_changed", before, self._get(conn, session_id))

        return self.db.transact(work)

    def answer(self, session_id: int, step: int, question: int, text: str, actor: str) -> Answer:
        """Record the team's answer to a question of a step (``step`` -1: the debrief)."""
        view = self.view(session_id)
        scenario = view.scenario
        if scenario is None:
            raise Conflict(f"the scenario {view.session.scenario!r} is no longer configured")
        questions = scenario.debrief if step == DEBRIEF else _questions(scenario, step)
        if not 0 <= question < len(questions):
            raise InputError(FieldProblem("question", "no such question at this step"))
        text = text.strip()
        if not text:
            raise InputError(FieldProblem("answer", "must not be empty"))
        if len(text) > MAX_ANSWER:
            raise InputError(FieldProblem("answer", f"is longer than {MAX_ANSWER} characters"))

        def work(conn: Connection) -> Answer:
            session = self._running(conn, session_id)
            now = self.clock.now()
            store.add_answer(conn, session_id, step, question, text, actor, now)
            if actor not in session.participants:
                store.update_session(conn, session_id, participants=[*session.participants, actor])
            made = store.answers(conn, session_id)[-1]
            audit.record(conn, now, "tabletop.answered", _KIND, session_id, actor=actor, after=made)
            return made

        return self.db.transact(work)

    def set_participants(self, session_id: int, names: Sequence[str]) -> Session:
        people = _participants(names)

        def work(conn: Connection) -> Session:
            before = self._running(conn, session_id)
            store.update_session(conn, session_id, participants=people)
            after = self._get(conn, session_id)
            return self._changed(conn, "tabletop.participants_changed", before, after)

        return self.db.transact(work)

    def finish(self, session_id: int, notes: str = "") -> Session:
        if len(notes) > MAX_NOTES:
            raise InputError(FieldProblem("notes", f"is longer than {MAX_NOTES} characters"))

        def work(conn: Connection) -> Session:
            before = self._running(conn, session_id)
            store.update_session(
                conn,
                session_id,
                state=SessionState.FINISHED,
                notes=notes.strip(),
                finished_at=self.clock.now(),
            )
            return self._changed(conn, "tabletop.finished", before, self._get(conn, session_id))

        return self.db.transact(work)

    def _changed(self, conn: Connection, action: str, before: Session, after: Session) -> Session:
        """Record what a session's change changed (the audit log); the session after."""
        audit.record_change(conn, self.clock.now(), action, _KIND, after.id, before, after)
        return after

    def markdown(self, session_id: int) -> str:
        view = self.view(session_id)
        return session_markdown(view.session, view.scenario, view.answers, self.clock.now())


def _questions(scenario: Scenario, step: int) -> tuple[str, ...]:
    if not 0 <= step < len(scenario.steps):
        raise InputError(FieldProblem("step", f"must be between 1 and {len(scenario.steps)}"))
    return scenario.steps[step].questions
