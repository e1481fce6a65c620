"""The incident page's remediation section: Run / Dry run, Approve / Reject, runs with their
output; CSRF on every form; /remediation."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from tests.remediation.test_runs import GUARDED
from tests.web.accessibility import check_page
from tocsin.domain.remediation import RunState


def section(html: str, id_: str) -> str:
    start = html.index(f'id="{id_}"')
    return html[start : html.index("</section>", start)]


def words(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)))


def test_run_and_dry_run_from_the_incident_page(remediation: Any) -> None:
    r = remediation()
    incident = r.alert("APIHighLatency", service="checkout")
    w = r.web
    w.sign_in("bob")
    page = w.client.get(f"/incidents/{incident}").text
    assert check_page(page) == []
    panel = section(page, "remediation")
    assert 'aria-label="Run restart-api"' in panel and 'aria-label="Dry run echo"' in panel
    assert "No runs yet." in panel
    dry = w.post(
        f"/incidents/{incident}/remediation/run", {"action": "restart-api", "dry_run": "1"}
    )
    assert dry.status_code == 303
    assert dry.headers["location"] == f"/incidents/{incident}#remediation-run-1"
    assert r.server.received == []
    ran = w.post(f"/incidents/{incident}/remediation/run", {"action": "echo", "dry_run": "0"})
    assert ran.status_code == 303
    r.h.tick()
    page = w.client.get(f"/incidents/{incident}").text
    assert check_page(page) == []
    panel = words(section(page, "remediation"))
    assert "echo run 2: succeeded (exit status 0) · asked by bob" in panel
    assert "flushed cache" in panel  # the output
    assert '"service": "checkout"' in panel  # the dry run's body
    timeline = words(section(page, "incident-timeline"))
    assert "Remediation echo (run 2): succeeded (exit status 0)" in timeline
    assert "Remediation restart-api (run 1): dry run by bob: would run POST" in timeline
    assert '<a href="#remediation-run-2">run 2</a>' in section(page, "incident-timeline")


def test_forms_need_the_csrf_secret(remediation: Any) -> None:
    r = remediation()
    incident = r.incident()
    r.web.sign_in("bob")
    forged = r.web.client.post(
        f"/incidents/{incident}/remediation/run",
        data={"action": "echo", "csrf": "wrong"},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    r.h.tick()
    assert r.runs(incident) == []


def test_approve_and_reject_buttons(remediation: Any) -> None:
    r = remediation(actions=GUARDED)
    incident = r.incident()
    w = r.web
    w.sign_in("bob")
    w.post(f"/incidents/{incident}/remediation/run", {"action": "failover"})
    w.post(f"/incidents/{incident}/remediation/run", {"action": "failover"})
    own = section(w.client.get(f"/incidents/{incident}").text, "remediation")
    assert "Approve run 1" not in own and "someone else approves your request" in own
    refused = w.post("/remediation/runs/1/approve")
    assert refused.status_code == 400
    assert "cannot approve" in section(refused.text, "remediation")
    w.sign_in("cat")
    page = w.client.get(f"/incidents/{incident}").text
    assert check_page(page) == []
    assert 'aria-label="Approve run 1 of failover"' in section(page, "remediation")
    assert w.post("/remediation/runs/1/approve").status_code == 303
    assert w.post("/remediation/runs/2/reject").status_code == 303
    r.h.tick()
    assert r.state(1) is RunState.SUCCEEDED
    assert r.state(2) is RunState.REJECTED
    panel = words(section(w.client.get(f"/incidents/{incident}").text, "remediation"))
    assert "approved by cat" in panel and "rejected by cat" in panel


def test_rate_limited_from_the_page_is_a_429_saying_so(remediation: Any) -> None:
    r = remediation(actions=GUARDED)
    incident = r.incident()
    r.web.sign_in("bob")
    for _ in range(3):
        assert (
            r.web.post(f"/incidents/{incident}/remediation/run", {"action": "limited"}).status_code
            == 303
        )
    limited = r.web.post(f"/incidents/{incident}/remediation/run", {"action": "limited"})
    assert limited.status_code == 429
    assert "rate limit of 3 runs per 1h 00m reached" in words(section(limited.text, "remediation"))


def test_the_remediation_page_lists_actions_and_runs(remediation: Any) -> None:
    r = remediation()
    incident = r.incident()
    r.run(incident, "echo")
    r.web.sign_in("ann")
    page = r.web.client.get("/remediation")
    assert page.status_code == 200
    assert check_page(page.text) == []
    text = words(page.text)
    assert "restart-api" in text and f"#{incident}" in text and "succeeded" in text


def test_an_admin_approving_their_own_run_from_the_page_is_marked(remediation: Any) -> None:
    r = remediation(actions=GUARDED)
    incident = r.incident()
    w = r.web
    w.sign_in("ann")  # an administrator
    w.post(f"/incidents/{incident}/remediation/run", {"action": "failover"})
    assert w.post("/remediation/runs/1/approve").status_code == 303
    r.h.tick()
    assert r.state(1) is RunState.SUCCEEDED
    panel = words(section(w.client.get(f"/incidents/{incident}").text, "remediation"))
    assert "approved by ann (self-approved by an admin)" in panel
    assert "self-approved by an admin (ann)" in " ".join(e.text for e in r.timeline(incident))
