"""Postmortem files (``config/postmortem_files``): Markdown with YAML front matter, written
and read back unchanged, and every mistake in the front matter named by its line."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tocsin.config.postmortem_files import FrontMatterError, file_name, parse, slug, write
from tocsin.domain.postmortems import Postmortem, PostmortemState, Reviewer

T = datetime(2026, 3, 2, 10, 15, tzinfo=UTC)
PM = Postmortem(
    id=4,
    incident_id=42,
    state=PostmortemState.IN_REVIEW,
    title="Checkout errors: after the 14:00 deploy!",
    body="# Postmortem\n\n---\n\nA rule above, and text.\n",
    version=3,
    required=True,
    created_at=T,
    created_by="ann",
    updated_at=T,
    updated_by="ann",
    root_cause_category="deploy",
    authors=("ann",),
    reviewers=(Reviewer("bob", T), Reviewer("cat")),
)


def test_a_written_file_reads_back_as_it_was() -> None:
    text = write(PM)
    assert text == (
        "---\nincident: 42\nstate: in_review\nversion: 3\n"
        "title: 'Checkout errors: after the 14:00 deploy!'\nroot_cause_category: deploy\n"
        "authors:\n- ann\nreviewers:\n- bob\n- cat\nupdated_at: '2026-03-02T10:15:00+00:00'\n"
        "---\n# Postmortem\n\n---\n\nA rule above, and text.\n"
    )
    doc = parse(text)
    assert (doc.incident, doc.version, doc.title, doc.root_cause_category) == (
        42,
        3,
        PM.title,
        "deploy",
    )
    assert (doc.authors, doc.reviewers, doc.body, doc.state) == (
        ("ann",),
        ("bob", "cat"),
        PM.body,
        "in_review",
    )
    # An editor that saves with CRLF and no newline at the end changes nothing.
    assert parse(text.replace("\n", "\r\n").rstrip()).body == PM.body


def test_file_names() -> None:
    assert file_name(PM) == "42-checkout-errors-after-the-14-00-deploy.md"
    assert slug("¡¿!!") == "postmortem"
    assert len(slug("word " * 40)) <= 60


GOOD = "---\nincident: 42\nversion: 3\ntitle: T\nauthors: [ann]\nreviewers: []\n---\nBody\n"


@pytest.mark.parametrize(
    ("old", "new", "line", "problem"),
    [
        ("---\nincident", "incident", 1, "starts with front matter"),
        ("---\nBody", "Body", 1, "no closing line"),
        ("version: 3", "version: three", 3, "version must be a whole number"),
        ("version: 3", "version: 0", 3, "version must be a whole number"),
        ("incident: 42\n", "", 2, "incident is missing"),
        ("title: T", "title: ''", 4, "title must be some text"),
        ("authors: [ann]", "authors: ann", 5, "authors must be a list of user ids"),
        ("reviewers: []", "reviewers: [1, 2]", 6, "reviewers must be a list"),
        ("title: T", "title: [unclosed", 5, "not valid YAML"),
        ("incident: 42\nversion: 3\ntitle: T\nauthors: [ann]\nreviewers: []\n", "- a list\n", 2,
         "keys and values"),
    ],
)  # fmt: skip
def test_front_matter_mistakes_name_their_line(old: str, new: str, line: int, problem: str) -> None:
    assert old in GOOD
    parse(GOOD)
    with pytest.raises(FrontMatterError) as caught:
        parse(GOOD.replace(old, new, 1))
    assert caught.value.line == line and problem in caught.value.problem, caught.value
