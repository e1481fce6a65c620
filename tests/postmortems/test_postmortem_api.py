"""Postmortems through the service and the API on a routed Tocsin with a fake clock: drafted
by themselves when a required incident is resolved (its figures worked by hand), edited at
a version (409 naming both when someone saved since), reviewed and published, listed, and
their people reminded when one is due.

Berlin is UTC+1 in March; the clock starts on Sunday 2026-03-01 12:00 UTC (13:00 there)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from tests.postmortems.conftest import api, declare, slo_events, timeline
from tests.web.conftest import Web
from tocsin.store import messages as message_store
from tocsin.store.learning_tables import action_items

NOON = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PM = "/api/incidents/1/postmortem"


def sev1_resolved(w: Web) -> None:
    """#1: checkout's errors began at 11:50 (the alert says), the incident opened at 12:00,
    ann acknowledged at 12:03, bob commands, mitigated at 12:20, resolved at 12:45; 10 %
    of checkout's orders failed meanwhile."""
    w.harness.post(
        {
            "labels": {"alertname": "HighErrorRate", "service": "checkout", "severity": "critical"},
            "startsAt": "2026-03-01T11:50:00Z",
            # It ends a minute after the incident is resolved (no new incident for it).
            "endsAt": "2026-03-01T12:46:00Z",
        }
    )
    w.harness.tick()
    slo_events(w, "checkout-orders", 900, 1000, NOON)
    w.harness.tick(180)
    api(w, "POST", "/api/incidents/1/acknowledge", {"user": "ann"})
    api(w, "POST", "/api/incidents/1/roles", {"role": "commander", "assignee": "bob"})
    w.harness.tick(17 * 60)
    api(w, "POST", "/api/incidents/1/mitigate", {"user": "ann"})
    w.harness.tick(25 * 60)
    api(w, "POST", "/api/incidents/1/resolve", {"user": "ann"})


def test_resolving_a_sev1_drafts_its_postmortem_from_its_facts(w: Web) -> None:
    sev1_resolved(w)
    api(w, "GET", PM, status=404)  # the watch drafts it on its next pass (every minute)
    w.harness.tick(60)
    pm = api(w, "GET", PM)
    # Resolved on Sunday 13:45 in Berlin: 2 business days are Monday and Tuesday; due at
    # the end of Tuesday in Berlin, 22:59:59 UTC.
    assert {
        k: pm[k] for k in ("state", "version", "required", "dueAt", "authors", "createdBy")
    } == {
        "state": "draft",
        "version": 1,
        "required": True,
        "dueAt": "2026-03-03T22:59:59Z",
        "authors": ["bob"],  # the commander
        "createdBy": "tocsin",
    }
    assert pm["title"] == api(w, "GET", "/api/incidents/1")["title"]
    body = pm["body"]
    # 11:50 to 12:45 UTC is 55 minutes; at 10 % errors against 99.9 % the burn rate is 100,
    # and 55 minutes of it consume 100 x 55 / 43,200 = 12.7 % of the 30-day budget, which
    # is 43.2 minutes: 5.5 minutes.
    for line in [
        "- **Duration:** 55m 00s",
        "- **Authors:** Bob Example",
        "- **Commander:** Bob Example",
        "SEV1 on checkout for 55m 00s (2026-03-01 12:50 CET to 2026-03-01 13:45 CET).",
        "| Impact started | 2026-03-01 12:50 CET | |",
        "| Detected | 2026-03-01 13:00 CET | 10m 00s |",
        "| Acknowledged | 2026-03-01 13:03 CET | 3m 00s |",
        "| Mitigated | 2026-03-01 13:20 CET | 20m 00s |",
        "| Resolved | 2026-03-01 13:45 CET | 45m 00s |",
        "- checkout-orders: 12.7 % of the 30d budget (5.5 min), burn rate 100x",
        "): fired 2026-03-01 12:50 CET, ",
        "- **13:03** Acknowledged by ann (api)",
        "- **13:45** Resolved by ann (api)",
    ]:
        assert line in body, line
    drafted = [e for e in timeline(w, 1) if e["kind"] == "postmortem"]
    assert [e["text"] for e in drafted] == [
        "Postmortem drafted from the incident, due 2026-03-03 (Europe/Berlin)"
    ]
    w.harness.tick(3600)
    assert api(w, "GET", PM)["version"] == 1  # drafted once
    assert [i["id"] for i in api(w, "GET", "/api/incidents?status=resolved")] == [1]
    assert len(api(w, "GET", "/api/postmortems")) == 1


def test_choosing_timeline_entries_redraws_the_timeline_and_a_stale_edit_is_refused(
    w: Web,
) -> None:
    sev1_resolved(w)
    w.harness.tick(60)
    entries = {e["kind"]: e["id"] for e in timeline(w, 1)}
    chosen = [entries["acknowledged"], entries["resolved"]]
    pm = api(w, "PATCH", PM, {"version": 1, "user": "ann", "timelineSelection": chosen})
    assert (pm["version"], pm["timelineSelection"], pm["updatedBy"]) == (2, sorted(chosen), "ann")
    assert (
        "<!-- tocsin:timeline -->\n- **13:03** Acknowledged by ann (api)\n"
        "- **13:45** Resolved by ann (api)\n<!-- /tocsin:timeline -->"
    ) in pm["body"]

    stale = w.client.patch(PM, json={"version": 1, "body": "Mine"}, headers=_auth(w))
    assert stale.status_code == 409
    assert stale.json()["storedVersion"] == 2 and stale.json()["sentVersion"] == 1
    assert "at version 2, but this edit was based on version 1" in stale.json()["message"]
    assert api(w, "GET", PM)["body"] == pm["body"]  # nothing written

    for body, field, problem in [
        ({"version": 2, "reviewers": ["zed"]}, "reviewers", "no user 'zed'"),
        ({"version": 2, "title": "  "}, "title", "must not be empty"),
        ({"version": 2, "owner": "ann"}, "body.owner", "Extra inputs are not permitted"),
        ({"title": "x"}, "body.version", "Field required"),
        ({"version": 2, "user": "zed"}, "user", "no user 'zed' in the configuration"),
        (
            {"version": 2, "timelineSelection": [9999]},
            "timelineSelection",
            "9999: not on the timeline of incident 1",
        ),
    ]:
        answer = w.client.patch(PM, json=body, headers=_auth(w))
        assert answer.status_code == 400, answer.text
        assert answer.json()["errors"][0] == {"field": field, "problem": problem}, answer.text


def test_review_and_publication(w: Web) -> None:
    sev1_resolved(w)
    w.harness.tick(60)
    pm = api(w, "PATCH", PM, {"version": 1, "rootCauseCategory": "deploy", "body": "# Text\n"})
    assert (pm["rootCauseCategory"], pm["version"], pm["body"]) == ("deploy", 2, "# Text\n")
    refused = w.client.post(f"{PM}/submit", json={"user": "ann"}, headers=_auth(w))
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "reviewers"
    api(w, "PATCH", PM, {"version": 2, "reviewers": ["cat"]})
    pm = api(w, "POST", f"{PM}/submit", {"user": "ann"})
    assert (pm["state"], pm["version"], pm["waitingFor"]) == ("in_review", 3, ["cat"])

    not_reviewer = w.client.post(f"{PM}/approve", json={"user": "bob"}, headers=_auth(w))
    assert not_reviewer.status_code == 400
    assert not_reviewer.json()["errors"][0] == {
        "field": "user",
        "problem": "bob is not a reviewer of this postmortem",
    }
    early = w.client.post(f"{PM}/publish", json={"user": "ann"}, headers=_auth(w))
    assert early.status_code == 409 and "waiting for approval from cat" in early.json()["message"]
    no_right = w.client.post(
        f"{PM}/publish", json={"user": "cat", "override": True}, headers=_auth(w)
    )
    assert no_right.status_code == 400 and no_right.json()["errors"][0]["field"] == "override"

    pm = api(w, "POST", f"{PM}/approve", {"user": "cat"})
    assert pm["waitingFor"] == [] and pm["reviewers"][0]["approvedAt"] == "2026-03-01T12:46:00Z"
    pm = api(w, "POST", f"{PM}/publish", {"user": "cat"})
    assert (pm["state"], pm["publishedAt"], pm["version"]) == (
        "published",
        "2026-03-01T12:46:00Z",
        3,
    )
    late = w.client.patch(PM, json={"version": 3, "body": "More"}, headers=_auth(w))
    assert late.status_code == 409 and "it is published" in late.json()["message"]
    reopen = w.client.post(f"{PM}/reopen", json={"user": "ann"}, headers=_auth(w))
    assert reopen.status_code == 409
    steps = [e["text"] for e in timeline(w, 1) if e["kind"] == "postmortem"][1:]
    assert steps == [
        "Postmortem submitted for review by ann",
        "Postmortem approved by cat",
        "Postmortem published by cat",
    ]
    assert [p["incidentId"] for p in api(w, "GET", "/api/postmortems?state=published")] == [1]
    assert api(w, "GET", "/api/postmortems?state=draft") == []
    bad = w.client.get("/api/postmortems?state=done", headers=_auth(w))
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "query.state"


def test_the_commander_may_publish_over_a_missing_approval_and_it_says_so(w: Web) -> None:
    sev1_resolved(w)
    w.harness.tick(60)
    api(w, "PATCH", PM, {"version": 1, "reviewers": ["cat", "ann"]})
    api(w, "POST", f"{PM}/submit", {"user": "ann"})
    api(w, "POST", f"{PM}/approve", {"user": "ann"})
    back = api(w, "POST", f"{PM}/reopen", {"user": "cat"})
    assert (back["state"], back["waitingFor"]) == ("draft", ["cat", "ann"])
    api(w, "POST", f"{PM}/submit", {"user": "ann"})
    pm = api(w, "POST", f"{PM}/publish", {"user": "bob", "override": True})
    assert pm["state"] == "published" and pm["waitingFor"] == ["cat", "ann"]
    assert timeline(w, 1)[-1]["text"] == (
        "Postmortem published by bob without the approval of cat, ann"
    )


def test_asked_for_postmortems_and_the_due_date_of_one_asked_for_early(w: Web) -> None:
    minor = declare(w, "Slow search", "SEV3")
    pm = api(w, "POST", f"/api/incidents/{minor}/postmortem", {"user": "cat"}, 201)
    assert (pm["required"], pm["dueAt"], pm["authors"], pm["createdBy"]) == (
        False,
        None,
        ["cat"],
        "cat",
    )
    again = w.client.post(f"/api/incidents/{minor}/postmortem", json={}, headers=_auth(w))
    assert again.status_code == 409 and "has a postmortem already" in again.json()["message"]
    assert timeline(w, minor)[-1]["text"] == "Postmortem drafted by cat"
    api(w, "POST", "/api/incidents/99/postmortem", {}, 404)

    major = declare(w, "Payments down", "SEV2")
    pm = api(w, "POST", f"/api/incidents/{major}/postmortem", {"user": "ann"}, 201)
    assert (pm["required"], pm["dueAt"]) == (True, None)  # due once resolved
    w.harness.clock.advance(timedelta(days=1))  # Monday 12:00
    api(w, "POST", f"/api/incidents/{major}/resolve", {"user": "ann"})
    api(w, "POST", f"/api/incidents/{minor}/resolve", {"user": "ann"})
    w.harness.tick()
    # Monday + 2 business days: Wednesday, which ends at 22:59:59 UTC.
    assert api(w, "GET", f"/api/incidents/{major}/postmortem")["dueAt"] == "2026-03-04T22:59:59Z"
    assert api(w, "GET", f"/api/incidents/{minor}/postmortem")["dueAt"] is None
    assert len(api(w, "GET", "/api/postmortems")) == 2


def test_overdue_postmortems_are_listed_and_their_people_reminded_once(w: Web) -> None:
    sev2 = declare(w, "Payments down", "SEV2")
    api(w, "POST", f"/api/incidents/{sev2}/roles", {"role": "commander", "assignee": "ann"})
    api(w, "POST", f"/api/incidents/{sev2}/resolve", {"user": "bob"})
    minor = declare(w, "Slow search", "SEV3")
    api(w, "POST", f"/api/incidents/{minor}/resolve", {"user": "bob"})
    w.harness.tick()
    assert api(w, "GET", f"/api/incidents/{minor}/postmortem", status=404)
    pm = api(w, "GET", f"/api/incidents/{sev2}/postmortem")
    assert (pm["dueAt"], pm["authors"]) == ("2026-03-03T22:59:59Z", ["ann"])

    def reminders() -> list[str]:
        with w.runtime.db.read() as conn:
            found = message_store.recent(conn, kind="postmortem-reminder")
        return sorted(f"{m.user}: {m.subject}" for m in found)

    # Due by Tuesday 22:59:59 UTC: "due soon" from Monday 22:59:59, "overdue" after it.
    w.harness.clock.advance(datetime(2026, 3, 2, 22, 59, tzinfo=UTC) - w.harness.clock.now())
    w.harness.tick()
    assert reminders() == []
    w.harness.tick(60)
    assert reminders() == ["ann: Postmortem due soon: #1 Payments down"]
    assert api(w, "GET", "/api/postmortems?overdue=true") == []
    w.harness.tick(24 * 3600)
    assert reminders() == [
        "ann: Postmortem due soon: #1 Payments down",
        "ann: Postmortem overdue: #1 Payments down",
    ]
    overdue = api(w, "GET", "/api/postmortems?overdue=true")
    assert [(p["incidentId"], p["overdue"], p["incident"]["title"]) for p in overdue] == [
        (sev2, True, "Payments down")
    ]
    assert api(w, "GET", "/api/postmortems?overdue=false") == []
    w.harness.tick(3 * 24 * 3600)
    assert len(reminders()) == 2  # once each


def _auth(w: Web) -> dict[str, str]:
    return w.harness.api


def test_submitting_brings_the_action_items_up_to_date(w: Web) -> None:
    incident = declare(w, "Payments down", "SEV2")
    pm = api(w, "POST", f"/api/incidents/{incident}/postmortem", {"user": "ann"}, 201)
    assert "<!-- tocsin:action_items -->\n_None yet._\n<!-- /tocsin:action_items -->" in pm["body"]
    with w.runtime.db.write() as conn:
        conn.execute(
            insert(action_items),
            {
                "incident_id": incident,
                "title": "Retry card captures",
                "owner": "bob",
                "due_at": datetime(2026, 3, 10, 22, 59, 59, tzinfo=UTC),
                "status": "in_progress",
                "created_at": NOON,
                "created_by": "ann",
                "updated_at": NOON,
            },
        )
    path = f"/api/incidents/{incident}/postmortem"
    api(w, "PATCH", path, {"version": 1, "reviewers": ["cat"]})
    pm = api(w, "POST", f"{path}/submit", {"user": "ann"})
    assert pm["version"] == 3  # the list changed: a new version
    assert (
        "<!-- tocsin:action_items -->\n"
        "- Retry card captures (owner Bob Example, due 2026-03-10, in progress)\n"
        "<!-- /tocsin:action_items -->"
    ) in pm["body"]
