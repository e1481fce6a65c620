"""The pure parts: marking messages, channel names and topics of drills, the report over a
timeline, and the tabletop report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tocsin.domain.drills import (
    DRILL_LINE,
    PageAttempt,
    TimelineFact,
    drill_report,
    mark,
    page_position,
)
from tocsin.domain.incident_rooms import channel_name, topic
from tocsin.domain.incidents import Incident, Severity, Status, Urgency
from tocsin.domain.tabletop import DEBRIEF, Answer, Scenario, Session, Step, session_markdown

T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


def incident(drill: bool = True) -> Incident:
    return Incident(
        id=7,
        title="API latency",
        summary="",
        status=Status.TRIGGERED,
        severity=Severity.SEV2,
        urgency=Urgency.HIGH,
        created_at=T0,
        policy="platform",
        drill=drill,
    )


def test_mark_is_idempotent() -> None:
    once = mark("[SEV2] API latency (#7)", "Incident #7 is triggered.")
    assert once == ("[DRILL] [SEV2] API latency (#7)", f"{DRILL_LINE}\nIncident #7 is triggered.")
    assert mark(*once) == once


def test_rooms_of_a_drill_say_so() -> None:
    assert channel_name("inc", incident()) == "drill-20260301-api-latency"
    assert channel_name("inc", incident(drill=False)) == "inc-20260301-api-latency"
    assert topic(incident(), {}).startswith("DRILL · SEV2")


def test_page_position() -> None:
    assert page_position("tocsin-7-0-1/2/0-ann-email") == (1, 2)
    assert page_position("tocsin-7-0-r1700000/0-ann-email") is None


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_report_per_level() -> None:
    timeline = [
        TimelineFact(at(0), "escalated", "tocsin", "", {"level": 1, "loop": 1, "users": ["ann"]}),
        TimelineFact(at(0), "notify-failed", "tocsin", "Cannot page dan: no contact methods"),
        TimelineFact(at(5), "escalated", "tocsin", "", {"level": 2, "loop": 1, "users": ["bob"]}),
        TimelineFact(at(6.5), "acknowledged", "bob", "Acknowledged by bob (api)"),
        TimelineFact(at(9), "resolved", "bob", "Resolved by bob"),
    ]
    pages = [
        PageAttempt("ann", "email", "sent", at(0), at(0), None, (0, 0)),
        PageAttempt("ann", "webhook", "failed", at(0), None, "connection refused", (0, 0)),
        PageAttempt("bob", "email", "sent", at(5), at(5), None, (0, 1)),
    ]
    report = drill_report(incident(), timeline, pages)
    one, two = report.levels
    assert (one.outcome, len(one.pages), one.time_to_ack) == ("timed out", 2, None)
    assert (two.outcome, two.acknowledged_by, two.time_to_ack) == (
        "acknowledged",
        "bob",
        timedelta(minutes=1.5),
    )
    assert report.time_to_ack == timedelta(minutes=6.5)
    assert report.ended_at == at(9)
    assert [f.kind for f in report.failures] == ["timed-out", "no-contact", "delivery"]
    assert "connection refused" in report.failures[-1].text
    text = report.markdown()
    assert "### Level 2 (pass 1): acknowledged by bob after 1m 30s" in text
    assert "- ann by webhook: failed: connection refused" in text


def test_a_failed_delivery_is_reported_whatever_its_error_says() -> None:
    """Only a page that had no address is left to the timeline's "Cannot page" entry; a
    rejected address, or a page never sent before the drill ended, is what failed."""
    rejected = "550 5.1.1 <cat@example.com>: Recipient address rejected: User unknown"
    timeline = [
        TimelineFact(at(0), "escalated", "tocsin", "", {"level": 1, "loop": 1, "users": ["cat"]}),
        TimelineFact(
            at(0),
            "notify-failed",
            "tocsin",
            "Cannot page dan by sms: no address for it",
            {"user": "dan", "method": "sms"},
        ),
        TimelineFact(
            at(0),
            "notify-failed",
            "tocsin",
            f"email to cat failed: {rejected}",
            {"user": "cat", "method": "email", "message": 1, "attempts": 1},
        ),
        TimelineFact(at(9), "resolved", "ann", "Resolved by ann"),
    ]
    pages = [
        PageAttempt("cat", "email", "failed", at(0), None, rejected, (0, 0), message=1),
        PageAttempt(
            "dan",
            "sms",
            "failed",
            at(0),
            None,
            "user 'dan' has no sms address",
            (0, 0),
            message=2,
            addressed=False,
        ),
        PageAttempt("eve", "sms", "pending", at(0), None, "503 busy", (0, 0), message=3),
        PageAttempt("fay", "sms", "cancelled", at(0), None, "503 busy", (0, 0), message=4),
        PageAttempt("gus", "sms", "cancelled", at(0), None, None, (0, 0), message=5),
    ]
    report = drill_report(incident(), timeline, pages)
    failures = [(f.kind, f.text) for f in report.failures if f.kind != "timed-out"]
    assert failures == [
        ("no-contact", "Cannot page dan by sms: no address for it"),
        ("delivery", f"The page to cat by email failed: {rejected}"),
        (
            "pending",
            "The page to eve by sms was still unsent when the drill ended (last error: 503 busy)",
        ),
        (
            "pending",
            "The page to fay by sms was never sent before it was cancelled (last error: 503 busy)",
        ),
    ]


def test_tabletop_markdown() -> None:
    scenario = Scenario(
        "s",
        "Night page",
        "A summary.",
        (Step("The page", "It is **2 a.m.**", ("First?", "Then?"), "The pool is full"),),
        debrief=("What went well?",),
    )
    session = Session(1, "s", "Night page", "finished", 1, ("ann",), "Notes.", T0, "ann", at(45))
    answers = [
        Answer(1, 1, 0, 0, "Look", "ann", at(1)),
        Answer(2, 1, DEBRIEF, 0, "Speed", "bob", at(40)),
    ]
    text = session_markdown(session, scenario, answers, at(50))
    assert "- Finished: 45m 00s" in text
    assert "> Inject: The pool is full" in text
    assert "### First?\n\n- Look (ann, 02:01 UTC)" in text
    assert "### Then?\n\n- (no answer)" in text
    assert "## Debrief" in text and "- Speed (bob, 02:40 UTC)" in text
    assert text.rstrip().endswith("Notes.")
