"""A drill never runs real remediation: a trigger (a matching alert, an escalation level)
or a person asking on a drill incident records a dry run, so the drill's timeline shows
what would have run, and nothing is sent or executed."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from tocsin.domain.remediation import RunState
from tocsin.notify.remediation_requests import DRILL
from tocsin.notify.remediation_triggers import RemediationTriggers
from tocsin.store import incidents as incident_store

ACTIONS = """\
    - name: restart-api
      http: {{method: POST, url: "{url}/ok", body: '{{{{ labels.service | tojson }}}}'}}
      timeout: 2s
      triggers:
        matchers: ['alertname="APIHighLatency"']
    - name: page-db-vendor
      http: {{method: POST, url: "{url}/ok"}}
      timeout: 2s
      dangerous: true
      triggers:
        escalation: {{policy: platform, level: 2}}
"""


def test_an_escalation_trigger_on_a_drill_is_a_dry_run(remediation: Any) -> None:
    r = remediation(actions=ACTIONS)
    drill = r.runtime.drills.run("platform", "ann").id
    r.h.tick()
    r.h.tick(300)  # level 2 fires: the trigger asks
    r.h.tick()
    [run] = r.runs(drill)
    assert run.requested_by == "trigger:escalation"
    assert run.state is RunState.DRY_RUN and run.dry_run
    assert run.reason == DRILL
    assert r.server.received == []
    assert r.h.messages("remediation.approval") == []  # dangerous, but nothing to approve
    [entry] = r.timeline(drill)
    assert entry.kind == "remediation.dry_run"
    assert f"({DRILL}): would run POST {r.server.url}/ok" in entry.text


def test_a_matching_alert_joining_a_drill_is_a_dry_run(remediation: Any) -> None:
    r = remediation(actions=ACTIONS)
    drill = r.runtime.incidents.declare(title="Drill", severity="SEV3", actor="ann", drill=True)
    triggers = RemediationTriggers(r.runtime.current, lambda i: f"/i/{i}")
    # What the trigger reads of an alert that just joined the incident.
    alert: Any = SimpleNamespace(
        labels={"alertname": "APIHighLatency", "service": 'a"b'}, annotations={}
    )
    with r.runtime.db.write() as conn:
        incident = incident_store.get(conn, drill.id)
        assert incident is not None and incident.drill
        triggers.on_alerts(conn, incident, [alert], r.h.clock.now())
    r.h.tick()
    [run] = r.runs(drill.id)
    assert run.requested_by == "trigger:matchers"
    assert run.state is RunState.DRY_RUN and run.request.body == '"a\\"b"'
    assert r.server.received == []
    assert "would run POST" in r.timeline(drill.id)[0].text


def test_a_person_asking_on_a_drill_gets_a_dry_run_saying_so(remediation: Any) -> None:
    r = remediation()
    drill = r.runtime.incidents.declare(title="Drill", severity="SEV3", actor="ann", drill=True)
    run = r.run(drill.id, "echo")
    assert run.state is RunState.DRY_RUN and run.reason == DRILL
    assert r.timeline(drill.id)[-1].text.startswith(
        f"Remediation echo (run {run.id}): dry run by bob ({DRILL})"
    )
    made = r.h.client.post(
        f"/api/incidents/{drill.id}/remediation",
        json={"action": "restart-api"},
        headers=r.headers,
    )
    assert made.status_code == 201 and made.json()["state"] == "dry_run"
    assert made.json()["reason"] == DRILL
    r.h.tick()
    assert r.server.received == []
