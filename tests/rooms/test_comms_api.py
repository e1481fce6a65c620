"""The incident communication API: updates (to the timeline, the rooms and the status page
at once), their draft, rooms and responders; bad input named by field."""

from __future__ import annotations

from typing import Any


def call(r: Any, method: str, path: str, body: Any = None) -> Any:
    return r.h.client.request(method, path, json=body, headers=r.h.api)


def component(r: Any, name: str) -> int:
    made = call(r, "POST", "/api/status-page/components", {"name": name})
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def test_one_update_reaches_timeline_room_and_status_page(rooms: Any) -> None:
    r = rooms(cadence=True)
    api = component(r, "API")
    made = call(
        r, "POST", "/api/incidents", {"title": "Checkout 5xx", "severity": "SEV1", "user": "cat"}
    )
    incident = made.json()["id"]
    assert made.json()["nextUpdateAt"] == "2026-03-01T12:30:00Z"
    r.run()
    first = call(
        r,
        "POST",
        f"/api/incidents/{incident}/updates",
        {
            "user": "cat",
            "affected": "Checkout",
            "status": "Investigating",
            "impact": "Some card payments fail",
            "nextUpdateIn": "15m",
            "statusPage": {
                "name": "Payment errors",
                "status": "investigating",
                "body": "Some payments fail; we are on it.",
                "components": {str(api): "partial_outage"},
            },
        },
    )
    assert first.status_code == 201, first.text
    assert first.json()["nextUpdateAt"] == "2026-03-01T12:15:00Z"
    public_id = first.json()["statusPage"]["id"]
    summary = r.h.client.get("/status/api/v2/summary.json").json()
    assert [i["name"] for i in summary["incidents"]] == ["Payment errors"]
    assert summary["incidents"][0]["incident_updates"][0]["body"] == (
        "Some payments fail; we are on it."
    )
    assert summary["components"][0]["status"] == "partial_outage"
    assert "Checkout 5xx" not in r.h.client.get("/status").text  # the internal title stays in
    second = call(
        r,
        "POST",
        f"/api/incidents/{incident}/updates",
        {
            "user": "cat",
            "message": "Rolled back",
            "statusPage": {"status": "resolved", "body": "Payments work again."},
        },
    )
    assert second.json()["statusPage"] == {"id": public_id, "status": "resolved"}
    listed = call(r, "GET", f"/api/incidents/{incident}/updates").json()
    assert [u["by"] for u in listed["updates"]] == ["cat", "cat"]
    assert listed["updates"][0]["impact"] == "Some card payments fail"
    texts = r.timeline(incident)
    assert (
        "Published on the status page (investigating): Some payments fail; we are on it." in texts
    )
    assert "Updated on the status page (resolved): Payments work again." in texts
    r.run()
    channel = r.slack.channel("inc-20260301-checkout-5xx")
    posted = [m["text"] for m in channel.messages.values() if "blocks" not in m]
    assert posted[-1] == "*Update from Cat Poe*\nRolled back\nNext update: 12:30 UTC"


def test_bad_updates_are_refused_and_change_nothing(rooms: Any) -> None:
    r = rooms()
    made = call(r, "POST", "/api/incidents", {"title": "x", "severity": "SEV3"}).json()
    path = f"/api/incidents/{made['id']}/updates"
    cases = [
        ({}, "message"),
        ({"message": "x", "nextUpdateIn": "soon"}, "nextUpdateIn"),
        ({"message": "x", "nextUpdateIn": "30s"}, "next_update_in"),
        (
            {"message": "x", "statusPage": {"status": "investigating", "body": "x"}},
            "statusPage.name",
        ),
        (
            {"message": "x", "statusPage": {"status": "on fire", "body": "x", "name": "n"}},
            "status",
        ),
        ({"message": "x", "colour": "red"}, "colour"),
    ]
    for body, field in cases:
        answer = call(r, "POST", path, body)
        assert answer.status_code in (400, 422), (body, answer.text)
        assert field in answer.text, (body, answer.text)
    timeline = call(r, "GET", path).json()
    assert timeline["updates"] == []
    assert r.h.client.get("/status/api/v2/incidents.json").json()["incidents"] == []


def test_rooms_and_responders_by_api(rooms: Any) -> None:
    r = rooms()
    made = call(r, "POST", "/api/incidents", {"title": "Disk", "severity": "SEV3"}).json()
    base = f"/api/incidents/{made['id']}"
    first = call(r, "POST", f"{base}/rooms", {"provider": "slack", "user": "cat"})
    assert first.status_code == 201 and first.json()["created"] is True
    again = call(r, "POST", f"{base}/rooms", {"provider": "slack"})
    assert again.status_code == 200 and again.json()["created"] is False
    r.run()
    room = call(r, "GET", f"{base}/rooms").json()["rooms"][0]
    assert room["channelName"] == "inc-20260301-disk" and room["lastError"] is None
    teams = call(r, "POST", f"{base}/rooms", {"provider": "teams"})
    assert teams.status_code == 409 and "incidents.teams.webhook_url" in teams.text
    paged = call(r, "POST", f"{base}/responders", {"schedule": "primary", "user": "cat"})
    assert paged.status_code == 200, paged.text
    assert "cat paged ann (on call for primary)" in r.timeline(made["id"])
    both = call(r, "POST", f"{base}/responders", {"schedule": "primary", "targetUser": "bob"})
    assert both.status_code == 400 and "user" in both.text
    draft = call(r, "GET", f"{base}/updates").json()["draft"]
    assert draft == {"status": "Investigating"}
