"""Every change of an incident is in the audit log: one entry per action, by whom, via
what, from where, with the fields as they were and as they became; written in the action's
transaction, so an action that fails leaves none."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.audit.conftest import Web, entries, only
from tocsin.errors import Conflict
from tocsin.store import incidents as incident_store


def _api(w: Web, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = w.client.post(f"/api/incidents{path}", json=body or {}, headers=w.harness.api)
    assert response.status_code in (200, 201), response.text
    found: dict[str, Any] = response.json()
    return found


def test_each_action_through_the_api_is_one_entry_with_before_and_after(web: Any) -> None:
    w: Web = web()
    made = _api(w, "", {"title": "Checkout down", "severity": "SEV2", "policy": "platform"})
    n = str(made["id"])
    declared = only(w.runtime, "incident.declared")
    assert (declared.actor, declared.via, declared.address) == (
        "token:tests",
        "api token:tests",
        "testclient",
    )
    assert (declared.object_kind, declared.object_id) == ("incident", n)
    assert declared.before is None
    assert declared.after is not None
    assert declared.after["status"] == "triggered"
    assert declared.after["severity"] == "SEV2" and declared.after["policy"] == "platform"

    _api(w, f"/{n}/acknowledge", {"user": "bob"})
    ack = only(w.runtime, "incident.acknowledged")
    assert ack.actor == "bob" and ack.via == "api token:tests"  # on behalf: the token is named
    assert ack.before == {"status": "triggered", "acknowledged_by": None}
    assert ack.after == {"status": "acknowledged", "acknowledged_by": "bob"}

    _api(w, f"/{n}/severity", {"severity": "SEV1"})
    changed = only(w.runtime, "incident.severity_changed")
    assert (changed.before, changed.after) == ({"severity": "SEV2"}, {"severity": "SEV1"})
    _api(w, f"/{n}/severity", {"severity": "SEV1"})  # no change: no entry
    assert len(entries(w.runtime, "incident.severity_changed")) == 1

    _api(w, f"/{n}/roles", {"role": "commander", "assignee": "ann"})
    role = only(w.runtime, "incident.role_assigned")
    assert role.before == {"roles": {}}
    assert role.after == {"roles": {"commander": "ann"}, "role": "commander", "user": "ann"}

    _api(w, f"/{n}/notes", {"text": "Rolled back the deploy"})
    note = only(w.runtime, "incident.note_added")
    assert note.before == {} and note.after == {"text": "Rolled back the deploy", "kind": "note"}

    _api(w, f"/{n}/snooze", {"duration": "30m"})
    snooze = only(w.runtime, "incident.snoozed")
    assert snooze.before == {"snoozed_until": None}
    assert snooze.after is not None and snooze.after["length"] == 1800

    _api(w, f"/{n}/mitigate", {"note": "traffic moved"})
    assert only(w.runtime, "incident.mitigated").after == {
        "status": "mitigated",
        "note": "traffic moved",
    }
    _api(w, f"/{n}/resolve")
    resolved = only(w.runtime, "incident.resolved")
    assert resolved.before is not None and resolved.before["status"] == "mitigated"
    assert resolved.after is not None and resolved.after["resolved_by"] == "token:tests"
    _api(w, f"/{n}/reopen")
    assert only(w.runtime, "incident.reopened").after is not None

    other = _api(w, "", {"title": "Checkout slow", "severity": "SEV3"})
    _api(w, f"/{other['id']}/merge", {"into": int(n)})
    merged = only(w.runtime, "incident.merged")
    assert merged.object_id == str(other["id"])
    assert merged.after is not None
    assert merged.after["merged_into"] == int(n) and merged.after["target_id"] == int(n)
    # Nothing recorded twice: one entry per action.
    assert [e.action for e in entries(w.runtime, "incident")] == [
        "incident.declared",
        "incident.acknowledged",
        "incident.severity_changed",
        "incident.role_assigned",
        "incident.note_added",
        "incident.snoozed",
        "incident.mitigated",
        "incident.resolved",
        "incident.reopened",
        "incident.declared",
        "incident.merged",
    ]


def test_the_engine_opens_escalates_and_resolves_as_tocsin(web: Any) -> None:
    w: Web = web()
    w.alert("HighErrorRate", service="checkout")
    opened = only(w.runtime, "incident.opened")
    assert (opened.actor, opened.via) == ("tocsin", "engine")
    assert opened.after is not None and opened.after["status"] == "triggered"
    escalated = only(w.runtime, "incident.escalated")
    assert (escalated.actor, escalated.via, escalated.address) == ("tocsin", "engine", None)
    assert escalated.before == {"level": 0}
    assert escalated.after == {"level": 1}
    w.harness.tick(5 * 60)  # level 2
    second = entries(w.runtime, "incident.escalated")[-1]
    assert (second.before, second.after) == ({"level": 1}, {"level": 2})


def test_an_acknowledgement_that_times_out_is_recorded_as_retriggered(web: Any) -> None:
    w: Web = web()
    incident = w.runtime.incidents.declare(
        title="Disk full", severity="SEV2", actor="ann", policy="platform"
    )
    w.runtime.incidents.snooze(incident.id, "ann", timedelta(minutes=10))
    # Snoozing a triggered incident acknowledges it first: two changes, two entries.
    assert [e.action for e in entries(w.runtime, "incident", object_id=str(incident.id))] == [
        "incident.declared",
        "incident.acknowledged",
        "incident.snoozed",
    ]
    w.harness.tick(11 * 60)
    again = only(w.runtime, "incident.retriggered")
    assert again.actor == "tocsin"
    assert again.before is not None and again.before["status"] == "acknowledged"
    assert again.after is not None and again.after["status"] == "triggered"


def test_a_failed_action_leaves_no_entry(web: Any) -> None:
    w: Web = web()
    incident = w.runtime.incidents.declare(title="Queue stuck", severity="SEV3", actor="ann")
    w.runtime.incidents.resolve(incident.id, "ann")
    before = len(entries(w.runtime))
    with pytest.raises(Conflict):
        w.runtime.incidents.acknowledge(incident.id, "bob")  # resolved: refused
    assert len(entries(w.runtime)) == before

    # The action itself succeeded, then its transaction failed: its entry is gone with it.
    def fails(conn: Any, now: Any) -> Any:
        w.runtime.incidents.desk.reopen(conn, incident.id, "bob", now)
        raise RuntimeError("the database went away before the commit")

    with pytest.raises(RuntimeError):
        w.runtime.incidents._write(fails)
    assert len(entries(w.runtime)) == before
    with w.runtime.db.read() as conn:
        found = incident_store.get(conn, incident.id)
    assert found is not None and found.status.value == "resolved"


def test_a_drill_is_recorded_as_started(web: Any) -> None:
    w: Web = web()
    w.runtime.drills.run("platform", "ann")
    started = only(w.runtime, "drill.started")
    assert started.actor == "ann" and started.object_kind == "incident"
    assert started.after is not None and started.after["drill"] is True
