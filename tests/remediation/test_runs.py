"""Approval of dangerous actions, rate limits, triggers (matchers, escalation), and a run
interrupted by a crash."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.notify.conftest import firing
from tocsin.domain.remediation import RunState
from tocsin.errors import Conflict, InputError
from tocsin.notify.remediation_requests import RUN
from tocsin.services.remediation import RateLimited
from tocsin.store import remediation_runs
from tocsin.store import timers as timer_store

GUARDED = """\
    - name: failover
      description: Fail the database over
      command: ["/bin/echo", "failed over"]
      timeout: 2s
      dangerous: true
    - name: limited
      command: ["/bin/echo", "ok"]
      timeout: 2s
      rate_limit: {{runs: 3, per: 1h}}
"""


def test_a_dangerous_action_waits_for_someone_else_to_approve(remediation: Any) -> None:
    r = remediation(actions=GUARDED)
    incident = r.incident()
    run = r.run(incident, "failover", actor="bob")
    assert run.state is RunState.AWAITING_APPROVAL
    r.h.tick(600)
    assert r.state(run.id) is RunState.AWAITING_APPROVAL  # never runs by itself
    with pytest.raises(InputError) as refused:
        r.service.approve(run.id, "bob")
    assert refused.value.problems[0].field == "user"
    assert "cannot approve" in refused.value.problems[0].problem
    approved = r.service.approve(run.id, "cat")
    assert approved.state is RunState.QUEUED and approved.approver == "cat"
    r.h.tick()
    done = r.service.run(run.id)
    assert done.state is RunState.SUCCEEDED and done.output == "failed over\n"
    kinds = [e.kind for e in r.timeline(incident)]
    assert kinds == [
        "remediation.requested",
        "remediation.approved",
        "remediation.running",
        "remediation.succeeded",
    ]
    assert r.timeline(incident)[1].actor == "cat"
    assert "approved by cat" in r.timeline(incident)[1].text
    with pytest.raises(Conflict):
        r.service.approve(run.id, "dan")


def test_an_admin_may_approve_their_own_and_a_rejected_run_never_runs(remediation: Any) -> None:
    r = remediation(actions=GUARDED)
    incident = r.incident()
    mine = r.run(incident, "failover", actor="ann")
    assert r.service.approve(mine.id, "ann", admin=True).state is RunState.QUEUED
    other = r.run(incident, "failover", actor="bob")
    assert r.service.reject(other.id, "dan").state is RunState.REJECTED
    r.h.tick()
    assert r.state(other.id) is RunState.REJECTED
    ran = [e.data["run"] for e in r.timeline(incident) if e.kind == "remediation.running"]
    assert ran == [mine.id]
    assert "rejected by dan" in " ".join(e.text for e in r.timeline(incident))


def test_the_fourth_run_in_the_window_is_rate_limited(remediation: Any) -> None:
    r = remediation(actions=GUARDED)
    incident = r.incident()
    for _ in range(3):
        assert r.run(incident, "limited").state is RunState.SUCCEEDED
        r.h.tick(60)
    with pytest.raises(RateLimited) as limited:
        r.service.request(incident, "limited", "bob", dry_run=False)
    run = limited.value.run
    assert run.state is RunState.RATE_LIMITED
    assert "rate limit of 3 runs per 1h 00m reached" in str(limited.value)
    assert limited.value.frees_at == r.runs(incident)[0].created_at + timedelta(hours=1)
    assert r.timeline(incident)[-1].kind == "remediation.rate_limited"
    # A dry run is not counted and not limited.
    assert r.run(incident, "limited", dry_run=True).state is RunState.DRY_RUN
    r.h.tick(3600 - 180 + 1)  # the first run is now more than an hour old
    assert r.run(incident, "limited").state is RunState.SUCCEEDED


MATCHED = """\
    - name: scale-up
      command: ["/bin/echo", "scaled"]
      timeout: 2s
      triggers:
        matchers: ['alertname="APIHighLatency"', 'service=~"api|checkout"']
    - name: failover
      command: ["/bin/echo", "failed over"]
      timeout: 2s
      dangerous: true
      triggers:
        matchers: ['alertname="DatabaseDown"']
"""


def test_a_matching_alert_runs_the_action_once_per_incident(remediation: Any) -> None:
    r = remediation(actions=MATCHED)
    r.h.post(_alert("OtherAlert", service="api"))
    r.h.tick()
    other = r.runtime.incidents.incidents(limit=1)[0].id
    assert r.runs(other) == []
    incident = r.alert("APIHighLatency", service="api", instance="a")
    assert [x.state for x in r.runs(incident)] == [RunState.SUCCEEDED]
    run = r.runs(incident)[0]
    assert run.requested_by == "trigger:matchers"
    assert run.labels["instance"] == "a"
    # A renewal, and a second matching alert joining the same incident: no second run.
    r.h.post(_alert("APIHighLatency", service="api", instance="a"))
    r.h.post(_alert("APIHighLatency", service="api", instance="b"))
    r.h.tick(61)
    assert len(r.runs(incident)) == 1
    assert r.timeline(incident)[0].actor == "trigger:matchers"


def test_a_triggered_dangerous_action_waits_and_tells_the_paged(remediation: Any) -> None:
    r = remediation(actions=MATCHED)
    incident = r.alert("DatabaseDown", service="db")
    r.h.tick()
    [run] = r.runs(incident)
    assert run.state is RunState.AWAITING_APPROVAL
    # Paging goes on: dan (level 1) was paged, and is asked to approve.
    asked = r.h.messages("remediation.approval")
    assert [m.user for m in asked] == ["dan"]
    assert f"tocsin remediation approve {run.id}" in asked[0].body
    r.h.tick(300)  # level 2 pages cat, who is asked too
    assert sorted(m.user for m in r.h.messages("remediation.approval")) == ["cat", "dan"]
    r.service.approve(run.id, "dan")
    r.h.tick()
    assert r.state(run.id) is RunState.SUCCEEDED


ESCALATING = """\
    - name: page-db-vendor
      command: ["/bin/echo", "vendor paged"]
      timeout: 2s
      triggers:
        escalation: {{policy: platform, level: 2}}
"""


def test_an_escalation_level_firing_runs_the_action(remediation: Any) -> None:
    r = remediation(actions=ESCALATING)
    incident = r.alert("DiskFull", service="db")
    assert r.runs(incident) == []  # level 1 fired: not this one
    r.h.tick(299)
    assert r.runs(incident) == []
    r.h.tick(1)  # five minutes unacknowledged: level 2 fires
    r.h.tick()
    [run] = r.runs(incident)
    assert run.requested_by == "trigger:escalation"
    assert run.state is RunState.SUCCEEDED
    assert run.labels["service"] == "db"
    r.h.tick(600)  # the next pass reaches level 2 again: once per incident
    assert len(r.runs(incident)) == 1


def test_an_interrupted_run_is_not_repeated_unless_retry(remediation: Any) -> None:
    r = remediation(
        actions="""\
    - name: once
      command: ["/bin/echo", "once"]
      timeout: 2s
    - name: again
      command: ["/bin/echo", "again"]
      timeout: 2s
      retry: true
"""
    )
    incident = r.incident()
    ids = {}
    for name in ("once", "again"):
        made = r.service.request(incident, name, "bob", dry_run=False)
        ids[name] = made.id
        # As if an engine had marked it running, and its lease had lapsed (another engine
        # claims the timer) while it may still be at work.
        with r.runtime.db.write() as conn:
            now = r.h.clock.now()
            remediation_runs.move(
                conn, made.id, [RunState.QUEUED], RunState.RUNNING, started_at=now
            )
            timer_store.schedule(conn, RUN, str(made.id), now)
    r.h.tick()
    # Within its start + timeout (2s) + RUNNING_GRACE (30s), it is left alone: not marked
    # interrupted (its real result would be dropped), not started a second time.
    r.h.tick(31)
    assert [r.state(i) for i in ids.values()] == [RunState.RUNNING, RunState.RUNNING]
    assert [e.kind for e in r.timeline(incident)].count("remediation.running") == 0
    r.h.tick(1)  # 32s: the engine that ran it is gone
    once = r.service.run(ids["once"])
    assert once.state is RunState.FAILED
    assert once.reason is not None and once.reason.startswith("interrupted")
    assert r.service.run(ids["again"]).state is RunState.SUCCEEDED


def _alert(name: str, **labels: str) -> dict[str, Any]:
    return firing(name, **labels)


def test_a_trigger_takes_the_actions_lock_before_looking_for_its_earlier_run(
    remediation: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two nodes linking alerts to the same incident at once: the second waits for the
    first's lock, then finds its run. Checking first and locking after would let both
    find nothing and both ask."""
    r = remediation(actions=MATCHED + ESCALATING)
    calls: list[str] = []
    lock, triggered = remediation_runs.lock_action, remediation_runs.triggered

    def locking(conn: Any, action: str) -> None:
        calls.append(f"lock {action}")
        lock(conn, action)

    def checking(conn: Any, incident_id: int, action: str, requested_by: str) -> bool:
        calls.append(f"check {action}")
        return triggered(conn, incident_id, action, requested_by)

    monkeypatch.setattr(remediation_runs, "lock_action", locking)
    monkeypatch.setattr(remediation_runs, "triggered", checking)
    incident = r.alert("APIHighLatency", service="api")
    assert calls[:2] == ["lock scale-up", "check scale-up"]
    calls.clear()
    r.h.tick(300)  # level 2: the escalation trigger
    assert calls[:2] == ["lock page-db-vendor", "check page-db-vendor"]
    assert len(r.runs(incident)) == 2
