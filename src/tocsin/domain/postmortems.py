"""Postmortems as pure rules: their states, who may do what, and when one is due.

States: ``draft -> in_review -> published``, and back from ``in_review`` to ``draft``.

=========  ================  ==========  ================================================
step       from              to          who
=========  ================  ==========  ================================================
edit       draft, in_review  (same)      anyone; in review, a change of the title, body or
                                         root-cause category withdraws the approvals given
                                         (a reviewer approves the text they read)
submit     draft             in_review   anyone; needs at least one named reviewer
approve    in_review         (same)      a named reviewer (again: no change)
publish    in_review         published   anyone once every named reviewer approved; before
                                         that, an admin or the incident's commander with an
                                         explicit override
reopen     in_review         draft       anyone; the approvals are withdrawn
=========  ================  ==========  ================================================

A published postmortem is the record: it is not edited or reopened.

``version`` counts saved edits of the document (title, body, category, authors, reviewers,
timeline selection); state changes and approvals do not change it, so a file exported
before an approval still syncs.

A required postmortem is due ``due_business_days`` business days after the incident was
resolved, counted in the policy's time zone: the day of resolution does not count, and it
is due at the end of the last day (its last second, as action items are); it is overdue
after that."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from tocsin.domain.learning_policy import PostmortemPolicy

__all__ = [
    "Actor",
    "Edit",
    "NotAllowed",
    "Postmortem",
    "PostmortemState",
    "Reviewer",
    "StateError",
    "Step",
    "due_at",
    "edit",
    "is_required",
    "normalise_body",
    "step",
]

MAX_TITLE = 500
MAX_CATEGORY = 100


class PostmortemState(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"

    @property
    def words(self) -> str:
        return self.value.replace("_", " ")


class Step(StrEnum):
    EDIT = "edit"
    SUBMIT = "submit"
    APPROVE = "approve"
    PUBLISH = "publish"
    REOPEN = "reopen"


_FROM: dict[Step, frozenset[PostmortemState]] = {
    Step.EDIT: frozenset({PostmortemState.DRAFT, PostmortemState.IN_REVIEW}),
    Step.SUBMIT: frozenset({PostmortemState.DRAFT}),
    Step.APPROVE: frozenset({PostmortemState.IN_REVIEW}),
    Step.PUBLISH: frozenset({PostmortemState.IN_REVIEW}),
    Step.REOPEN: frozenset({PostmortemState.IN_REVIEW}),
}


class StateError(ValueError):
    """The step does not apply to the postmortem as it is now (a conflict)."""


class NotAllowed(ValueError):
    """The input or the person does not qualify; ``field`` names what is wrong."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(problem)
        self.field = field
        self.problem = problem


@dataclass(frozen=True)
class Reviewer:
    user: str
    approved_at: datetime | None = None


@dataclass(frozen=True)
class Actor:
    """Who acts, and in what capacity."""

    user: str
    admin: bool = False
    #: The incident's commander.
    commander: bool = False


@dataclass(frozen=True)
class Postmortem:
    id: int
    incident_id: int
    state: PostmortemState
    title: str
    body: str
    version: int
    required: bool
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    root_cause_category: str | None = None
    authors: tuple[str, ...] = ()
    reviewers: tuple[Reviewer, ...] = ()
    #: The timeline entries (ids) the document's timeline shows; None: all of them.
    timeline_selection: tuple[int, ...] | None = None
    due_at: datetime | None = None
    submitted_at: datetime | None = None
    published_at: datetime | None = None

    @property
    def waiting_for(self) -> tuple[str, ...]:
        """The named reviewers who have not approved yet."""
        return tuple(r.user for r in self.reviewers if r.approved_at is None)

    @property
    def approved(self) -> bool:
        return bool(self.reviewers) and not self.waiting_for

    def overdue(self, now: datetime) -> bool:
        """Required, not published, and past its due date."""
        return (
            self.required
            and self.state is not PostmortemState.PUBLISHED
            and self.due_at is not None
            and now > self.due_at
        )


def is_required(severity: str, policy: PostmortemPolicy) -> bool:
    return severity in policy.required_for


def due_at(resolved_at: datetime, policy: PostmortemPolicy) -> datetime:
    """The end (the last second) of the ``due_business_days``-th business day after the day
    of resolution, in the policy's time zone, as a UTC instant."""
    zone = ZoneInfo(policy.time_zone)
    business = policy.business_days or frozenset(range(7))
    day = resolved_at.astimezone(zone).date()
    left = policy.due_business_days
    while left > 0:
        day += timedelta(days=1)
        if day.weekday() in business:
            left -= 1
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return end - timedelta(seconds=1)


def normalise_body(text: str) -> str:
    """Unix line ends (a browser's textarea sends CRLF) and one newline at the end, so the
    same document saved from a browser, an editor or the API compares equal."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").rstrip()
    return text + "\n" if text else ""


def _check_state(pm: Postmortem, what: Step) -> None:
    if pm.state not in _FROM[what]:
        raise StateError(
            f"cannot {what.value} the postmortem of incident {pm.incident_id}: "
            f"it is {pm.state.words}"
        )


def _withdrawn(reviewers: Sequence[Reviewer]) -> tuple[Reviewer, ...]:
    return tuple(Reviewer(r.user) for r in reviewers)


def step(
    pm: Postmortem, what: Step, actor: Actor, now: datetime, *, override: bool = False
) -> Postmortem:
    """The postmortem after ``what`` (submit, approve, publish, reopen) by ``actor``.
    StateError when the step does not apply now; NotAllowed when this person may not."""
    if what is Step.EDIT:
        raise ValueError("edits go through edit()")
    _check_state(pm, what)
    done = replace(pm, updated_at=now, updated_by=actor.user)
    if what is Step.SUBMIT:
        if not pm.reviewers:
            raise NotAllowed("reviewers", "name at least one reviewer before submitting")
        return replace(
            done,
            state=PostmortemState.IN_REVIEW,
            submitted_at=now,
            reviewers=_withdrawn(pm.reviewers),
        )
    if what is Step.APPROVE:
        if actor.user not in {r.user for r in pm.reviewers}:
            raise NotAllowed("user", f"{actor.user} is not a reviewer of this postmortem")
        if actor.user not in pm.waiting_for:
            return pm  # approved already
        reviewers = tuple(
            Reviewer(r.user, now) if r.user == actor.user else r for r in pm.reviewers
        )
        return replace(done, reviewers=reviewers)
    if what is Step.PUBLISH:
        missing = pm.waiting_for
        if missing and not override:
            raise StateError(
                f"waiting for approval from {', '.join(missing)}; an admin or the incident "
                "commander may publish without it (override)"
            )
        if missing and not (actor.admin or actor.commander):
            raise NotAllowed(
                "override",
                "only an admin or the incident commander may publish without every approval",
            )
        return replace(done, state=PostmortemState.PUBLISHED, published_at=now)
    # reopen: back to draft, approvals withdrawn
    return replace(
        done,
        state=PostmortemState.DRAFT,
        submitted_at=None,
        reviewers=_withdrawn(pm.reviewers),
    )


def _checked_title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise NotAllowed("title", "must not be empty")
    if len(title) > MAX_TITLE:
        raise NotAllowed("title", f"must be at most {MAX_TITLE} characters")
    return title


def _checked_category(category: str | None, policy: PostmortemPolicy) -> str | None:
    category = (category or "").strip() or None
    if category is None:
        return None
    if len(category) > MAX_CATEGORY:
        raise NotAllowed("root_cause_category", f"must be at most {MAX_CATEGORY} characters")
    if policy.categories and category not in policy.categories:
        raise NotAllowed(
            "root_cause_category",
            f"{category!r} is not one of {', '.join(policy.categories)}",
        )
    return category


def _people(users: Sequence[str], field: str) -> tuple[str, ...]:
    found = tuple(dict.fromkeys(u.strip() for u in users if u.strip()))
    if len(found) > 50:
        raise NotAllowed(field, "name at most 50 people")
    return found


@dataclass(frozen=True)
class Edit:
    """What an edit changes (None: left as it is)."""

    title: str | None = None
    body: str | None = None
    root_cause_category: str | None = None
    #: Set the category to none (``root_cause_category`` None means "unchanged").
    clear_category: bool = False
    authors: Sequence[str] | None = None
    reviewers: Sequence[str] | None = None
    timeline_selection: Sequence[int] | None = None


def edit(
    pm: Postmortem, change: Edit, actor: Actor, now: datetime, policy: PostmortemPolicy
) -> Postmortem:
    """The postmortem with ``change`` applied: the version goes up by one when anything
    changed (the same postmortem when nothing did). StateError once published; NotAllowed
    names a field that is wrong."""
    _check_state(pm, Step.EDIT)
    title = _checked_title(change.title) if change.title is not None else pm.title
    body = normalise_body(change.body) if change.body is not None else pm.body
    category = pm.root_cause_category
    if change.clear_category:
        category = None
    elif change.root_cause_category is not None:
        category = _checked_category(change.root_cause_category, policy)
    authors = pm.authors if change.authors is None else _people(change.authors, "authors")
    reviewers = pm.reviewers
    if change.reviewers is not None:
        had = {r.user: r for r in pm.reviewers}
        names = _people(change.reviewers, "reviewers")
        reviewers = tuple(had.get(u, Reviewer(u)) for u in names)
    selection = pm.timeline_selection
    if change.timeline_selection is not None:
        selection = tuple(sorted(set(change.timeline_selection)))
    text_changed = (title, body, category) != (pm.title, pm.body, pm.root_cause_category)
    if pm.state is PostmortemState.IN_REVIEW and text_changed:
        reviewers = _withdrawn(reviewers)
    after = replace(
        pm,
        title=title,
        body=body,
        root_cause_category=category,
        authors=authors,
        reviewers=reviewers,
        timeline_selection=selection,
    )
    if after == pm:
        return pm
    return replace(after, version=pm.version + 1, updated_at=now, updated_by=actor.user)
