"""A run meets the configuration in force when it runs, not the one it was asked under;
an approval waits only so long (``approval_ttl``) and never for a resolved incident; an
administrator approving their own run is marked so."""

from __future__ import annotations

from typing import Any

import pytest

from tocsin.domain.remediation import RunState
from tocsin.errors import Conflict

PLAIN = """\
    - name: restart-api
      http: {{method: POST, url: "{url}/ok"}}
      timeout: 2s
    - name: flush
      command: ["/bin/echo", "flushed"]
      timeout: 2s
"""
DANGEROUS = """\
    - name: failover
      command: ["/bin/echo", "failed over"]
      timeout: 2s
      dangerous: true
"""


def _queued(r: Any, incident: int, action: str) -> int:
    """Ask for a run and leave it queued (the engine does not run before the next tick)."""
    return int(r.service.request(incident, action, "bob", dry_run=False).id)


def test_a_queued_run_of_a_removed_action_is_refused(remediation: Any) -> None:
    r = remediation(actions=PLAIN)
    incident = r.incident()
    run = _queued(r, incident, "flush")
    r.reconfigure(PLAIN.split("    - name: flush")[0])
    r.h.tick()
    done = r.service.run(run)
    assert done.state is RunState.REFUSED
    assert done.reason == (
        "the action is no longer in the configuration; ask again if it is still wanted"
    )
    assert r.timeline(incident)[-1].kind == "remediation.refused"


def test_a_queued_call_whose_action_now_calls_elsewhere_is_refused(remediation: Any) -> None:
    r = remediation(actions=PLAIN)
    incident = r.incident()
    run = _queued(r, incident, "restart-api")
    # The same action, now calling another URL: the stored request (to /ok) is not sent,
    # nor is the new one (nobody asked for it).
    r.reconfigure(PLAIN.replace("{url}/ok", "{url}/fail"))
    r.h.tick()
    done = r.service.run(run)
    assert done.state is RunState.REFUSED
    assert done.reason is not None and "the action changed since it was asked for" in done.reason
    assert r.server.received == []


def test_a_queued_run_of_an_action_now_dry_run_is_a_dry_run(remediation: Any) -> None:
    r = remediation(actions=PLAIN)
    incident = r.incident()
    run = _queued(r, incident, "flush")
    r.reconfigure(PLAIN.replace('"flushed"]\n', '"flushed"]\n      dry_run: true\n'))
    r.h.tick()
    done = r.service.run(run)
    assert done.state is RunState.DRY_RUN and done.dry_run
    assert "now dry_run" in (done.reason or "")
    assert "remediation.running" not in [e.kind for e in r.timeline(incident)]


def test_a_queued_run_of_an_action_now_dangerous_waits_for_approval(remediation: Any) -> None:
    r = remediation(actions=PLAIN)
    incident = r.incident()
    run = _queued(r, incident, "flush")
    r.reconfigure(PLAIN.replace('"flushed"]\n', '"flushed"]\n      dangerous: true\n'))
    r.h.tick()
    assert r.state(run) is RunState.AWAITING_APPROVAL
    assert "now dangerous" in r.timeline(incident)[-1].text
    r.service.approve(run, "cat")
    r.h.tick()
    assert r.state(run) is RunState.SUCCEEDED


def test_an_unapproved_run_expires_after_the_approval_ttl(remediation: Any) -> None:
    r = remediation(actions=DANGEROUS, extra="")
    incident = r.incident()
    run = r.run(incident, "failover")
    r.h.tick(3599)
    assert r.state(run.id) is RunState.AWAITING_APPROVAL
    r.h.tick(1)
    expired = r.service.run(run.id)
    assert expired.state is RunState.EXPIRED
    assert expired.reason == "nobody approved it within 1h 00m"
    assert r.timeline(incident)[-1].kind == "remediation.expired"
    with pytest.raises(Conflict):
        r.service.approve(run.id, "cat")


def test_a_run_of_a_resolved_incident_may_not_be_approved(remediation: Any) -> None:
    r = remediation(actions=DANGEROUS)
    incident = r.incident()
    run = r.run(incident, "failover")
    r.runtime.incidents.resolve(incident, "ann")
    with pytest.raises(Conflict) as refused:
        r.service.approve(run.id, "cat")
    assert f"incident {incident} is resolved" in str(refused.value)
    assert r.service.reject(run.id, "cat").state is RunState.REJECTED  # still allowed


def test_a_run_waiting_when_its_incident_resolves_expires(remediation: Any) -> None:
    r = remediation(actions=DANGEROUS)
    incident = r.incident()
    run = r.run(incident, "failover")
    r.runtime.incidents.resolve(incident, "ann")
    r.h.tick(3600)
    done = r.service.run(run.id)
    assert done.state is RunState.EXPIRED
    assert done.reason == "the incident was resolved before anyone approved it"


def test_an_admin_approving_their_own_run_is_marked(remediation: Any) -> None:
    r = remediation(actions=DANGEROUS)
    incident = r.incident()
    mine = r.run(incident, "failover", actor="ann")
    approved = r.service.approve(mine.id, "ann", admin=True)
    assert approved.self_approved and approved.approver == "ann"
    entry = r.timeline(incident)[-1]
    assert entry.text.endswith("self-approved by an admin (ann), who asked for it")
    assert entry.data["self_approved"] is True
    theirs = r.run(incident, "failover", actor="bob")
    assert not r.service.approve(theirs.id, "ann", admin=True).self_approved
    api = r.h.client.get(f"/api/remediation/runs/{mine.id}", headers=r.headers).json()
    assert api["selfApproved"] is True
