"""``/api/remediation/...`` and ``/api/incidents/{id}/remediation``: 4xx naming the field,
429 over a rate limit."""

from __future__ import annotations

from typing import Any

from tests.remediation.test_runs import GUARDED


def test_list_run_and_read_runs(remediation: Any) -> None:
    r = remediation()
    c, headers = r.h.client, r.headers
    listed = c.get("/api/remediation/actions", headers=headers)
    assert listed.status_code == 200
    by_name = {a["name"]: a for a in listed.json()}
    assert by_name["restart-api"]["what"] == f"POST {r.server.url}/ok"
    assert by_name["echo"]["kind"] == "command"
    incident = r.incident()
    made = c.post(
        f"/api/incidents/{incident}/remediation",
        json={"action": "restart-api", "user": "bob"},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    assert made.json()["state"] == "queued" and made.json()["requestedBy"] == "bob"
    r.h.tick()
    runs = c.get(f"/api/incidents/{incident}/remediation/runs", headers=headers).json()
    assert [(x["state"], x["result"]) for x in runs] == [("succeeded", 200)]
    assert runs[0]["request"]["headers"]["X-Token"] == "Bearer ${TOCSIN_TEST_TOKEN}"
    dry = c.post(
        f"/api/incidents/{incident}/remediation",
        json={"action": "restart-api", "dryRun": True},
        headers=headers,
    )
    assert dry.json()["state"] == "dry_run" and dry.json()["requestedBy"] == "token:tests"
    assert len(r.server.received) == 1


def test_bad_requests_name_the_field(remediation: Any) -> None:
    r = remediation()
    c, headers = r.h.client, r.headers
    incident = r.incident()
    unknown = c.post(
        f"/api/incidents/{incident}/remediation", json={"action": "nope"}, headers=headers
    )
    assert unknown.status_code == 400
    assert "action" in unknown.text and "no action 'nope'" in unknown.text
    missing = c.post(f"/api/incidents/{incident}/remediation", json={}, headers=headers)
    assert missing.status_code == 400 and "action" in missing.text
    extra = c.post(
        f"/api/incidents/{incident}/remediation",
        json={"action": "echo", "shell": "rm -rf /"},
        headers=headers,
    )
    assert extra.status_code == 400 and "shell" in extra.text
    nobody = c.post(
        f"/api/incidents/{incident}/remediation",
        json={"action": "echo", "user": "mallory"},
        headers=headers,
    )
    assert nobody.status_code == 400 and "user" in nobody.text
    absent = c.post("/api/incidents/999/remediation", json={"action": "echo"}, headers=headers)
    assert absent.status_code == 404
    anonymous = c.post(f"/api/incidents/{incident}/remediation", json={"action": "echo"})
    assert anonymous.status_code == 401
    assert c.get("/api/remediation/runs/77", headers=headers).status_code == 404


def test_the_api_refuses_to_approve_or_reject(remediation: Any) -> None:
    """One service token could ask as bob and approve as cat: the two-person rule would
    mean nothing. A service token asks; only a person (a personal token, the web, Slack or
    the CLI) approves."""
    r = remediation(actions=GUARDED)
    c, headers = r.h.client, r.headers
    incident = r.incident()
    made = c.post(
        f"/api/incidents/{incident}/remediation",
        json={"action": "failover", "user": "bob"},
        headers=headers,
    ).json()
    assert made["state"] == "awaiting_approval"
    for verb in ("approve", "reject"):
        refused = c.post(
            f"/api/remediation/runs/{made['id']}/{verb}", json={"user": "cat"}, headers=headers
        )
        assert refused.status_code == 403
        assert refused.json()["message"] == (
            "forbidden: approving and rejecting need a person: use a personal API token"
        )
    r.h.tick()
    run = c.get(f"/api/remediation/runs/{made['id']}", headers=headers).json()
    assert run["state"] == "awaiting_approval" and run["approver"] is None
    assert r.server.received == []
    # A person approves from the CLI's service, and it runs.
    assert r.service.approve(made["id"], "cat").state.value == "queued"
    r.h.tick()
    assert c.get(f"/api/remediation/runs/{made['id']}", headers=headers).json()["state"] == (
        "succeeded"
    )


def test_over_the_rate_limit_is_a_429_naming_the_limit(remediation: Any) -> None:
    r = remediation(actions=GUARDED)
    c, headers = r.h.client, r.headers
    incident = r.incident()
    for _ in range(3):
        made = c.post(
            f"/api/incidents/{incident}/remediation", json={"action": "limited"}, headers=headers
        )
        assert made.status_code == 201
    limited = c.post(
        f"/api/incidents/{incident}/remediation", json={"action": "limited"}, headers=headers
    )
    assert limited.status_code == 429
    body = limited.json()
    assert "rate limit of 3 runs per 1h 00m reached" in body["error"]
    assert body["run"]["state"] == "rate_limited"
    assert limited.headers["Retry-After"] == "3601"
