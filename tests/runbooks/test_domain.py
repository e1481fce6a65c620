"""Runbooks as data: front matter and sections, which alerts a runbook covers, staleness."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tocsin.domain.matchers import parse_matchers
from tocsin.domain.runbook_template import STANDARD_TEMPLATE, body_from
from tocsin.domain.runbooks import (
    Runbook,
    RunbookPolicy,
    matching,
    quick_assessment,
    sections,
    shortened,
    split_front_matter,
    with_section_text,
)


def book(slug: str = "rb", *, alerts: tuple[str, ...] = (), matchers: str = "") -> Runbook:
    return Runbook(
        slug=slug,
        title=slug,
        body="",
        alerts=alerts,
        matchers=tuple(parse_matchers(matchers)) if matchers else (),
    )


@pytest.mark.parametrize(
    ("alerts", "matchers", "labels", "covered"),
    [
        (("APIHighLatency",), "", {"alertname": "APIHighLatency"}, True),
        (("APIHighLatency", "APIDown"), "", {"alertname": "APIDown"}, True),
        (("APIHighLatency",), "", {"alertname": "DiskFull"}, False),
        ((), 'service="api"', {"alertname": "X", "service": "api"}, True),
        ((), 'service="api"', {"alertname": "X", "service": "web"}, False),
        ((), 'alertname=~"API.*"', {"alertname": "APIDown"}, True),
        ((), 'alertname=~"API.*"', {"alertname": "MyAPIDown"}, False),  # anchored
        ((), 'service="api",env!="dev"', {"alertname": "X", "service": "api", "env": "dev"}, False),
        ((), 'service="api",env!="dev"', {"alertname": "X", "service": "api"}, True),
        # Both: an alert of those names, with those labels.
        (("APIDown",), 'service="api"', {"alertname": "APIDown", "service": "api"}, True),
        (("APIDown",), 'service="api"', {"alertname": "APIDown", "service": "web"}, False),
        (("APIDown",), 'service="api"', {"alertname": "Other", "service": "api"}, False),
        # Neither: no alert links to it.
        ((), "", {"alertname": "APIDown"}, False),
    ],
)
def test_which_alerts_a_runbook_covers(
    alerts: tuple[str, ...], matchers: str, labels: dict[str, str], covered: bool
) -> None:
    assert book(alerts=alerts, matchers=matchers).matches(labels) is covered


def test_matching_runbooks_come_by_slug() -> None:
    found = matching(
        [book("b", alerts=("A",)), book("a", matchers='alertname="A"'), book("c", alerts=("B",))],
        {"alertname": "A"},
    )
    assert [r.slug for r in found] == ["a", "b"]


NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("reviewed", "own", "stale"),
    [
        (None, None, True),  # never reviewed
        (date(2026, 1, 1), None, False),  # 59 days ago, within 90
        (date(2025, 12, 1), None, False),  # due 2026-03-01: today is still in time
        (date(2025, 11, 30), None, True),  # due 2026-02-28
        (date(2026, 2, 1), timedelta(days=14), True),  # its own period is shorter
        (date(2025, 6, 1), timedelta(days=365), False),
    ],
)
def test_staleness(reviewed: date | None, own: timedelta | None, stale: bool) -> None:
    rb = Runbook("rb", "rb", "", last_reviewed=reviewed, review_every=own)
    assert rb.stale(timedelta(days=90), NOW) is stale


def test_a_fake_clock_moving_makes_a_runbook_stale() -> None:
    rb = Runbook("rb", "rb", "", last_reviewed=date(2026, 3, 1))
    assert rb.review_due(timedelta(days=90)) == date(2026, 5, 30)
    assert not rb.stale(timedelta(days=90), datetime(2026, 5, 30, 23, 59, tzinfo=UTC))
    assert rb.stale(timedelta(days=90), datetime(2026, 5, 31, 0, 0, tzinfo=UTC))


def test_front_matter_keeps_the_files_line_numbers() -> None:
    text = "---\ntitle: T\nalerts: [A]\n---\n\n# T\n"
    front, body = split_front_matter(text) or ("", "")
    assert front.split("\n")[2] == "alerts: [A]"  # line 3 of the file is line 3 of it
    assert body == "# T\n"
    assert split_front_matter("# no front matter\n") is None
    assert split_front_matter("---\ntitle: never closed\n") is None


def test_sections_and_the_quick_assessment() -> None:
    body = (
        "# T\n\nintro\n\n## Overview\n\nwhat\n\n## Quick assessment (under two minutes)\n\n"
        "- look here\n- then there\n\n```\n## not a heading\n```\n\n## Mitigation\nroll back\n"
    )
    assert [s.title for s in sections(body)] == [
        "Overview",
        "Quick assessment (under two minutes)",
        "Mitigation",
    ]
    assert quick_assessment(body) == "- look here\n- then there\n\n```\n## not a heading\n```"
    assert quick_assessment("# T\n\n## Overview\nx\n") == ""


def test_previous_incidents_go_after_the_sections_own_text() -> None:
    body = "## Quick assessment\nq\n\n## Previous incidents\n\nold one\n\n## Notes\nn\n"
    out = with_section_text(body, "previous incidents", "Previous incidents", "| new |")
    assert (
        out
        == "## Quick assessment\nq\n\n## Previous incidents\n\nold one\n\n| new |\n\n## Notes\nn\n"
    )
    added = with_section_text("## Overview\nx\n", "previous incidents", "Previous incidents", "y")
    assert added == "## Overview\nx\n\n## Previous incidents\n\ny\n"


def test_shortened_for_a_page() -> None:
    assert shortened("- a\n\n- b  c\n", 100) == "- a\n- b c"
    cut = shortened("word " * 100, 50)
    assert len(cut) <= 50 and cut.endswith("word…")


def test_the_template_has_the_standard_sections() -> None:
    body = body_from(None, "Disk full")
    assert body.startswith("# Disk full\n")
    assert [s.title for s in sections(body)] == [
        "Overview",
        "Quick assessment",
        "Mitigation",
        "Diagnosis",
        "Escalation",
        "Previous incidents",
    ]
    assert "Under two minutes" in quick_assessment(STANDARD_TEMPLATE)
    assert body_from("# {title}\n## Mine\n", "X") == "# X\n## Mine\n"


def test_review_after_which_severities() -> None:
    assert RunbookPolicy().asks_review("SEV2") and not RunbookPolicy().asks_review("SEV3")
    assert RunbookPolicy(ask_review_after=None).asks_review("SEV4")
