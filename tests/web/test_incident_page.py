"""One incident's page: header, escalation, alerts (labels, annotations, links), pages sent
and timeline; each action from it; what it refuses; and its accessibility."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.notify.conftest import firing, resolved
from tests.web.accessibility import check_page

RUNBOOK = "https://runbooks.example/errors?step=1&x=2"


def alert_with_links(w):
    alert = firing("HighErrorRate", service="api", severity="critical")
    alert["annotations"] = {
        "summary": "Errors > 5% on api",
        "runbook_url": RUNBOOK,
        "dashboard": "javascript:alert(1)",  # never a link
        "grafana_url": "http://grafana.example/d/api",
    }
    alert["generatorURL"] = "http://prometheus.example/graph?g0.expr=errors"
    w.harness.post(alert)
    w.harness.tick()


def section(html: str, region: str) -> str:
    """The live region with this id."""
    start = html.index(f'id="{region}"')
    return html[start : html.index("</section>", start)]


def timeline(w, incident_id=1):
    return [(e.kind, e.actor, e.text) for e in w.runtime.incidents.view(incident_id).timeline]


def test_the_page_shows_header_escalation_alerts_pages_and_timeline(web):
    w = web()
    w.sign_in("ann")
    alert_with_links(w)
    w.harness.clock.advance(timedelta(minutes=2))
    text = w.client.get("/incidents/1").text
    header = text[
        text.index('id="incident-header"') : text.index(
            "</header>", text.index('id="incident-header"')
        )
    ]
    assert '<h1>HighErrorRate: Errors &gt; 5% on api <span class="muted">#1</span></h1>' in header
    assert 'sev-SEV1">SEV1<' in header and 'status-triggered">Triggered<' in header
    assert "high urgency" in header and "Open for</dt>\n    <dd>2m 00s" in header
    assert "Commander</dt><dd>nobody yet" in header
    # Level 1 paged ann at 12:00 UTC; level 2 (bob) follows five minutes later, in Berlin time.
    assert "next: level 2 of 2 (user bob) at" in header and ">13:05</time>" in header
    assert "(in 3m 00s)" in header
    alerts = section(text, "incident-alerts")
    fingerprint = w.runtime.incidents.view(1).alerts[0].fingerprint
    assert f'<a href="/alerts/{fingerprint}">HighErrorRate</a>' in alerts
    assert 'state-firing">Firing<' in alerts
    assert '<li>service="api"</li>' in alerts and '<li>severity="critical"</li>' in alerts
    assert "<dt>summary</dt><dd>Errors &gt; 5% on api</dd>" in alerts
    assert (
        f'<a href="{RUNBOOK.replace("&", "&amp;")}" rel="noopener noreferrer">Runbook</a>' in alerts
    )
    assert (
        '<a href="http://grafana.example/d/api" rel="noopener noreferrer">Dashboard</a>' in alerts
    )
    assert ">Source</a>" in alerts and 'href="http://prometheus.example/graph' in alerts
    assert 'href="javascript' not in text and "<dd>javascript:alert(1)</dd>" in alerts
    pages = section(text, "incident-pages")
    assert "Pages sent (2)" in pages and '<a href="/people/ann">ann</a>' in pages
    assert "<td>email</td>" in pages and 'status-failed">Failed<' in pages  # no SMTP here
    assert "<td>webhook</td>" in pages  # high urgency: her webhook too
    events = section(text, "incident-timeline")
    assert re.search(r">13:00</time>\s*<span>Opened from alerts: SEV1", events)
    assert events.index("Opened from alerts") < events.index("Level 1 of platform: paging ann")
    for region in ("incident-header", "incident-alerts", "incident-timeline", "incident-pages"):
        assert re.search(rf'id="{region}" data-live', text), region


def test_a_resolved_alert_says_so_in_words(web):
    w = web()
    w.sign_in("ann")
    w.alert("DiskFull", service="db")
    w.harness.clock.advance(timedelta(minutes=1))
    w.harness.post(resolved(w.harness, "DiskFull", service="db"))
    w.harness.tick()
    text = w.client.get("/incidents/1").text
    assert 'state-resolved">Resolved<' in section(text, "incident-alerts")
    assert "resolved <time" in section(text, "incident-alerts")


def test_only_the_actions_that_make_sense_are_offered(web):
    w = web()
    w.sign_in("ann")
    w.alert("DiskFull", service="db")

    def offered():
        text = w.client.get("/incidents/1").text
        return set(re.findall(r'action="/incidents/1/([a-z]+)"', text))

    always = {"severity", "role", "note", "update"}
    opened = {"resolve", "reassign", "responder"}  # no chat configured: no room to ask for
    assert offered() == always | opened | {"acknowledge", "escalate", "mitigate", "snooze"}
    w.runtime.incidents.acknowledge(1, "bob")
    assert offered() == always | opened | {"escalate", "mitigate", "snooze"}
    w.runtime.incidents.mitigate(1, "bob")
    assert offered() == always | opened | {"reopen"}
    w.runtime.incidents.resolve(1, "bob")
    assert offered() == always | {"reopen"}
    declared = w.runtime.incidents.declare(title="By hand", severity="SEV3", actor="ann").id
    text = w.client.get(f"/incidents/{declared}").text
    assert f'action="/incidents/{declared}/escalate"' not in text  # no policy to climb
    assert "No escalation policy: nobody is paged." in text


def test_each_action_changes_the_incident_and_the_timeline(web):
    w = web()
    w.sign_in("ann")
    w.alert("HighErrorRate", service="api")
    svc = w.runtime.incidents

    def act(action, **data):
        response = w.post(f"/incidents/1/{action}", data)
        assert response.status_code == 303, response.text
        assert response.headers["location"] == "/incidents/1"
        return svc.view(1)

    view = act("acknowledge")
    assert view.incident.status.value == "acknowledged" and view.incident.acknowledged_by == "ann"
    assert ("acknowledged", "ann", "Acknowledged by ann (web)") in timeline(w)

    view = act("escalate")
    assert view.incident.status.value == "triggered"
    assert ("escalate-requested", "ann", "ann escalated now") in timeline(w)

    view = act("snooze", duration="2h")
    assert view.incident.snoozed_until == w.harness.clock.now() + timedelta(hours=2)
    assert any(k == "snoozed" and a == "ann" for k, a, _ in timeline(w))
    assert "Snoozed until" in w.client.get("/incidents/1").text

    view = act("severity", severity="SEV1")
    assert view.incident.severity.value == "SEV1"
    assert ("severity-changed", "ann", "Severity SEV3 -> SEV1 by ann") in timeline(w)

    view = act("role", role="commander", user="bob")
    view = act("role", role="investigator", user="cat")
    assert dict(view.incident.roles) == {"commander": "bob", "investigator": ["cat"]}
    header = w.client.get("/incidents/1").text
    assert "Commander</dt><dd>bob</dd>" in header and "Investigators</dt><dd>cat</dd>" in header
    assert 'aria-label="Remove bob as commander"' in header
    view = act("role", role="commander", user="bob", remove="1")
    assert "commander" not in view.incident.roles
    assert ("role-removed", "ann", "bob is no longer commander (by ann)") in timeline(w)

    view = act("note", text="Rolled back the deploy")
    assert ("note", "ann", "Rolled back the deploy") in timeline(w)

    view = act("mitigate", note="Traffic moved to eu-west")
    assert view.incident.status.value == "mitigated"
    assert ("mitigated", "ann", "Mitigated by ann: Traffic moved to eu-west") in timeline(w)

    view = act("reopen")
    assert view.incident.status.value == "triggered"
    assert any(k == "reopened" and a == "ann" for k, a, _ in timeline(w))

    view = act("reassign", to="user:cat")
    assert view.incident.assignees == ("cat",)
    assert any(k == "reassigned" and "Reassigned to cat by ann" in t for k, _, t in timeline(w))

    view = act("resolve", note="Fixed by the rollback")
    assert view.incident.status.value == "resolved" and view.incident.resolved_by == "ann"
    assert ("resolved", "ann", "Resolved by ann (web): Fixed by the rollback") in timeline(w)
    # What happened shows on the page, oldest first, with who did it.
    events = section(w.client.get("/incidents/1").text, "incident-timeline")
    assert events.index("Rolled back the deploy") < events.index("Resolved by ann (web)")
    assert 'Rolled back the deploy <span class="muted">· ann</span>' in events


def test_an_action_without_the_forms_secret_changes_nothing(web):
    w = web()
    w.sign_in("ann")
    w.alert("HighErrorRate", service="api")
    before = timeline(w)
    for data in ({}, {"csrf": "not-the-secret"}):
        response = w.client.post("/incidents/1/acknowledge", data=data, follow_redirects=False)
        assert response.status_code == 403
        assert "the form is out of date" in response.text
    response = w.client.post("/incidents/1/note", data={"text": "forged"}, follow_redirects=False)
    assert response.status_code == 403
    assert w.runtime.incidents.view(1).incident.status.value == "triggered"
    assert timeline(w) == before


def test_bad_input_is_a_400_page_naming_the_problem_and_keeping_the_text(web):
    w = web()
    w.sign_in("ann")
    w.alert("HighErrorRate", service="api")
    response = w.post("/incidents/1/severity", {"severity": "SEV9"})
    assert response.status_code == 400
    assert (
        "severity: &#39;SEV9&#39; is not a severity: use SEV1, SEV2, SEV3 or SEV4" in response.text
    )
    assert 'id="severity-problem" role="alert"' in response.text
    assert w.runtime.incidents.view(1).incident.severity.value == "SEV3"
    assert check_page(response.text) == []
    empty = w.post("/incidents/1/note", {"text": "   "})
    assert empty.status_code == 400 and "text: must not be empty" in empty.text
    snooze = w.post("/incidents/1/snooze", {"duration": "forever"})
    assert snooze.status_code == 400 and "not a valid duration string" in snooze.text
    nobody = w.post("/incidents/1/role", {"role": "commander", "user": "zed"})
    assert nobody.status_code == 400 and "no user &#39;zed&#39;" in nobody.text
    assert "commander" not in w.runtime.incidents.view(1).incident.roles
    where = w.post("/incidents/1/reassign", {"to": "somewhere"})
    assert where.status_code == 400 and "choose a person or an escalation policy" in where.text


def test_an_action_that_no_longer_applies_is_a_409_page(web):
    w = web()
    w.sign_in("ann")
    w.alert("HighErrorRate", service="api")
    w.runtime.incidents.resolve(1, "bob")
    response = w.post("/incidents/1/acknowledge")
    assert response.status_code == 409
    assert "cannot acknowledge an incident that is resolved" in response.text
    assert w.runtime.incidents.view(1).incident.acknowledged_by is None


def test_incidents_that_cannot_exist_are_404_or_400_pages(web):
    w = web()
    w.sign_in("ann")
    for path, status in [
        ("/incidents/999", 404),
        ("/incidents/0", 404),
        ("/incidents/-3", 404),
        ("/incidents/99999999999999999999999999", 404),
        ("/incidents/abc", 400),
        ("/incidents/1.5", 400),
    ]:
        response = w.client.get(path)
        assert response.status_code == status, path
        assert "<h1>" in response.text and "Something went wrong" not in response.text
        if status == 404:
            assert "no incident" in response.text
        posted = w.post(path + "/acknowledge")
        assert posted.status_code == status, path


def test_an_unknown_action_is_not_found(web):
    w = web()
    w.sign_in("ann")
    w.alert("HighErrorRate", service="api")
    response = w.post("/incidents/1/explode")
    assert response.status_code == 404 and "there is no action" in response.text
    assert w.runtime.incidents.view(1).incident.status.value == "triggered"


def test_the_page_is_accessible_in_each_state(web):
    w = web()
    w.sign_in("ann")
    alert_with_links(w)
    w.runtime.incidents.assign_role(1, "investigator", "bob", "ann")
    w.runtime.incidents.assign_role(1, "investigator", "cat", "ann")
    assert check_page(w.client.get("/incidents/1").text) == []
    w.runtime.incidents.acknowledge(1, "bob")
    assert check_page(w.client.get("/incidents/1").text) == []
    w.runtime.incidents.resolve(1, "bob")
    text = w.client.get("/incidents/1").text
    assert check_page(text) == []
    assert "Was open for" in text and "Resolved</dt><dd>by bob" in text
    assert "Ended: resolved." in text
