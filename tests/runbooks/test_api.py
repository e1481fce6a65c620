"""/api/runbooks: list (stale, service, alert), read, write database runbooks (400 naming the
field, 409 for a file runbook or an old version), mark reviewed; an incident's runbooks."""

from __future__ import annotations

from typing import Any

from tests.runbooks.conftest import utc


def problems(response: Any) -> list[tuple[str, str]]:
    return [(e["field"], e["problem"]) for e in response.json()["errors"]]


DISK = {
    "slug": "disk-full",
    "title": "Disk full",
    "alerts": ["DiskFull"],
    "matchers": ['severity="critical"'],
    "owner": "bob",
    "lastReviewed": "2026-02-20",
}


def test_write_read_edit_and_review_a_database_runbook(books: Any) -> None:
    b = books()
    made = b.post("/api/runbooks", {**DISK, "user": "ann"})
    assert made.status_code == 201, made.text
    rb = made.json()
    assert rb["source"] == "database" and rb["version"] == 1 and rb["path"] is None
    assert rb["matchers"] == ['severity="critical"'] and rb["stale"] is False
    # No body given: the standard template, with its quick assessment.
    assert "Under two minutes" in rb["quickAssessment"]
    full = b.get("/api/runbooks/disk-full").json()
    assert full["body"].startswith("# Disk full\n")
    assert [s["title"] for s in full["sections"]][:2] == ["Overview", "Quick assessment"]
    assert "<li>" in full["sections"][1]["html"]
    assert full["previousIncidents"] == []

    body = "# Disk full\n\n## Quick assessment\n\ndf -h on the host.\n"
    edited = b.put(
        "/api/runbooks/disk-full",
        {**{k: v for k, v in DISK.items() if k != "slug"}, "body": body, "version": 1},
    )
    assert edited.status_code == 200, edited.text
    assert (
        edited.json()["version"] == 2 and edited.json()["quickAssessment"] == "df -h on the host."
    )
    old = b.put("/api/runbooks/disk-full", {"title": "Disk full", "version": 1})
    assert old.status_code == 409 and "saved version 2" in old.json()["message"]

    b.at(utc(2026, 3, 5, 9, 0))
    reviewed = b.post("/api/runbooks/disk-full/review", {"user": "bob"})
    assert reviewed.status_code == 200
    assert reviewed.json()["lastReviewed"] == "2026-03-05"
    assert reviewed.json()["reviewDue"] == "2026-06-03"


def test_bad_input_is_refused_naming_the_field(books: Any) -> None:
    b = books()
    cases = [
        ({**DISK, "slug": "Disk Full"}, "slug", "lower case"),
        ({**DISK, "slug": "api-latency"}, "slug", "a runbook file has this slug"),
        ({**DISK, "matchers": ['severity="crit']}, "matchers[0]", ""),
        ({**DISK, "lastReviewed": "2026-02-30"}, "lastReviewed", "is not a date"),
        ({**DISK, "owner": "zed"}, "owner", "is not a user id or team name"),
        ({**DISK, "reviewEvery": "soon"}, "reviewEvery", ""),
        ({**DISK, "title": "   "}, "title", "blank"),
        ({**DISK, "colour": "red"}, "body.colour", "not permitted"),
    ]
    for body, field, problem in cases:
        refused = b.post("/api/runbooks", body)
        assert refused.status_code == 400, (body, refused.text)
        [(named, text)] = problems(refused)
        assert named == field and problem in text, (named, text)
    assert b.get("/api/runbooks").json()[0]["slug"] == "api-latency"
    assert len(b.get("/api/runbooks").json()) == 1
    assert b.post("/api/runbooks", DISK).status_code == 201
    assert b.post("/api/runbooks", DISK).status_code == 409
    assert b.get("/api/runbooks/nothing-here").status_code == 404


def test_a_file_runbook_is_read_only(books: Any) -> None:
    b = books()
    edited = b.put("/api/runbooks/api-latency", {"title": "Mine now", "version": 1})
    assert edited.status_code == 409 and "edit it in git" in edited.json()["message"]
    reviewed = b.post("/api/runbooks/api-latency/review")
    assert reviewed.status_code == 409 and "last_reviewed" in reviewed.json()["message"]


def test_stale_runbooks_as_the_clock_moves(books: Any) -> None:
    b = books()  # api-latency was reviewed 2026-02-01; every 90 days: due by 2026-05-02
    b.post("/api/runbooks", {**DISK, "lastReviewed": "2026-02-27", "reviewEvery": "30d"})
    assert b.get("/api/runbooks", stale="true").json() == []
    b.at(utc(2026, 3, 30, 0, 0))  # disk-full's 30 days are over
    assert [r["slug"] for r in b.get("/api/runbooks", stale="true").json()] == ["disk-full"]
    assert [r["slug"] for r in b.get("/api/runbooks", stale="false").json()] == ["api-latency"]
    b.at(utc(2026, 5, 3, 0, 0))
    stale = b.get("/api/runbooks", stale="true").json()
    assert [r["slug"] for r in stale] == ["api-latency", "disk-full"]
    assert stale[0]["reviewDue"] == "2026-05-02"


def test_filters_by_service_and_alert(books: Any) -> None:
    b = books()
    b.post("/api/runbooks", {**DISK, "service": "db"})
    assert [r["slug"] for r in b.get("/api/runbooks", service="db").json()] == ["disk-full"]
    assert [r["slug"] for r in b.get("/api/runbooks", alert="APIHighLatency").json()] == [
        "api-latency"
    ]
    assert b.get("/api/runbooks", alert="Nothing").json() == []


def test_an_incidents_runbooks(books: Any) -> None:
    b = books()
    b.alert("APIHighLatency", service="api")
    [incident] = b.runtime.incidents.incidents(limit=10)
    i = incident.id
    [linked] = b.get(f"/api/incidents/{i}/runbooks").json()
    assert linked["slug"] == "api-latency" and linked["firstMatchedAt"] == "2026-03-01T12:00:00Z"
    # A runbook written after the alert joined matches it now (not recorded).
    b.post(
        "/api/runbooks", {**DISK, "slug": "api-slow", "alerts": ["APIHighLatency"], "matchers": []}
    )
    found = b.get(f"/api/incidents/{i}/runbooks").json()
    assert [(r["slug"], r["firstMatchedAt"]) for r in found] == [
        ("api-latency", "2026-03-01T12:00:00Z"),
        ("api-slow", None),
    ]
    assert b.get("/api/incidents/999/runbooks").status_code == 404
