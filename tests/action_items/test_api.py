"""POST /api/incidents/{id}/action-items, GET /api/action-items, PATCH /api/action-items/{id}:
4xx answers name the field."""

from __future__ import annotations

from typing import Any

from tests.action_items.conftest import utc
from tests.action_items.test_service import overdue_setup


def api(a: Any) -> Any:
    client, auth = a.h.client, a.h.api

    class Api:
        headers = auth

        def post(self, path: str, body: Any) -> Any:
            return client.post(path, json=body, headers=self.headers)

        def get(self, path: str, **params: Any) -> Any:
            return client.get(path, params=params, headers=self.headers)

        def patch(self, path: str, body: Any) -> Any:
            return client.patch(path, json=body, headers=self.headers)

    return Api()


def problems(response: Any) -> list[tuple[str, str]]:
    return [(e["field"], e["problem"]) for e in response.json()["errors"]]


def test_add_look_at_and_change_an_item(actions: Any) -> None:
    a = actions()
    i = a.incident("Disk full on db-1")
    http = api(a)
    made = http.post(
        f"/api/incidents/{i}/action-items",
        {
            "title": "Alert on disk growth",
            "owner": "bob",
            "due": "2026-03-10",
            "ticketUrl": "https://tickets.example.com/OPS-7",
            "user": "ann",
        },
    )
    assert made.status_code == 201, made.text
    # bob lives in Los Angeles (UTC-7 from 8 March).
    assert made.json() == {
        "id": 1,
        "incidentId": i,
        "incidentTitle": "Disk full on db-1",
        "postmortemId": None,
        "title": "Alert on disk growth",
        "owner": "bob",
        "due": "2026-03-10",
        "dueAt": "2026-03-11T06:59:59.999999Z",
        "status": "open",
        "ticketUrl": "https://tickets.example.com/OPS-7",
        "teams": ["payments", "platform"],
        "overdue": False,
        "onTime": None,
        "createdAt": "2026-03-01T12:00:00Z",
        "createdBy": "ann",
        "updatedAt": "2026-03-01T12:00:00Z",
        "closedAt": None,
    }
    a.h.clock.advance(utc(2026, 3, 11, 7) - a.h.clock.now())
    assert http.get("/api/action-items/1").json()["overdue"] is True
    done = http.patch("/api/action-items/1", {"status": "done", "user": "bob"})
    assert done.status_code == 200, done.text
    body = done.json()
    assert (body["status"], body["closedAt"], body["onTime"]) == (
        "done",
        "2026-03-11T07:00:00Z",
        False,  # 1 second past the end of 10 March in Los Angeles
    )
    assert body["overdue"] is False
    refused = http.patch("/api/action-items/1", {"status": "wont_do"})
    assert refused.status_code == 409
    assert "cannot become won't do: reopen it first" in refused.json()["message"]
    cleared = http.patch("/api/action-items/1", {"due": None, "ticketUrl": None, "title": "Alert"})
    assert (cleared.json()["due"], cleared.json()["ticketUrl"], cleared.json()["title"]) == (
        None,
        None,
        "Alert",
    )
    timeline = http.get(f"/api/incidents/{i}").json()["timeline"]
    kinds = [(e["kind"], e["actor"]) for e in timeline if e["kind"].startswith("action-item")]
    assert kinds == [
        ("action-item-added", "ann"),
        ("action-item-changed", "bob"),
        ("action-item-changed", "token:tests"),  # no user: the service token itself
    ]


def test_4xx_names_the_field(actions: Any) -> None:
    a = actions()
    i = a.incident()
    http = api(a)
    path = f"/api/incidents/{i}/action-items"
    bad = http.post(path, {"title": "x", "owner": "zed", "due": "next week", "ticketUrl": "x"})
    assert bad.status_code == 400
    assert problems(bad) == [
        ("owner", "no user 'zed' in the configuration"),
        ("due", "'next week' is not a date like 2026-03-31"),
        ("ticketUrl", "must be an http:// or https:// address"),
    ]
    assert problems(http.post(path, {"owner": "ann"})) == [("body.title", "Field required")]
    unknown = http.post(path, {"title": "x", "owner": "ann", "colour": "red"})
    assert [f for f, _ in problems(unknown)] == ["body.colour"]
    assert problems(http.post(path, {"title": "x", "owner": "ann", "user": "zed"})) == [
        ("user", "no user 'zed' in the configuration")
    ]
    assert (
        http.post("/api/incidents/77/action-items", {"title": "x", "owner": "ann"}).status_code
        == 404
    )
    assert http.patch("/api/action-items/9", {"status": "done"}).status_code == 404
    http.post(path, {"title": "x", "owner": "ann"})
    assert problems(http.patch("/api/action-items/1", {"status": "finished"})) == [
        ("status", "'finished' is not a status: use open, in_progress, done or wont_do")
    ]
    assert problems(http.patch("/api/action-items/1", {"owner": None})) == [
        ("owner", "cannot be null")
    ]
    assert problems(http.get("/api/action-items", team="ops")) == [
        ("team", "no team 'ops' in the configuration")
    ]
    assert problems(http.get("/api/action-items", status="later")) == [
        ("status", "'later' is not a status: use open, in_progress, done or wont_do")
    ]
    anonymous = a.h.client.get("/api/action-items")
    assert anonymous.status_code == 401


def test_overdue_per_team(actions: Any) -> None:
    a = actions()
    ids = overdue_setup(a)
    http = api(a)

    def listed(**params: Any) -> list[int]:
        response = http.get("/api/action-items", **params)
        assert response.status_code == 200, response.text
        return [x["id"] for x in response.json()]

    assert listed(team="platform", overdue="true") == [ids["ann"], ids["bob"]]
    assert listed(team="payments", overdue="true") == [ids["bob"]]
    assert listed(team="payments") == [ids["bob"], ids["cat"]]
    assert listed(overdue="true") == [ids["ann"], ids["bob"], ids["dan"]]
    assert listed(owner="ann", status=["open", "in_progress"]) == [ids["ann"]]
    assert listed(status="done") == [ids["done"]]
    assert listed(incident=1) == [ids["done"], ids["ann"]]
    [dan] = http.get("/api/action-items", owner="dan").json()
    assert (dan["teams"], dan["overdue"], dan["due"]) == ([], True, "2026-03-15")
