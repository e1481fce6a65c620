"""Tabletop sessions of the example scenario: started, walked step by step (Next, Back) in
the web UI, answers recorded per question with who and when, finished with notes; the
report as a page, a Markdown file, JSON and from the CLI."""

from __future__ import annotations

import re
from typing import Any

from typer.testing import CliRunner

from tests.drills.conftest import EXAMPLES
from tests.web.accessibility import check_page
from tocsin.cli.main import app

SCENARIOS = f"drills: {{scenarios: {EXAMPLES}}}\n"


def session_id(location: str) -> int:
    found = re.search(r"/sessions/(\d+)", location)
    assert found, location
    return int(found.group(1))


def test_walk_through_the_example_and_its_report(drills: Any) -> None:
    d = drills(SCENARIOS)
    w = d.web
    w.sign_in("ann")
    listing = d.h.client.get("/drills/tabletop")
    assert "APIHighLatency" in listing.text
    started = w.post(
        "/drills/tabletop/sessions", {"scenario": "api-high-latency", "participants": "bob, cat"}
    )
    assert started.status_code == 303
    sid = session_id(started.headers["location"])
    base = f"/drills/tabletop/sessions/{sid}"
    first = d.h.client.get(base)
    assert "Step 1 of 4" in first.text
    assert check_page(first.text) == []
    assert check_page(listing.text) == []
    assert "<strong>8 s</strong>" in first.text  # the situation is Markdown
    assert "What do you do first" in first.text
    answered = w.post(
        f"{base}/answers",
        {"step": "0", "question": "0", "answer": "Acknowledge, open the API dashboard"},
    )
    assert answered.status_code == 303
    d.later(minutes=3)
    w.post(f"{base}/answers", {"step": "0", "question": "1", "answer": "Yes, SEV2, page DB"})
    page = d.h.client.get(base)
    assert "Acknowledge, open the API dashboard" in page.text
    assert w.post(f"{base}/step", {"to": "1"}).status_code == 303
    second = d.h.client.get(base)
    assert "Step 2 of 4" in second.text
    assert "timeout acquiring connection from pool" in second.text  # the inject
    w.sign_in("bob")
    w.post(f"{base}/answers", {"step": "1", "question": "0", "answer": "Pool exhausted: DB slow"})
    w.post(f"{base}/step", {"to": "0"})  # Back
    assert "Step 1 of 4" in d.h.client.get(base).text
    refused = w.post(f"{base}/answers", {"step": "0", "question": "7", "answer": "x"})
    assert refused.status_code == 400
    assert "no such question" in refused.text
    empty = w.post(f"{base}/answers", {"step": "0", "question": "0", "answer": "  "})
    assert empty.status_code == 400
    w.post(f"{base}/step", {"to": "4"})  # the debrief
    debrief = d.h.client.get(base)
    assert "Debrief" in debrief.text and "What went well?" in debrief.text
    assert check_page(debrief.text) == []
    w.post(f"{base}/answers", {"step": "-1", "question": "0", "answer": "Fast paging"})
    d.later(minutes=30)
    finished = w.post(f"{base}/finish", {"notes": "Add an index before the batch job runs"})
    assert finished.status_code == 303
    assert finished.headers["location"] == f"{base}/report"
    report = d.h.client.get(f"{base}/report")
    assert check_page(report.text) == []
    for text in (
        "Acknowledge, open the API dashboard",
        "Pool exhausted: DB slow",
        "Fast paging",
        "Add an index before the batch job runs",
        "ann, bob, cat",
        "33m",
    ):
        assert text in report.text, text
    md = d.h.client.get(f"{base}/report.md")
    assert md.headers["content-disposition"] == f'attachment; filename="tabletop-{sid}.md"'
    assert "- Acknowledge, open the API dashboard (ann, 12:00 UTC)" in md.text
    assert "- Pool exhausted: DB slow (bob, 12:03 UTC)" in md.text
    assert "- Yes, SEV2, page DB (ann, 12:03 UTC)" in md.text
    # a finished session takes no more answers
    late = w.post(f"{base}/answers", {"step": "0", "question": "0", "answer": "late"})
    assert late.status_code == 409
    # JSON
    body = d.api("GET", f"/api/tabletop/sessions/{sid}").json()
    assert body["state"] == "finished"
    assert body["participants"] == ["ann", "bob", "cat"]
    assert [(a["step"], a["question"], a["answeredBy"]) for a in body["answers"]] == [
        (1, 1, "ann"),
        (1, 2, "ann"),
        (2, 1, "bob"),
        ("debrief", 1, "bob"),
    ]
    # the CLI
    runner = CliRunner()
    common = ["--config", str(d.h.config), "--database-url", d.h.db_url]
    listed = runner.invoke(app, ["tabletop", "list", *common], env={"COLUMNS": "200"})
    assert listed.exit_code == 0, listed.output
    assert "api-high-latency" in listed.output
    printed = runner.invoke(app, ["tabletop", "report", str(sid), *common])
    assert printed.exit_code == 0, printed.output
    assert printed.output == md.text + "\n"


def test_a_form_post_without_the_csrf_secret_is_refused(drills: Any) -> None:
    d = drills(SCENARIOS)
    d.web.sign_in("ann")
    refused = d.h.client.post(
        "/drills/tabletop/sessions", data={"scenario": "api-high-latency"}, follow_redirects=False
    )
    assert refused.status_code == 403
    assert d.runtime.tabletop.sessions() == []


def test_unknown_scenario_and_session(drills: Any) -> None:
    d = drills(SCENARIOS)
    d.web.sign_in("ann")
    assert d.web.post("/drills/tabletop/sessions", {"scenario": "nope"}).status_code == 404
    assert d.h.client.get("/drills/tabletop/sessions/99").status_code == 404
    assert d.api("GET", "/api/tabletop/sessions/99").status_code == 404
    scenarios = d.api("GET", "/api/tabletop/scenarios").json()
    assert [s["name"] for s in scenarios] == ["api-high-latency"]
