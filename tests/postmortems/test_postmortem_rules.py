"""The postmortem rules of ``domain/postmortems``: due dates in business days in the
policy's time zone, the state machine and who may take each step, and edits."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tocsin.domain.learning_policy import PostmortemPolicy
from tocsin.domain.postmortems import (
    Actor,
    Edit,
    NotAllowed,
    Postmortem,
    PostmortemState,
    Reviewer,
    StateError,
    Step,
    due_at,
    edit,
    normalise_body,
    step,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
T1 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
DRAFT, REVIEW, PUBLISHED = (
    PostmortemState.DRAFT,
    PostmortemState.IN_REVIEW,
    PostmortemState.PUBLISHED,
)


def pm(state: PostmortemState = DRAFT, reviewers: tuple[Reviewer, ...] = ()) -> Postmortem:
    return Postmortem(
        id=1,
        incident_id=7,
        state=state,
        title="Checkout errors",
        body="# Checkout errors\n",
        version=3,
        required=True,
        created_at=T0,
        created_by="ann",
        updated_at=T0,
        updated_by="ann",
        authors=("ann",),
        reviewers=reviewers,
    )


# -- due dates -------------------------------------------------------------------------------

BERLIN = PostmortemPolicy(due_business_days=1, time_zone="Europe/Berlin")
ONE, TWO = PostmortemPolicy(due_business_days=1), PostmortemPolicy(due_business_days=2)
SUN_THU = PostmortemPolicy(due_business_days=1, business_days=frozenset({6, 0, 1, 2, 3}))


SECOND = timedelta(seconds=1)


def march(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("resolved", "policy", "due"),
    [
        # Monday 10:00 UTC, 5 business days: Tue..Mon, due at the end of next Monday.
        (march(2, 10), PostmortemPolicy(), march(10) - SECOND),
        # Friday: the weekend does not count; 1 business day is Monday, due Tuesday 00:00.
        (march(6, 15), ONE, march(10) - SECOND),
        # Resolved on a Saturday: counting starts on Sunday; Monday and Tuesday: due Wed 00:00.
        (march(7, 12), TWO, march(11) - SECOND),
        # Friday 23:30 UTC is already Saturday 00:30 in Berlin: in UTC the day of resolution
        # is Friday (due end of Monday), in Berlin Saturday; both land on Monday, which ends
        # at 23:00 UTC in Berlin (CET, UTC+1).
        (march(6, 23, 30), ONE, march(10) - SECOND),
        (march(6, 23, 30), BERLIN, march(9, 23) - SECOND),
        # Thursday 23:30 UTC is Friday 00:30 in Berlin: 1 business day there is Monday
        # (ends 23:00 UTC), but in UTC it is Friday (ends Saturday 00:00 UTC).
        (march(5, 23, 30), BERLIN, march(9, 23) - SECOND),
        (march(5, 23, 30), ONE, march(7) - SECOND),
        # Across the change to summer time (29 March): Thursday 26th + 2 business days is
        # Monday 30th, which ends at midnight CEST (UTC+2): 22:00 UTC.
        (march(26, 10), replace(BERLIN, due_business_days=2), march(30, 22) - SECOND),
        # A team that works Sunday to Thursday: Friday 10:00, 1 business day is Sunday.
        (march(6, 10), SUN_THU, march(9) - SECOND),
    ],
)
def test_due_date_counts_business_days_in_the_policys_time_zone(
    resolved: datetime, policy: PostmortemPolicy, due: datetime
) -> None:
    assert due_at(resolved, policy) == due


# -- the state machine -----------------------------------------------------------------------

ANN, BOB, CAT = Actor("ann"), Actor("bob"), Actor("cat")
ADMIN, COMMANDER = Actor("dan", admin=True), Actor("eve", commander=True)
WAITING = (Reviewer("bob"), Reviewer("cat"))
HALF = (Reviewer("bob", T0), Reviewer("cat"))
ALL = (Reviewer("bob", T0), Reviewer("cat", T0))

#: (state, reviewers, step, actor, override) -> the state after, or the error and its field.
TABLE = [
    (DRAFT, WAITING, Step.SUBMIT, ANN, False, REVIEW),
    (DRAFT, (), Step.SUBMIT, ANN, False, NotAllowed("reviewers", "")),
    (REVIEW, WAITING, Step.SUBMIT, ANN, False, StateError),
    (PUBLISHED, ALL, Step.SUBMIT, ANN, False, StateError),
    (REVIEW, WAITING, Step.APPROVE, BOB, False, REVIEW),
    (REVIEW, WAITING, Step.APPROVE, ANN, False, NotAllowed("user", "")),
    (DRAFT, WAITING, Step.APPROVE, BOB, False, StateError),
    (REVIEW, ALL, Step.PUBLISH, ANN, False, PUBLISHED),
    (REVIEW, HALF, Step.PUBLISH, ANN, False, StateError),
    (REVIEW, HALF, Step.PUBLISH, ANN, True, NotAllowed("override", "")),
    (REVIEW, HALF, Step.PUBLISH, ADMIN, True, PUBLISHED),
    (REVIEW, HALF, Step.PUBLISH, COMMANDER, True, PUBLISHED),
    (REVIEW, HALF, Step.PUBLISH, ADMIN, False, StateError),
    (DRAFT, ALL, Step.PUBLISH, ADMIN, True, StateError),
    (PUBLISHED, ALL, Step.PUBLISH, ANN, False, StateError),
    (REVIEW, HALF, Step.REOPEN, CAT, False, DRAFT),
    (DRAFT, WAITING, Step.REOPEN, ANN, False, StateError),
    (PUBLISHED, ALL, Step.REOPEN, ADMIN, False, StateError),
]


@pytest.mark.parametrize(("state", "reviewers", "what", "actor", "override", "after"), TABLE)
def test_state_machine(
    state: PostmortemState,
    reviewers: tuple[Reviewer, ...],
    what: Step,
    actor: Actor,
    override: bool,
    after: object,
) -> None:
    before = pm(state, reviewers)
    if isinstance(after, PostmortemState):
        done = step(before, what, actor, T1, override=override)
        assert done.state is after
        assert done.version == before.version  # steps are not edits
    elif isinstance(after, NotAllowed):
        with pytest.raises(NotAllowed) as caught:
            step(before, what, actor, T1, override=override)
        assert caught.value.field == after.field
    else:
        with pytest.raises(StateError):
            step(before, what, actor, T1, override=override)


def test_each_step_records_when_and_approvals() -> None:
    submitted = step(pm(DRAFT, ALL), Step.SUBMIT, ANN, T1)
    # Approvals given before (a reopened review) start again on submission.
    assert submitted.submitted_at == T1 and submitted.waiting_for == ("bob", "cat")
    approved = step(submitted, Step.APPROVE, CAT, T1)
    assert approved.reviewers == (Reviewer("bob"), Reviewer("cat", T1))
    assert step(approved, Step.APPROVE, CAT, T0) is approved  # approving again: no change
    published = step(step(approved, Step.APPROVE, BOB, T1), Step.PUBLISH, ANN, T1)
    assert (published.published_at, published.updated_by) == (T1, "ann")
    reopened = step(approved, Step.REOPEN, ANN, T1)
    assert reopened.submitted_at is None and reopened.waiting_for == ("bob", "cat")
    with pytest.raises(StateError, match="waiting for approval from bob, cat"):
        step(submitted, Step.PUBLISH, ANN, T1)


# -- edits -----------------------------------------------------------------------------------


def test_an_edit_counts_a_version_and_nothing_changed_is_no_edit() -> None:
    before = pm()
    same = edit(
        before,
        Edit(title=" Checkout  errors ", body="# Checkout errors\r\n\r\n"),
        ANN,
        T1,
        PostmortemPolicy(),
    )
    assert same is before  # the same text, as a browser sends it
    after = edit(
        before,
        Edit(body="# Checkout errors\r\nMore.", authors=["bob", "bob", " "]),
        BOB,
        T1,
        PostmortemPolicy(),
    )
    assert (after.version, after.body, after.authors) == (4, "# Checkout errors\nMore.\n", ("bob",))
    assert (after.updated_at, after.updated_by) == (T1, "bob")


def test_editing_the_text_in_review_withdraws_approvals_but_naming_a_reviewer_does_not() -> None:
    before = pm(REVIEW, HALF)
    renamed = edit(before, Edit(reviewers=["bob", "cat", "dan"]), ANN, T1, PostmortemPolicy())
    assert renamed.reviewers == (Reviewer("bob", T0), Reviewer("cat"), Reviewer("dan"))
    rewritten = edit(before, Edit(body="Different."), ANN, T1, PostmortemPolicy())
    assert rewritten.waiting_for == ("bob", "cat") and rewritten.state is REVIEW
    with pytest.raises(StateError):
        edit(pm(PUBLISHED, ALL), Edit(body="Too late."), ADMIN, T1, PostmortemPolicy())


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (Edit(title="   "), "title"),
        (Edit(title="x" * 501), "title"),
        (Edit(root_cause_category="weather"), "root_cause_category"),
        (Edit(reviewers=[f"u{i}" for i in range(51)]), "reviewers"),
    ],
)
def test_bad_edits_name_the_field(change: Edit, field: str) -> None:
    policy = PostmortemPolicy(categories=("deploy", "capacity"))
    with pytest.raises(NotAllowed) as caught:
        edit(pm(), change, ANN, T1, policy)
    assert caught.value.field == field


def test_categories_are_free_text_unless_configured() -> None:
    free = edit(pm(), Edit(root_cause_category=" weather "), ANN, T1, PostmortemPolicy())
    assert free.root_cause_category == "weather"
    cleared = edit(free, Edit(clear_category=True), ANN, T1, PostmortemPolicy())
    assert cleared.root_cause_category is None and cleared.version == free.version + 1


def test_overdue_is_required_unpublished_and_past_due() -> None:
    due = replace(pm(), due_at=T1)
    after = T1 + timedelta(seconds=1)
    assert not due.overdue(T0) and not due.overdue(T1) and due.overdue(after)
    assert not replace(due, state=PUBLISHED).overdue(after)
    assert not replace(due, required=False).overdue(after)


def test_bodies_compare_equal_whatever_the_line_ends() -> None:
    assert normalise_body("a\r\nb\r\n\r\n") == normalise_body("a\nb") == "a\nb\n"
    assert normalise_body("  \n") == ""
