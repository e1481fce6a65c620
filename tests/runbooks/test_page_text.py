"""What a page says about runbooks stays readable when an SMS or a call cuts it short."""

from __future__ import annotations

from datetime import UTC, datetime

from tocsin.channels.contact import PersonalMessage
from tocsin.channels.twilio import MAX_SMS, sms_text
from tocsin.domain.incidents import Incident, Severity, Status, Urgency
from tocsin.notify.page_texts import page_text
from tocsin.notify.runbook_links import QUICK_IN_PAGE, PagedRunbook

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def incident(summary: str = "") -> Incident:
    return Incident(
        id=7,
        title="API latency is high",
        summary=summary,
        status=Status.TRIGGERED,
        severity=Severity.SEV2,
        urgency=Urgency.HIGH,
        created_at=NOW,
    )


def book(n: int, quick: str) -> PagedRunbook:
    return PagedRunbook(f"Runbook {n}", f"https://tocsin.example.com/runbooks/rb-{n}", quick)


def test_a_long_quick_assessment_is_cut_and_the_link_survives_an_sms() -> None:
    quick = "Check the dashboard and the deploys. " * 80
    subject, body = page_text(incident("x" * 900), [], "level 1 of platform", [book(1, quick)])
    assert "Runbook: Runbook 1 https://tocsin.example.com/runbooks/rb-1" in body
    said = body.split("Quick assessment: ", 1)[1]
    assert len(said) <= QUICK_IN_PAGE and said.endswith("deploys…")
    sms = sms_text(PersonalMessage(kind="page", subject=subject, body=body, reply_code="AB12"))
    assert len(sms) <= MAX_SMS
    assert "https://tocsin.example.com/runbooks/rb-1" in sms


def test_at_most_two_runbooks_are_named() -> None:
    _, body = page_text(incident(), [], "level 1", [book(n, "") for n in range(1, 5)])
    assert body.count("Runbook: ") == 2
    assert body.endswith("2 more runbooks on the incident's page.")
    assert "Quick assessment" not in body  # none written: only the links


def test_no_runbook_no_lines() -> None:
    _, body = page_text(incident(), [], "level 1")
    assert "Runbook" not in body and body.endswith("You are paged as level 1.")
