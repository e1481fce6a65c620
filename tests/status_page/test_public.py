"""The public pages and JSON: no sign-in, nothing internal, Statuspage's shapes key by key,
uptime bars from the history, a feed that parses."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta

from tests.status_page.conftest import Status

# Statuspage's documented examples (a page's /api description and real responses of
# Statuspage pages): the keys of each object.
PAGE_KEYS = {"id", "name", "url", "time_zone", "updated_at"}
STATUS_KEYS = {"indicator", "description"}
COMPONENT_KEYS = {
    "id",
    "name",
    "status",
    "created_at",
    "updated_at",
    "position",
    "description",
    "showcase",
    "start_date",
    "group_id",
    "page_id",
    "group",
    "only_show_if_degraded",
}
INCIDENT_KEYS = {
    "id",
    "name",
    "status",
    "created_at",
    "updated_at",
    "monitoring_at",
    "resolved_at",
    "impact",
    "shortlink",
    "started_at",
    "page_id",
    "incident_updates",
    "components",
}
UPDATE_KEYS = {
    "id",
    "status",
    "body",
    "incident_id",
    "created_at",
    "updated_at",
    "display_at",
    "affected_components",
    "deliver_notifications",
    "custom_tweet",
    "tweet_id",
}
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$")
SECRET = "db-primary-3 OOM: Ann Example restarts it"


def _fill(status: Status) -> dict[str, int]:
    core = status.group("Core")
    api = status.component("API", group_id=core)
    web = status.component("Website", group_id=core)
    cdn = status.component("CDN")
    internal = status.runtime.incidents.declare(title=SECRET, severity="SEV1", actor="ann")
    status.runtime.incidents.add_note(internal.id, "Ann Example is on it", "ann")
    made = status.publish(
        name="Elevated API errors",
        body="We are investigating.",
        components={str(api): "major_outage"},
        incident_id=internal.id,
        user="ann",
    )
    start = status.clock.now() + timedelta(days=1)
    status.api(
        "POST",
        "/maintenances",
        {
            "name": "CDN provider change",
            "body": "Traffic moves to a new CDN.",
            "scheduled_for": start.isoformat(),
            "scheduled_until": (start + timedelta(hours=2)).isoformat(),
            "component_ids": [cdn],
        },
        expect=201,
    )
    return {"core": core, "api": api, "web": web, "cdn": cdn, "incident": made["id"]}


def test_public_pages_need_no_sign_in_and_leak_nothing_internal(status: Status):
    ids = _fill(status)
    paths = [
        "/status",
        "/status/history",
        f"/status/incidents/{ids['incident']}",
        "/status/history.atom",
        "/status/api",
        "/status/api/v2/summary.json",
        "/status/api/v2/status.json",
        "/status/api/v2/components.json",
        "/status/api/v2/incidents.json",
        "/status/api/v2/incidents/unresolved.json",
        "/status/api/v2/scheduled-maintenances.json",
        "/status/api/v2/scheduled-maintenances/upcoming.json",
        "/status/api/v2/scheduled-maintenances/active.json",
    ]
    for path in paths:
        r = status.public(path)
        assert r.status_code == 200, (path, r.status_code)
        assert "/login" not in str(r.url)
        for secret in ("db-primary-3", "Ann Example", "SEV1", "ann@example.com"):
            assert secret not in r.text, (path, secret)
    page = status.public("/status")
    assert "Elevated API errors" in page.text and "CDN provider change" in page.text
    # strict CSP, and nothing inline for it to block
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "<script" not in page.text and "style=" not in page.text and "<style" not in page.text
    assert 'href="/static/status.css"' in page.text


def test_summary_is_shaped_like_statuspage_key_by_key(status: Status):
    ids = _fill(status)
    r = status.public("/status/api/v2/summary.json")
    assert r.headers["access-control-allow-origin"] == "*"
    s = r.json()
    assert set(s) == {"page", "components", "incidents", "scheduled_maintenances", "status"}
    assert set(s["page"]) == PAGE_KEYS and ISO.match(s["page"]["updated_at"])
    assert s["page"]["url"] == "http://tocsin.test/status"
    assert set(s["status"]) == STATUS_KEYS
    # one of three components down is a partial outage, but the incident's impact is
    # critical (a major outage), and the indicator follows the worse of the two
    assert s["status"] == {"indicator": "critical", "description": "Major System Outage"}
    group, api, web, cdn = s["components"]
    assert set(group) == COMPONENT_KEYS | {"components"}
    assert group["group"] is True and group["components"] == [str(ids["api"]), str(ids["web"])]
    assert group["status"] == "major_outage"  # its worst component's
    for c in (api, web, cdn):
        assert set(c) == COMPONENT_KEYS and c["group"] is False
        assert c["page_id"] == s["page"]["id"] and ISO.match(c["created_at"])
    assert api["group_id"] == group["id"] and cdn["group_id"] is None
    assert api["status"] == "major_outage" and api["start_date"] == "2026-03-01"
    (incident,) = s["incidents"]
    assert set(incident) == INCIDENT_KEYS
    assert incident["impact"] == "critical" and incident["status"] == "investigating"
    assert incident["shortlink"] == f"http://tocsin.test/status/incidents/{ids['incident']}"
    (update,) = incident["incident_updates"]
    assert set(update) == UPDATE_KEYS
    assert update["incident_id"] == incident["id"] and update["body"] == "We are investigating."
    assert update["affected_components"] == [
        {
            "code": str(ids["api"]),
            "name": "API",
            "old_status": "operational",
            "new_status": "major_outage",
        }
    ]
    (maintenance,) = s["scheduled_maintenances"]
    assert set(maintenance) == INCIDENT_KEYS | {"scheduled_for", "scheduled_until"}
    assert maintenance["status"] == "scheduled" and maintenance["impact"] == "maintenance"
    assert maintenance["scheduled_for"] == "2026-03-02T12:00:00+00:00"
    assert [c["name"] for c in maintenance["components"]] == ["CDN"]


def test_the_lists(status: Status):
    ids = _fill(status)
    for path, key in [
        ("status.json", None),
        ("components.json", "components"),
        ("incidents.json", "incidents"),
        ("incidents/unresolved.json", "incidents"),
        ("scheduled-maintenances.json", "scheduled_maintenances"),
        ("scheduled-maintenances/upcoming.json", "scheduled_maintenances"),
        ("scheduled-maintenances/active.json", "scheduled_maintenances"),
    ]:
        body = status.public(f"/status/api/v2/{path}").json()
        assert set(body) == {"page", key or "status"}, path
        assert set(body["page"]) == PAGE_KEYS
    assert (
        len(
            status.public("/status/api/v2/scheduled-maintenances/active.json").json()[
                "scheduled_maintenances"
            ]
        )
        == 0
    )
    status.api(
        "POST",
        f"/incidents/{ids['incident']}/updates",
        {"status": "resolved", "body": "Fixed."},
        expect=201,
    )
    assert status.public("/status/api/v2/incidents/unresolved.json").json()["incidents"] == []
    (done,) = status.public("/status/api/v2/incidents.json").json()["incidents"]
    assert done["status"] == "resolved" and ISO.match(done["resolved_at"])
    assert status.public("/status/api/v2/status.json").json()["status"] == {
        "indicator": "none",
        "description": "All Systems Operational",
    }
    status.tick(86400)  # the maintenance starts on time
    active = status.public("/status/api/v2/scheduled-maintenances/active.json").json()
    assert [m["name"] for m in active["scheduled_maintenances"]] == ["CDN provider change"]
    assert (
        status.public("/status/api/v2/scheduled-maintenances/upcoming.json").json()[
            "scheduled_maintenances"
        ]
        == []
    )


def test_the_page_shows_groups_statuses_and_90_days_of_bars(status: Status):
    core = status.group("Core")
    api = status.component("API", group_id=core)
    status.component("Hidden unless degraded", only_show_if_degraded=True)
    status.component("No bars", showcase=False)
    status.clock.advance(timedelta(days=2))
    status.api("POST", f"/components/{api}/status", {"status": "major_outage"}, expect=200)
    status.clock.advance(timedelta(hours=6))
    status.api("POST", f"/components/{api}/status", {"status": "operational"}, expect=200)
    status.clock.advance(timedelta(days=1))
    text = status.public("/status").text
    assert "Hidden unless degraded" not in text
    assert "No bars" in text
    bars = re.findall(r'<svg class="bars"[^>]*aria-label="([^"]+)">(.*?)</svg>', text, re.S)
    assert len(bars) == 1  # only the showcased component
    label, rects = bars[0]
    days = re.findall(r'class="day-(\w+)"><title>([^<]+)</title>', rects)
    assert len(days) == 90
    # created on Sunday at noon: no data before; Tuesday's 6 hours down is red with 75 %
    assert {c for c, _ in days[:-4]} == {"none"}
    assert days[-4] == ("ok", "Sun 01 Mar 2026: 100% uptime, operational")
    assert days[-3][0] == "ok"
    assert days[-2] == ("high", "Tue 03 Mar 2026: 75.00% uptime, major outage")
    assert days[-1][0] == "ok"
    # 6 hours down in the 78 hours observed
    assert label == "API: 92.31% uptime over 90 days"
    assert "92.31% uptime" in text
    assert '<h2 class="group-name"><span>Core</span>' in text


def test_history_pages_and_an_incident_page(status: Status):
    for n in range(25):
        made = status.publish(name=f"Incident {n}", body=f"Words {n}", status="investigating")
        status.clock.advance(timedelta(days=3))
        status.api(
            "POST",
            f"/incidents/{made['id']}/updates",
            {"status": "resolved", "body": "ok"},
            expect=201,
        )
    first = status.public("/status/history").text
    assert "Incident 24" in first and "Incident 5" in first and "Incident 4" not in first
    assert 'href="/status/history?page=2"' in first
    second = status.public("/status/history?page=2").text
    assert "Incident 4" in second and "Incident 0" in second and "Incident 5<" not in second
    assert "?page=3" not in second
    assert re.search(r"<h2[^>]*>May 2026</h2>", first)
    one = status.public("/status/incidents/1").text
    assert "Incident 0" in one and "Words 0" in one and "Resolved" in one
    missing = status.public("/status/incidents/999")
    assert missing.status_code == 404 and "no such incident" in missing.text
    assert status.public("/status/history?page=0").status_code == 400


def test_the_atom_feed_parses(status: Status):
    ids = _fill(status)
    status.api(
        "POST",
        f"/incidents/{ids['incident']}/updates",
        {"status": "identified", "body": "A bad <deploy> & a rollback."},
        expect=201,
    )
    r = status.public("/status/history.atom")
    assert r.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(r.content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    assert root.findtext("a:title", namespaces=ns) == "Status status history"
    entries = root.findall("a:entry", ns)
    assert [e.findtext("a:title", namespaces=ns) for e in entries] == [
        "CDN provider change",
        "Elevated API errors",
    ]
    incident = entries[1]
    assert (
        incident.find("a:link", ns).get("href")
        == f"http://tocsin.test/status/incidents/{ids['incident']}"
    )
    assert incident.findtext("a:id", namespaces=ns).startswith("tag:tocsin.test,2026-03-01:")
    content = incident.findtext("a:content", namespaces=ns)
    # html content, escaped once: the reader sees the words as written
    assert (
        "A bad &lt;deploy&gt; &amp; a rollback." in content
        and "<strong>Identified</strong>" in content
    )
