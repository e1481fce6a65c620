"""The first draft of a postmortem, rendered from facts by the pure template: each figure
worked out by hand, the timeline selection, refreshable blocks, and templates with unknown
placeholders refused (in the domain and when tocsin.yaml is loaded)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.config.test_paging_config import load
from tocsin.domain.incidents import Incident, Severity, Status, Urgency
from tocsin.domain.postmortem_template import (
    DEFAULT_TEMPLATE,
    ActionItemFact,
    AlertFact,
    DraftFacts,
    SloFact,
    TemplateError,
    TimelineEntry,
    check_template,
    render,
    replace_block,
    unknown_placeholders,
)
from tocsin.errors import ConfigError

BERLIN = ZoneInfo("Europe/Berlin")


def at(hour: int, minute: int) -> datetime:
    return datetime(2026, 3, 1, hour, minute, tzinfo=UTC)


INCIDENT = Incident(
    id=12,
    title="Checkout errors",
    status=Status.RESOLVED,
    severity=Severity.SEV1,
    urgency=Urgency.HIGH,
    created_at=at(12, 0),
    service="checkout",
    team="platform",
    acknowledged_at=at(12, 3),
    mitigated_at=at(12, 20),
    resolved_at=at(12, 45),
    roles={"commander": "bob"},
)

FACTS = DraftFacts(
    incident=INCIDENT,
    zone=BERLIN,
    timeline=(
        TimelineEntry(1, at(12, 0), "opened", "tocsin", "Opened from alerts: SEV1"),
        TimelineEntry(2, at(12, 3), "acknowledged", "ann", "Acknowledged by ann (web)"),
        TimelineEntry(3, at(12, 45), "resolved", "ann", "Resolved by ann (web)"),
    ),
    # The alert's source says the errors began at 11:50, ten minutes before it opened.
    alerts=(AlertFact("HighErrorRate", "0123456789abcdef", at(11, 50), at(12, 44)),),
    slos=(SloFact("checkout-orders", "12.7 % of the 30d budget (5.5 min), burn rate 100x"),),
    action_items=(
        ActionItemFact("Roll back faster", "ann", datetime(2026, 3, 9, 23, tzinfo=UTC), "open"),
        ActionItemFact("Alert on p99", "cat", None, "in_progress"),
    ),
    authors=("bob", "ann"),
    names={"bob": "Bob Example", "ann": "Ann Example"},
)


def test_the_default_draft_has_the_incidents_figures_worked_by_hand() -> None:
    text = render(DEFAULT_TEMPLATE, FACTS)
    # From 11:50 (the alert's start) to 12:45 UTC: 55 minutes; Berlin is UTC+1 in March.
    for line in [
        "# Postmortem: Checkout errors",
        "- **Incident:** #12, SEV1, service checkout",
        "- **Date:** 2026-03-01",
        "- **Duration:** 55m 00s",
        "- **Authors:** Bob Example, Ann Example",
        "- **Commander:** Bob Example",
        "SEV1 on checkout for 55m 00s (2026-03-01 12:50 CET to 2026-03-01 13:45 CET).",
        "- checkout-orders: 12.7 % of the 30d budget (5.5 min), burn rate 100x",
        "| Impact started | 2026-03-01 12:50 CET | |",
        "| Detected | 2026-03-01 13:00 CET | 10m 00s |",
        "| Acknowledged | 2026-03-01 13:03 CET | 3m 00s |",
        "| Mitigated | 2026-03-01 13:20 CET | 20m 00s |",
        "| Resolved | 2026-03-01 13:45 CET | 45m 00s |",
        "- HighErrorRate (`0123456789ab`): fired 2026-03-01 12:50 CET, resolved 2026-03-01 "
        "13:44 CET",
        "All times in Europe/Berlin.",
        "<!-- tocsin:timeline -->\n- **13:00** Opened from alerts: SEV1\n"
        "- **13:03** Acknowledged by ann (web)\n- **13:45** Resolved by ann (web)\n"
        "<!-- /tocsin:timeline -->",
        "<!-- tocsin:action_items -->\n"
        "- Roll back faster (owner Ann Example, due 2026-03-10, open)\n"
        "- Alert on p99 (owner cat, due not set, in progress)\n"
        "<!-- /tocsin:action_items -->",
    ]:
        assert line in text, line
    for section in (
        "## Summary",
        "## Impact",
        "## Timeline",
        "## Root cause",
        "## Contributing factors",
        "## What went well",
        "## What went wrong",
        "## Action items",
        "## Lessons learned",
    ):
        assert f"\n{section}\n" in text
    assert "{" not in text  # every placeholder filled


def test_an_open_incident_declared_by_hand() -> None:
    open_incident = Incident(
        id=3,
        title="Slow search",
        status=Status.ACKNOWLEDGED,
        severity=Severity.SEV3,
        urgency=Urgency.LOW,
        created_at=at(12, 0),
        acknowledged_at=at(13, 10),
    )
    text = render(
        "{duration} | {resolved} | {time_to_acknowledge} | {time_to_resolve} | {time_to_detect}"
        " | {commander} | {authors} | {service}\n{impact}\n{alerts}\n{slos}\n{action_items}\n"
        "{timeline}",
        DraftFacts(incident=open_incident, zone=ZoneInfo("UTC")),
    )
    assert text.startswith(
        "ongoing | — | 1h 10m | — | 0s | _not named_ | _to be named_ | not named\n"
        "SEV3, ongoing since 2026-03-01 12:00 UTC.\n"
    )
    assert "_No alerts: the incident was declared by hand._" in text
    assert "_No SLO burned error budget during this incident._" in text
    assert "_None yet._" in text and "_No timeline entries selected._" in text


def test_the_timeline_shows_the_selected_entries_with_dates_when_they_span_days() -> None:
    facts = DraftFacts(
        incident=INCIDENT,
        zone=BERLIN,
        timeline=(
            *FACTS.timeline,
            TimelineEntry(4, datetime(2026, 3, 2, 9, 0, tzinfo=UTC), "note", "ann", "Next  day"),
        ),
        selection=frozenset({2, 4}),
    )
    assert render("{timeline}", facts) == (
        "<!-- tocsin:timeline -->\n- **2026-03-01 13:03** Acknowledged by ann (web)\n"
        "- **2026-03-02 10:00** Next day\n<!-- /tocsin:timeline -->"
    )


def test_a_block_is_replaced_and_the_rest_of_the_text_kept() -> None:
    body = "Intro\n<!-- tocsin:timeline -->\nold\n<!-- /tocsin:timeline -->\nMine\n"
    assert replace_block(body, "timeline", "new") == (
        "Intro\n<!-- tocsin:timeline -->\nnew\n<!-- /tocsin:timeline -->\nMine\n"
    )
    assert replace_block("No markers any more.\n", "timeline", "new") is None


def test_own_templates_escape_braces_and_unknown_placeholders_are_named() -> None:
    assert render("{{title}} is {title}; {not a placeholder} {}", FACTS) == (
        "{title} is Checkout errors; {not a placeholder} {}"
    )
    template = "# {title}\n\n{summary}\n{owner} and {{fine}} and {ticket}\n"
    assert unknown_placeholders(template) == [("owner", 4), ("ticket", 4)]
    with pytest.raises(TemplateError, match=r"line 4: unknown placeholder \{owner\}"):
        check_template(template)
    with pytest.raises(TemplateError):
        render(template, FACTS)
    check_template(DEFAULT_TEMPLATE)


def test_a_configured_template_with_an_unknown_placeholder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "pm.md").write_text("# {title}\n\n## Owner\n{ownr}\n")
    text = "route:\n  receiver: r\nreceivers:\n  - name: r\npostmortems:\n  template: pm.md\n"
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    message = str(caught.value)
    assert "postmortems.template:" in message and "pm.md:4: unknown placeholder {ownr}" in message
    (tmp_path / "pm.md").write_text("# {title}\n\n{timeline}\n")
    config = load(tmp_path, text)
    assert config.postmortems.template == "# {title}\n\n{timeline}\n"
