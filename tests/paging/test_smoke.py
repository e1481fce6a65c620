"""Smoke tests in goalert's style: a fake clock fast-forwarded, vendors on loopback that
record every request, and exactly what each person is sent, when."""

from __future__ import annotations

from typing import Any


def test_alert_pages_primary_then_secondary_until_someone_acknowledges(pager: Any) -> None:
    p = pager()
    p.alert()
    incident = p.only()
    assert (incident.severity.value, incident.urgency.value) == ("SEV1", "high")
    assert incident.service == "api" and incident.team == "platform"
    # At 0: ann (on call for primary) by push; the channel hears of it too.
    assert sorted(p.sent()) == [("push", "ann-pages"), ("slack", "C0OPS")]
    p.run(60)
    assert len(p.sent()) == 2  # nothing new at 1 minute
    p.run(60)  # 2 minutes: ann's SMS
    assert p.sent()[2:] == [("sms", "+15550000001")]
    p.run(180)  # 5 minutes: level 2, bob by push
    assert p.sent()[3:] == [("push", "bob-pages")]
    p.service.acknowledge(incident.id, "bob")
    p.run(180)  # bob's voice call would have been now
    p.run(600)
    assert p.sent()[4:] == []  # nothing more is sent
    kinds = p.kinds(incident.id)
    assert kinds[:2] == ["opened", "alert-fired"]
    assert kinds.count("escalated") == 2 and "acknowledged" in kinds
    assert p.only().status.value == "acknowledged"


def test_a_channel_post_links_to_the_incident_page_in_the_web_ui(pager: Any) -> None:
    p = pager()
    p.alert()
    posts = [r for r in p.server.requests if r.path.startswith("/slack/")]
    assert posts, "the channel heard nothing"
    body = posts[0].body.decode()
    # People in the channel open the page (signing in first), not the token-protected API.
    assert "http://tocsin.test/incidents/1" in body
    assert "/api/incidents/" not in body
