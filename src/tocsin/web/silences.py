"""Pages: silences. The list (active, pending, recently expired, each with how many alerts it
mutes now), the form that creates one (prefilled from an alert, from a group's matchers or
from a silence to edit or recreate, with a preview of what it would mute), and expiring one.

The form keeps what was typed: any problem re-renders it (400) with the problem next to the
field, so nobody retypes matchers at 3 a.m."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from tocsin.domain.matchers import Matcher, MatchOp, parse_matchers
from tocsin.domain.silences import Silence, SilenceState
from tocsin.errors import InputError, NotFound
from tocsin.services.alert_views import AlertView
from tocsin.web.local_time import parse_local
from tocsin.web.render import page
from tocsin.web.routing import web_router
from tocsin.web.session import Acting, Viewer, acting, runtime_of, viewing

__all__ = ["router"]

router = web_router()

DURATIONS = {
    "1h": ("1 hour", timedelta(hours=1)),
    "2h": ("2 hours", timedelta(hours=2)),
    "4h": ("4 hours", timedelta(hours=4)),
    "1d": ("1 day", timedelta(days=1)),
}
DEFAULT_DURATION = "2h"
CUSTOM = "custom"
OPERATORS = [
    (MatchOp.EQ.value, "equals"),
    (MatchOp.NE.value, "does not equal"),
    (MatchOp.RE.value, "matches regex"),
    (MatchOp.NRE.value, "does not match regex"),
]
#: Blank matcher rows the form offers for more matchers.
BLANK_ROWS = 3
#: More rows than this in one post are not read (nobody types 100 matchers).
MAX_ROWS = 100
#: How far back the list shows expired silences.
EXPIRED_WITHIN = timedelta(days=7)
#: How many alerts the preview names (it counts them all).
PREVIEW_NAMES = 20
_ROW = re.compile(r"m-(\d{1,3})-name")
#: What the service calls a field -> where the form shows it.
_FIELDS = {"matchers": "matchers", "endsAt": "ends", "startsAt": "ends", "comment": "comment"}


@dataclass
class MatcherRow:
    """One matcher as typed (or prefilled)."""

    name: str = ""
    op: str = MatchOp.EQ.value
    value: str = ""
    problem: str = ""


@dataclass
class Draft:
    """The form's content: what was typed, and what is wrong with it."""

    rows: list[MatcherRow]
    duration: str = DEFAULT_DURATION
    #: The custom end, as the datetime-local field holds it (the viewer's zone).
    ends: str = ""
    comment: str = ""
    #: Editing this (active or pending) silence; "" creates a new one.
    silence_id: str = ""
    #: Field ("matchers", "duration", "ends", "comment", "") -> problems.
    problems: dict[str, list[str]] = field(default_factory=dict)

    def add(self, where: str, problem: str) -> None:
        self.problems.setdefault(where, []).append(problem)


@dataclass(frozen=True)
class Checked:
    matchers: tuple[Matcher, ...]
    starts_at: datetime
    ends_at: datetime | None


def local_input(at: datetime, zone: ZoneInfo) -> str:
    """``at`` as a datetime-local field shows it in ``zone``."""
    return at.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def rows_of_labels(labels: dict[str, str]) -> list[MatcherRow]:
    """One equality row per label, alertname first."""
    names = sorted(labels, key=lambda n: (n != "alertname", n))
    return [MatcherRow(n, MatchOp.EQ.value, labels[n]) for n in names]


def rows_of_matchers(matchers: Sequence[Matcher]) -> list[MatcherRow]:
    return [MatcherRow(m.name, m.op.value, m.value) for m in matchers]


def read_draft(act: Acting) -> Draft:
    """The posted form as a draft; rows removed or left blank are dropped."""
    indices = sorted({int(found.group(1)) for key in act.form if (found := _ROW.fullmatch(key))})[
        :MAX_ROWS
    ]
    rows = []
    for i in indices:
        if act.text(f"m-{i}-remove"):
            continue
        row = MatcherRow(
            act.text(f"m-{i}-name"), act.text(f"m-{i}-op") or "=", act.text(f"m-{i}-value")
        )
        if row.name or row.value:
            rows.append(row)
    return Draft(
        rows,
        duration=act.text("duration") or DEFAULT_DURATION,
        ends=act.text("ends"),
        comment=act.text("comment"),
        silence_id=act.text("silence_id"),
    )


def check_matchers(draft: Draft) -> tuple[Matcher, ...] | None:
    """The draft's matchers, or None (with problems noted) when they will not do."""
    matchers = []
    for row in draft.rows:
        if not row.name:
            row.problem = "needs a label name"
            continue
        if row.op not in {op for op, _ in OPERATORS}:
            row.problem = f"{row.op!r} is not an operator"
            continue
        try:
            matchers.append(Matcher.of(row.name, row.op, row.value))
        except ValueError as exc:
            row.problem = str(exc)
    if any(row.problem for row in draft.rows):
        draft.add("matchers", "Some matchers need fixing (marked below).")
        return None
    if not matchers:
        draft.add("matchers", "Add at least one matcher.")
        return None
    if all(m.matches({}) for m in matchers):
        draft.add(
            "matchers",
            "These matchers would silence every alert: at least one must need a label value, "
            'e.g. alertname="…".',
        )
        return None
    return tuple(matchers)


def check(draft: Draft, now: datetime, zone: ZoneInfo, starts_at: datetime) -> Checked | None:
    """The silence the draft asks for, or None (with problems noted)."""
    matchers = check_matchers(draft)
    ends_at = None
    if draft.duration in DURATIONS:
        ends_at = starts_at + DURATIONS[draft.duration][1]
    elif draft.duration == CUSTOM:
        if not draft.ends:
            draft.add("ends", "Choose when the silence ends.")
        else:
            ends_at = parse_local(draft.ends, zone)
            if ends_at is None:
                draft.add("ends", f"{draft.ends!r} is not a date and time.")
            else:
                if ends_at <= now:
                    draft.add("ends", "The end is in the past: choose a time after now.")
                elif ends_at <= starts_at:
                    draft.add("ends", "The end is before the silence starts.")
    else:
        draft.add("duration", "Choose how long the silence lasts.")
    if not draft.comment:
        draft.add("comment", "Say why: whoever finds the silence later needs to know.")
    if matchers is None or ends_at is None or draft.problems:
        return None
    return Checked(matchers, starts_at, ends_at)


@dataclass(frozen=True)
class Preview:
    """The open alerts a silence with these matchers would mute now."""

    views: list[AlertView]

    @property
    def firing(self) -> int:
        """Not muted by anything else yet: what the silence changes."""
        return sum(1 for v in self.views if not v.suppressed)

    @property
    def named(self) -> list[AlertView]:
        return self.views[:PREVIEW_NAMES]


def form_page(
    request: Request,
    viewer: Viewer,
    draft: Draft,
    *,
    status_code: int = 200,
    editing: Silence | None = None,
) -> Response:
    runtime = runtime_of(request)
    now = runtime.clock.now()
    preview = None
    if draft.rows and "matchers" not in draft.problems:
        probe = Draft([MatcherRow(r.name, r.op, r.value) for r in draft.rows])
        matchers = check_matchers(probe)
        if matchers is not None:
            preview = Preview(runtime.views.open(matchers))
    if not draft.ends:
        draft.ends = local_input(now + DURATIONS[DEFAULT_DURATION][1], viewer.zone)
    rows = draft.rows + [MatcherRow() for _ in range(BLANK_ROWS)]
    title = "New silence"
    if draft.silence_id:
        title = "Edit silence"
    elif editing is not None:
        title = "Recreate silence"
    return page(
        request,
        "alerts/silence_form.html",
        viewer,
        title=title,
        draft=draft,
        rows=rows,
        operators=OPERATORS,
        durations=[(k, label) for k, (label, _) in DURATIONS.items()],
        custom=CUSTOM,
        preview=preview,
        editing=editing,
        status_code=status_code,
    )


@router.get("/silences/new")
def new_silence(
    request: Request,
    viewer: Annotated[Viewer, Depends(viewing)],
    alert: str = "",
    matcher: Annotated[list[str], Query()] = [],  # noqa: B006
    silence: str = "",
) -> Response:
    """The form, prefilled from ``alert`` (a fingerprint: one row per label), ``matcher``
    texts (``service="api"``), or ``silence`` (an id: edit it, or recreate an expired one)."""
    runtime = runtime_of(request)
    draft = Draft([])
    editing = None
    if alert:
        head = runtime.alerts.head(alert)
        if head is None:
            raise NotFound(f"no alert with fingerprint {alert}")
        draft.rows += rows_of_labels(dict(head[0].labels))
    for text in matcher:
        try:
            draft.rows += rows_of_matchers(parse_matchers(text))
        except ValueError as exc:
            draft.add("matchers", f"{text}: {exc}")
    if silence:
        editing = runtime.silences.get(silence)
        draft.rows += rows_of_matchers(editing.matchers)
        draft.comment = editing.comment
        if editing.state(runtime.clock.now()) is not SilenceState.EXPIRED:
            draft.silence_id = editing.id
            draft.duration = CUSTOM
            draft.ends = local_input(editing.ends_at, viewer.zone)
    return form_page(
        request, viewer, draft, status_code=400 if draft.problems else 200, editing=editing
    )


@router.post("/silences")
def create_silence(request: Request, act: Annotated[Acting, Depends(acting)]) -> Response:
    """Create (or, with ``silence_id``, update) a silence; "preview" only re-renders."""
    runtime = runtime_of(request)
    viewer = act.viewer
    draft = read_draft(act)
    now = runtime.clock.now()
    editing = runtime.silences.get(draft.silence_id) if draft.silence_id else None
    if act.text("action") == "preview":
        check_matchers(draft)
        code = 400 if draft.problems else 200
        return form_page(request, viewer, draft, status_code=code, editing=editing)
    # A pending silence being edited keeps its start; anything else starts now.
    starts_at = now
    if editing is not None and editing.state(now) is SilenceState.PENDING:
        starts_at = editing.starts_at
    checked = check(draft, now, viewer.zone, starts_at)
    if checked is None or checked.ends_at is None:
        return form_page(request, viewer, draft, status_code=400, editing=editing)
    try:
        silence_id = runtime.silences.save(
            checked.matchers,
            checked.starts_at,
            checked.ends_at,
            viewer.user_id,
            draft.comment,
            draft.silence_id or None,
            editing.recurrence if editing is not None else None,
        )
    except InputError as exc:
        for p in exc.problems:
            draft.add(_FIELDS.get(p.field, ""), f"{p.field}: {p.problem}" if p.field else p.problem)
        return form_page(request, viewer, draft, status_code=400, editing=editing)
    return RedirectResponse(f"/silences#silence-{silence_id}", 303)


# -- the list --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SilenceRow:
    silence: Silence
    state: SilenceState
    #: Open alerts it mutes now.
    muting: int
    #: Open alerts its matchers match now (what a pending one will mute).
    matching: int


@router.get("/silences")
def silences_page(request: Request, viewer: Annotated[Viewer, Depends(viewing)]) -> Response:
    runtime = runtime_of(request)
    now = runtime.clock.now()
    views = runtime.views.open()
    muting = Counter(sid for v in views for sid in v.silenced_by)
    rows = [
        SilenceRow(
            s,
            state,
            muting[s.id],
            sum(1 for v in views if all(m.matches(v.alert.labels) for m in s.matchers))
            if state is SilenceState.PENDING
            else 0,
        )
        for s, state in runtime.silences.with_state(runtime.silences.all())
        if state is not SilenceState.EXPIRED or s.ends_at >= now - EXPIRED_WITHIN
    ]
    active = sorted((r for r in rows if r.state is SilenceState.ACTIVE), key=_ends)
    pending = sorted(
        (r for r in rows if r.state is SilenceState.PENDING), key=lambda r: r.silence.starts_at
    )
    expired = sorted((r for r in rows if r.state is SilenceState.EXPIRED), key=_ends, reverse=True)
    return page(
        request,
        "alerts/silences.html",
        viewer,
        title="Silences",
        sections=[
            ("active", "Active", active, "No silence is active."),
            ("pending", "Pending, not started yet", pending, "No silence is waiting to start."),
            (
                "expired",
                "Expired in the last 7 days",
                expired,
                "No silence expired in the last 7 days.",
            ),
        ],
    )


def _ends(row: SilenceRow) -> datetime:
    return row.silence.ends_at


@router.post("/silences/{silence_id}/expire")
def expire_silence(
    request: Request, act: Annotated[Acting, Depends(acting)], silence_id: str
) -> Response:
    runtime_of(request).silences.expire(silence_id)
    return RedirectResponse("/silences", 303)
