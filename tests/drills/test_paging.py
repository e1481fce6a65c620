"""A drill pages through the real path, every message marked DRILL, and its report says per
level who was paged, how, what became of it, who acknowledged when, and what failed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.web.accessibility import check_page
from tocsin.domain.drills import DRILL_LINE
from tocsin.domain.incidents import Status


def test_every_message_of_a_drill_says_drill(drills: Any) -> None:
    d = drills()
    incident = d.run(title="Quarterly paging drill")
    assert incident.drill
    mail = d.mails_to("ann@example.com")
    assert len(mail) == 1
    assert mail[0]["Subject"].startswith("[DRILL] ")
    assert "Quarterly paging drill" in mail[0]["Subject"]
    body = mail[0].get_body(("plain",)).get_content()
    assert body.splitlines()[0] == DRILL_LINE
    d.later(minutes=5)  # level 2: bob
    assert [m["Subject"].startswith("[DRILL] ") for m in d.mails_to("bob@example.com")] == [True]
    made = d.messages(incident.id)
    assert made and all(m.subject.startswith("[DRILL] ") for m in made)
    assert all(m.body.startswith(DRILL_LINE) for m in made)


def test_a_real_incident_is_not_marked(drills: Any) -> None:
    d = drills()
    d.runtime.incidents.declare(title="Disk full", severity="SEV2", actor="ann", policy="platform")
    d.settle()
    (mail,) = d.mails_to("ann@example.com")
    assert "DRILL" not in mail["Subject"]
    assert DRILL_LINE not in mail.get_body(("plain",)).get_content()


def test_level_one_times_out_level_two_acknowledges(drills: Any) -> None:
    d = drills()
    incident = d.run()
    d.later(minutes=5)
    d.later(minutes=2)
    acked = d.api("POST", f"/api/incidents/{incident.id}/acknowledge", json={"user": "bob"})
    assert acked.status_code == 200, acked.text
    report = d.runtime.drills.report(incident.id)
    first, second = report.levels
    assert (first.level, first.outcome, first.users) == (1, "timed out", ("ann", "cat"))
    assert (second.level, second.outcome, second.acknowledged_by) == (2, "acknowledged", "bob")
    assert second.time_to_ack == timedelta(minutes=2)
    assert report.time_to_ack == timedelta(minutes=7)
    assert report.acknowledged_by == "bob"
    assert {(p.user, p.method, p.status) for p in first.pages} == {
        ("ann", "email", "sent"),
        ("cat", "email", "failed"),
    }
    failed = [f.text for f in report.failures]
    assert any("cat by email failed" in f and "550" in f for f in failed), failed
    assert "Level 1 was not acknowledged in time" in failed
    assert not report.exhausted
    # the API says the same
    body = d.api("GET", f"/api/drills/{incident.id}/report").json()
    assert [lv["outcome"] for lv in body["levels"]] == ["timed out", "acknowledged"]
    assert body["timeToAckSeconds"] == 420
    assert any(f["kind"] == "delivery" for f in body["failures"])


def test_a_rejected_recipient_address_is_what_failed(drills: Any) -> None:
    """The SMTP server refuses cat: "550 ... Recipient address rejected". The drill exists
    to find that, so it is a delivery failure, reported once."""
    d = drills()
    incident = d.run()
    d.runtime.incidents.acknowledge(incident.id, "ann")
    report = d.runtime.drills.report(incident.id)
    about_cat = [(f.kind, f.level) for f in report.failures if "cat" in f.text]
    assert about_cat == [("delivery", 1)], report.failures
    (text,) = [f.text for f in report.failures if "cat" in f.text]
    assert "Recipient address rejected" in text
    assert "Recipient address rejected" in report.markdown().split("## What failed")[1]


def test_nobody_acknowledges_the_policy_runs_out_and_the_drill_times_out(drills: Any) -> None:
    d = drills("drills: {timeout: 30m}")
    incident = d.run()
    d.later(minutes=5)  # level 2, the last: its 5 minutes, then 30 more
    report = d.runtime.drills.report(incident.id)
    assert report.exhausted and report.ended_at is None
    assert [lv.outcome for lv in report.levels] == ["timed out", "waiting"]
    d.later(minutes=34)
    assert d.runtime.incidents.get(incident.id).status is Status.TRIGGERED
    d.later(minutes=1)
    assert d.runtime.incidents.get(incident.id).status is Status.RESOLVED
    report = d.runtime.drills.report(incident.id)
    assert report.timed_out
    assert report.ended_at == d.h.clock.now()
    assert [lv.outcome for lv in report.levels] == ["timed out", "timed out"]
    assert "Nobody acknowledged: the policy ran to its end" in [f.text for f in report.failures]
    assert report.verdict == "Nobody acknowledged: the escalation policy ran to its end"


def test_an_acknowledged_drill_that_nobody_resolves_ends_too(drills: Any) -> None:
    d = drills("drills: {timeout: 1h}")
    incident = d.run()
    d.runtime.incidents.acknowledge(incident.id, "ann")
    d.later(minutes=59)
    assert d.runtime.incidents.get(incident.id).status is Status.ACKNOWLEDGED
    d.later(minutes=1)
    assert d.runtime.incidents.get(incident.id).status is Status.RESOLVED


def test_nobody_on_call_and_nobody_to_page_are_failures(drills: Any) -> None:
    d = drills()
    incident = d.run("gappy")
    d.later(minutes=5)
    report = d.runtime.drills.report(incident.id)
    kinds = {f.kind for f in report.failures}
    assert {"nobody-on-call", "no-contact", "skipped"} <= kinds, report.failures
    texts = " ".join(f.text for f in report.failures)
    assert "schedule empty" in texts
    assert "dan" in texts


def test_declared_as_a_drill_through_the_api(drills: Any) -> None:
    d = drills()
    made = d.api(
        "POST",
        "/api/incidents",
        json={"title": "Drill", "severity": "SEV2", "policy": "platform", "drill": True},
    )
    assert made.status_code == 201, made.text
    assert made.json()["drill"] is True
    real = d.api("POST", "/api/incidents", json={"title": "Real", "severity": "SEV2"})
    assert real.json()["drill"] is False
    run = d.api("POST", "/api/drills", json={"policy": "platform", "user": "ann"})
    assert run.status_code == 201, run.text
    assert run.json()["drill"] is True
    assert run.json()["report"] == f"/api/drills/{run.json()['id']}/report"
    refused = d.api("POST", "/api/drills", json={"policy": "nope"})
    assert refused.status_code == 400
    assert "policy" in refused.text
    not_a_drill = d.api("GET", f"/api/drills/{real.json()['id']}/report")
    assert not_a_drill.status_code == 404
    listed = d.api("GET", "/api/drills").json()
    assert [r["incidentId"] for r in listed["drills"]] == [run.json()["id"], made.json()["id"]]


def test_the_web_declare_form_and_badges(drills: Any) -> None:
    d = drills()
    d.web.sign_in("ann")
    made = d.web.post(
        "/incidents",
        {"title": "Web drill", "severity": "SEV3", "policy": "platform", "drill": "on"},
    )
    assert made.status_code == 303
    page = d.h.client.get(made.headers["location"])
    assert 'class="badge drill"' in page.text
    assert "This is a drill" in page.text
    listing = d.h.client.get("/incidents")
    assert "This is a drill" in listing.text  # the checkbox
    assert listing.text.count('class="badge drill"') == 1
    home = d.h.client.get("/")
    assert 'class="badge drill"' in home.text
    incident_id = int(made.headers["location"].rsplit("/", 1)[1])
    assert d.runtime.incidents.get(incident_id).drill
    d.settle()
    report = d.h.client.get(f"/drills/{incident_id}")
    assert report.status_code == 200
    assert check_page(report.text) == []
    assert check_page(d.h.client.get("/drills").text) == []
    assert "Level 1" in report.text
    assert "cat by email failed" in report.text
    md = d.h.client.get(f"/drills/{incident_id}/report.md")
    assert md.text.startswith(f"# Drill report: #{incident_id} Web drill")
    assert "Web drill" in d.h.client.get("/drills").text


def test_run_from_the_drills_page(drills: Any) -> None:
    d = drills()
    d.web.sign_in("ann")
    made = d.web.post("/drills", {"policy": "platform", "severity": "SEV2"})
    assert made.status_code == 303
    incident_id = int(made.headers["location"].rsplit("/", 1)[1])
    incident = d.runtime.incidents.get(incident_id)
    assert incident.drill and incident.severity.value == "SEV2"
    refused = d.web.post("/drills", {"policy": "nope"})
    assert refused.status_code == 400
    assert "no escalation policy" in refused.text
