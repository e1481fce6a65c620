"""Tabletop exercises: a scenario walked through step by step by a team, who answer each
step's questions; the answers make the session's report.

A scenario is a file (``drills.scenarios``): a title, a summary, the roles people play,
steps (each a situation in Markdown, perhaps an inject of new information, and questions),
and debrief questions for the end."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from tocsin.domain.durations import duration_text

__all__ = [
    "DEBRIEF",
    "Answer",
    "Scenario",
    "Session",
    "SessionState",
    "Step",
    "session_markdown",
]

#: The step number of debrief answers.
DEBRIEF = -1


@dataclass(frozen=True)
class Step:
    title: str
    #: Markdown.
    situation: str
    questions: tuple[str, ...]
    #: New information the facilitator reveals at this step.
    inject: str | None = None


@dataclass(frozen=True)
class Scenario:
    #: The file's stem: what a session names.
    name: str
    title: str
    summary: str
    steps: tuple[Step, ...]
    roles: tuple[str, ...] = ()
    debrief: tuple[str, ...] = ()
    path: str = ""


class SessionState:
    RUNNING = "running"
    FINISHED = "finished"


@dataclass(frozen=True)
class Answer:
    id: int
    session_id: int
    #: The step (0-based), or DEBRIEF.
    step: int
    question: int
    text: str
    answered_by: str
    answered_at: datetime


@dataclass(frozen=True)
class Session:
    id: int
    scenario: str
    title: str
    state: str
    #: The step the team is on (0-based); ``len(steps)``: the debrief.
    step: int
    participants: tuple[str, ...]
    notes: str
    started_at: datetime
    started_by: str
    finished_at: datetime | None = None

    @property
    def finished(self) -> bool:
        return self.state == SessionState.FINISHED


def _answers_of(answers: Sequence[Answer]) -> Mapping[tuple[int, int], list[Answer]]:
    out: dict[tuple[int, int], list[Answer]] = {}
    for a in sorted(answers, key=lambda a: (a.answered_at, a.id)):
        out.setdefault((a.step, a.question), []).append(a)
    return out


def session_markdown(
    session: Session, scenario: Scenario | None, answers: Sequence[Answer], now: datetime
) -> str:
    """The session's report as Markdown: the scenario, who took part, each step with its
    answers (who answered, when), the debrief, the notes and how long it took."""
    end = session.finished_at or now
    lines = [
        f"# Tabletop exercise: {session.title}",
        "",
        f"- Scenario: {session.scenario}",
        f"- Started: {session.started_at:%Y-%m-%d %H:%M} UTC by {session.started_by}",
        f"- {'Finished' if session.finished else 'Running'}: "
        f"{duration_text(end - session.started_at)}",
        f"- Participants: {', '.join(session.participants) or 'none recorded'}",
        "",
    ]
    if scenario is not None and scenario.summary:
        lines += [scenario.summary.strip(), ""]
    by_question = _answers_of(answers)
    steps = scenario.steps if scenario is not None else ()
    for i, step in enumerate(steps):
        lines += [f"## Step {i + 1}: {step.title}", "", step.situation.strip(), ""]
        if step.inject:
            lines += [f"> Inject: {step.inject.strip()}", ""]
        for q, question in enumerate(step.questions):
            lines.append(f"### {question}")
            lines.append("")
            given = by_question.get((i, q), [])
            lines += [_answer_line(a) for a in given] or ["- (no answer)"]
            lines.append("")
    if scenario is not None and scenario.debrief:
        lines += ["## Debrief", ""]
        for q, question in enumerate(scenario.debrief):
            lines += [f"### {question}", ""]
            given = by_question.get((DEBRIEF, q), [])
            lines += [_answer_line(a) for a in given] or ["- (no answer)"]
            lines.append("")
    if session.notes.strip():
        lines += ["## Notes", "", session.notes.strip(), ""]
    return "\n".join(lines)


def _answer_line(a: Answer) -> str:
    text = a.text.strip().replace("\n", "\n  ")
    return f"- {text} ({a.answered_by}, {a.answered_at:%H:%M} UTC)"
