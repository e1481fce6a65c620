"""The incidents API: declare, list, look at, act; users, teams and policies; test pages.
A 4xx names the field and the problem."""

from __future__ import annotations

from typing import Any

from tests.paging.conftest import TWILIO_CALL, TWILIO_SMS


def call(p: Any, method: str, path: str, body: Any = None) -> Any:
    return p.h.client.request(method, path, json=body, headers=p.h.api)


def test_declare_act_and_read_the_timeline(pager: Any) -> None:
    p = pager()
    made = call(
        p,
        "POST",
        "/api/incidents",
        {
            "title": "Checkout is down",
            "severity": "SEV2",
            "service": "shop",
            "policy": "platform",
            "user": "cat",
        },
    )
    assert made.status_code == 201, made.text
    incident = made.json()
    assert (incident["id"], incident["status"], incident["urgency"]) == (1, "triggered", "high")
    assert incident["team"] == "platform"
    p.run()
    assert ("push", "ann-pages") in p.sent()
    steps = [
        ("roles", {"role": "commander", "assignee": "cat", "user": "cat"}),
        ("roles", {"role": "investigator", "assignee": "ann", "user": "cat"}),
        ("notes", {"text": "Rolling back 4.2", "user": "ann"}),
        ("severity", {"severity": "SEV1", "user": "cat"}),
        ("acknowledge", {"user": "ann"}),
        ("mitigate", {"note": "rolled back", "user": "ann"}),
        ("resolve", {"user": "ann"}),
    ]
    for action, body in steps:
        answer = call(p, "POST", f"/api/incidents/1/{action}", body)
        assert answer.status_code == 200, (action, answer.text)
    final = call(p, "GET", "/api/incidents/1").json()
    assert final["status"] == "resolved" and final["severity"] == "SEV1"
    assert final["roles"] == {"commander": "cat", "investigator": ["ann"]}
    kinds = [e["kind"] for e in final["timeline"]]
    assert kinds[:1] == ["opened"] and kinds[-3:] == ["acknowledged", "mitigated", "resolved"]
    for kind in ("role-assigned", "note", "severity-changed", "escalated", "notified"):
        assert kind in kinds
    note = next(e for e in final["timeline"] if e["kind"] == "note")
    assert (note["actor"], note["text"]) == ("ann", "Rolling back 4.2")
    assert {pg["user"] for pg in final["pages"]} >= {"ann"}
    for stamp in ("acknowledgedAt", "mitigatedAt", "resolvedAt"):
        assert final[stamp] is not None
    after = final["timeline"][-2]["id"]
    tail = call(p, "GET", f"/api/incidents/1/timeline?after={after}").json()
    assert [e["kind"] for e in tail] == ["resolved"]


def test_listing_filters(pager: Any) -> None:
    p = pager()
    for title, sev in (("a", "SEV1"), ("b", "SEV4"), ("disk full", "SEV4")):
        assert (
            call(p, "POST", "/api/incidents", {"title": title, "severity": sev}).status_code == 201
        )
    call(p, "POST", "/api/incidents/1/resolve", {})
    ids = lambda q: [i["id"] for i in call(p, "GET", f"/api/incidents{q}").json()]  # noqa: E731
    assert ids("") == [3, 2, 1]
    assert ids("?status=resolved") == [1]
    assert ids("?severity=SEV4&status=triggered") == [3, 2]
    assert ids("?q=DISK") == [3]


def test_bad_requests_name_the_field(pager: Any) -> None:
    p = pager()
    cases = [
        ("POST", "/api/incidents", {"title": "x", "severity": "SEV9"}, 400, "severity"),
        ("POST", "/api/incidents", {"title": "x", "policy": "nope"}, 400, "policy"),
        ("POST", "/api/incidents", {"title": "x", "user": "zed"}, 400, "user"),
        ("POST", "/api/incidents", {"severity": "SEV1"}, 400, "title"),
        ("GET", "/api/incidents?status=open", None, 400, "status"),
        ("GET", "/api/incidents/99", None, 404, "no incident 99"),
        ("GET", "/api/incidents/9223372036854775808", None, 400, "incident_id"),
        ("GET", "/api/incidents/1/timeline?after=1e23", None, 400, "after"),
        ("POST", "/api/incidents", {"title": "x", "service": "s" * 201}, 400, "service"),
        (
            "POST",
            "/api/incidents",
            {"title": "x", "policy": "platform", "assignees": ["cat"]},
            400,
            "assignees",
        ),
        ("POST", "/api/incidents/1/merge", {"into": 2**63}, 400, "into"),
    ]
    for method, path, body, status, needle in cases:
        answer = call(p, method, path, body)
        assert answer.status_code == status, (path, body, answer.text)
        assert needle in answer.text
    call(p, "POST", "/api/incidents", {"title": "x"})
    call(p, "POST", "/api/incidents/1/resolve", {})
    again = call(p, "POST", "/api/incidents/1/resolve", {})
    assert again.status_code == 409 and "cannot resolve an incident that is resolved" in again.text
    snooze = call(p, "POST", "/api/incidents/1/snooze", {"duration": "soon"})
    assert snooze.status_code == 400 and "duration" in snooze.text
    huge = call(p, "POST", "/api/incidents/1/snooze", {"duration": "99999999999d"})
    assert huge.status_code == 400 and "too long" in huge.text
    role = call(p, "POST", "/api/incidents/1/roles", {"role": "commander", "assignee": "zed"})
    assert role.status_code == 400 and role.json()["errors"][0]["field"] == "assignee"
    unauthorized = p.h.client.get("/api/incidents")
    assert unauthorized.status_code == 401


def test_reassign_merge_reopen_and_escalate(pager: Any) -> None:
    p = pager()
    for title in ("one", "two"):
        call(
            p, "POST", "/api/incidents", {"title": title, "policy": "platform", "severity": "SEV1"}
        )
    p.run()  # level 1 pages ann
    assert call(p, "POST", "/api/incidents/2/merge", {"into": 1}).json()["id"] == 1
    assert call(p, "GET", "/api/incidents/2").json()["mergedInto"] == 1
    assert call(p, "POST", "/api/incidents/1/escalate", {}).status_code == 200
    p.run()
    assert ("push", "bob-pages") in p.sent()
    moved = call(p, "POST", "/api/incidents/1/reassign", {"users": ["cat"]}).json()
    assert moved["assignees"] == ["cat"]
    call(p, "POST", "/api/incidents/1/resolve", {})
    reopened = call(p, "POST", "/api/incidents/1/reopen", {}).json()
    assert reopened["status"] == "triggered" and reopened["resolvedAt"] is None
    bad = call(p, "POST", "/api/incidents/1/reassign", {"users": ["cat"], "policy": "platform"})
    assert bad.status_code == 400


def test_users_teams_policies_and_a_test_page(pager: Any) -> None:
    p = pager()
    users = {u["id"]: u for u in call(p, "GET", "/api/users").json()}
    assert users["ann"]["contactMethods"] == ["email", "sms", "voice", "push"]
    assert users["ann"]["notificationRules"]["high"] == [
        {"method": "push", "delayMinutes": 0.0},
        {"method": "sms", "delayMinutes": 2.0},
    ]
    assert call(p, "GET", "/api/teams").json()[0]["members"] == ["ann", "bob"]
    policy = call(p, "GET", "/api/escalation-policies").json()[0]
    assert policy["levels"][1]["targets"] == [{"kind": "user", "name": "bob"}]
    p.server.answer(TWILIO_CALL, 400, {"code": 21215, "message": "Geo permission", "status": 400})
    results = call(p, "POST", "/api/users/ann/test-page").json()
    by = {r["method"]: r for r in results}
    assert by["push"]["ok"] and by["sms"]["ok"] and by["email"]["ok"]
    assert not by["voice"]["ok"] and "21215" in by["voice"]["detail"]
    assert any(r.path == TWILIO_SMS for r in p.server.requests)
    assert call(p, "GET", "/api/users/zed").status_code == 404
