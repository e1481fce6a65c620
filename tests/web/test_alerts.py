"""The alert pages: the list (matcher filter, groups, silenced and resolved toggles) and one
alert's page (labels, annotations, links, incident, history)."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.notify.conftest import firing, resolved
from tests.web.accessibility import check_page
from tocsin.domain.matchers import parse_matchers

INHIBIT = """
inhibit_rules:
  - source_matchers: ['severity="critical"']
    target_matchers: ['severity="warning"']
    equal: [service]
"""


def fingerprint(w, name: str) -> str:
    return next(
        v.alert.fingerprint
        for v in w.runtime.views.open()
        if v.alert.labels.get("alertname") == name
    )


def names(html: str) -> list[str]:
    """The alert names the list links to, in page order."""
    return re.findall(r'<a href="/alerts/[0-9a-f]+"><strong>([^<]+)</strong>', html)


def test_firing_alerts_are_listed_with_their_state_receivers_and_links(web):
    w = web()
    w.sign_in("ann")
    empty = w.client.get("/alerts")
    assert empty.status_code == 200 and "Nothing is firing." in empty.text
    w.alert("HighErrorRate", service="api")
    w.alert("Chatter", service="api", severity="info")
    r = w.client.get("/alerts")
    assert r.status_code == 200
    assert sorted(names(r.text)) == ["Chatter", "HighErrorRate"]
    assert "Open alerts (2)" in r.text
    assert 'class="badge state-firing">Firing<' in r.text  # the state in words
    assert "Receivers: pager" in r.text and "Receivers: chat" in r.text
    fp = fingerprint(w, "HighErrorRate")
    assert f'<a href="/alerts/{fp}"><strong>HighErrorRate</strong></a>' in r.text
    assert f'href="/silences/new?alert={fp}"' in r.text
    assert 'id="alerts-list" data-live' in r.text
    assert check_page(r.text) == []


def test_the_matcher_filter_narrows_the_list(web):
    w = web()
    w.sign_in("ann")
    w.alert("HighErrorRate", service="api", severity="critical")
    w.alert("DiskFull", service="db", severity="warning")
    w.alert("Slow", service="web", severity="page")
    braces = w.client.get("/alerts", params={"filter": '{service="api"}'})
    assert names(braces.text) == ["HighErrorRate"]
    bare = w.client.get("/alerts", params={"filter": 'service=~"api|db", severity!="critical"'})
    assert names(bare.text) == ["DiskFull"]
    assert 'value="service=~&#34;api|db&#34;, severity!=&#34;critical&#34;"' in bare.text
    none = w.client.get("/alerts", params={"filter": 'service="nope"'})
    assert names(none.text) == [] and "Nothing open matches." in none.text


def test_a_bad_filter_is_a_400_naming_the_problem_next_to_the_field(web):
    w = web()
    w.sign_in("ann")
    w.alert("HighErrorRate", service="api")
    r = w.client.get("/alerts", params={"filter": '{service="api"'})
    assert r.status_code == 400
    assert 'id="alert-filter-problem"' in r.text and "missing closing" in r.text
    assert 'aria-describedby="alert-filter-problem"' in r.text
    assert 'value="{service=&#34;api&#34;"' in r.text  # what was typed stays
    assert names(r.text) == []
    bad_regex = w.client.get("/alerts", params={"filter": 'service=~"("'})
    assert bad_regex.status_code == 400 and "invalid regular expression" in bad_regex.text
    assert check_page(r.text) == []


def test_alerts_are_grouped_by_the_chosen_labels(web):
    w = web()
    w.sign_in("ann")
    w.alert("HighErrorRate", service="api")
    w.alert("HighErrorRate", service="db")
    w.alert("DiskFull", service="api")
    by_name = w.client.get("/alerts").text
    groups = re.findall(r"<h3>\s*(.*?)\s*</h3>", by_name, re.S)
    assert len(groups) == 2
    assert re.search(r'alertname="DiskFull"</code>\s*<span class="muted">· 1 alert<', by_name)
    assert re.search(r'alertname="HighErrorRate"</code>\s*<span class="muted">· 2 alerts<', by_name)
    # A group of several can be silenced at once, with the group's labels as matchers.
    assert 'href="/silences/new?matcher=alertname%3D%22HighErrorRate%22"' in by_name

    by_service = w.client.get("/alerts", params={"group_by": "alertname,service"}).text
    assert len(re.findall(r"<h3>", by_service)) == 3
    assert '<code>alertname="HighErrorRate"</code> <code>service="db"</code>' in by_service

    by_service = w.client.get("/alerts", params={"group_by": "service"}).text
    api = by_service.index('<code>service="api"</code>')
    db = by_service.index('<code>service="db"</code>')
    assert api < db and "· 2 alerts" in by_service[api:db]
    assert "· 1 alert<" in by_service[db:]

    flat = w.client.get("/alerts", params={"group_by": ""}).text
    assert "All alerts" in flat and "· 3 alerts" in flat
    assert check_page(by_service) == []


def test_resolved_alerts_show_only_with_the_toggle_and_for_a_day(web):
    w = web()
    w.sign_in("ann")
    w.alert("DiskFull", service="db")
    w.alert("HighErrorRate", service="api")
    w.harness.tick(600)
    w.harness.post(resolved(w.harness, "DiskFull", service="db"))
    w.harness.tick()
    plain = w.client.get("/alerts").text
    assert names(plain) == ["HighErrorRate"] and "Resolved in the last" not in plain
    toggled = w.client.get("/alerts", params={"resolved": "1"}).text
    assert "Resolved in the last 24 hours (1)" in toggled
    section = toggled[toggled.index('id="h-resolved"') :]
    assert names(section) == ["DiskFull"] and 'class="badge state-resolved">Resolved<' in section
    assert check_page(toggled) == []
    # A day later DiskFull is no longer recent; HighErrorRate's endsAt has passed meanwhile.
    w.harness.tick(25 * 3600)
    w.sign_in("ann")  # a day on: the session ended after 12 idle hours
    later = w.client.get("/alerts", params={"resolved": "1"}).text
    assert "Open alerts (0)" in later
    assert names(later[later.index('id="h-resolved"') :]) == ["HighErrorRate"]


def test_silenced_and_inhibited_alerts_are_counted_then_shown_with_the_toggle(web):
    w = web(extra=INHIBIT)
    w.sign_in("ann")
    now = w.harness.clock.now()
    silence_id = w.runtime.silences.save(
        parse_matchers('alertname="Noisy"'), now, now + timedelta(hours=2), "ann", "known"
    )
    w.alert("Noisy", service="api")
    w.alert("Down", service="db", severity="critical")
    w.alert("Slow", service="db", severity="warning")
    plain = w.client.get("/alerts").text
    assert names(plain) == ["Down"]
    assert "2 more are silenced or inhibited." in plain
    assert 'href="/alerts?group_by=alertname&amp;suppressed=1"' in plain
    shown = w.client.get("/alerts", params={"suppressed": "1"}).text
    assert sorted(names(shown)) == ["Down", "Noisy", "Slow"]
    link = f'<a href="/silences#silence-{silence_id}">silence {silence_id[:8]}</a>'
    assert re.search(rf">Silenced</span>\s*by {link}", shown)
    down = fingerprint(w, "Down")
    assert re.search(rf'>Inhibited</span>\s*by <a href="/alerts/{down}">Down</a>', shown)
    assert check_page(shown) == []
    slow = w.client.get(f"/alerts/{fingerprint(w, 'Slow')}").text
    assert re.search(rf'>Inhibited</span>\s*by <a href="/alerts/{down}">Down</a>', slow)


def test_the_alert_page_shows_labels_annotations_links_incident_and_history(web):
    w = web()
    w.sign_in("ann")
    w.harness.post(
        {
            **firing("HighErrorRate", service="api"),
            "annotations": {
                "summary": "5xx above 5% on api",
                "description": "Check the <b>load balancer</b> first.",
                "runbook_url": "https://runbooks.example/high-error-rate",
                "dashboard": "javascript:alert(1)",
            },
            "generatorURL": "http://prometheus.example/graph?g0.expr=up",
        }
    )
    w.harness.tick()
    fp = fingerprint(w, "HighErrorRate")
    r = w.client.get(f"/alerts/{fp}")
    assert r.status_code == 200
    assert "<h1>HighErrorRate" in r.text and ">Firing<" in r.text
    assert 'service="api"' in r.text and 'alertname="HighErrorRate"' in r.text
    assert "5xx above 5% on api" in r.text
    assert "Check the &lt;b&gt;load balancer&lt;/b&gt; first." in r.text  # text, not HTML
    assert '<a href="https://runbooks.example/high-error-rate" rel="noopener noreferrer">' in r.text
    assert 'href="javascript:' not in r.text and "javascript:alert(1)" in r.text
    assert '<a href="http://prometheus.example/graph?g0.expr=up"' in r.text
    assert re.search(r'<a href="/incidents/1">#1 HighErrorRate', r.text)
    assert "Started firing" in r.text  # its history
    assert "Receivers</dt><dd>pager" in r.text
    assert f'href="/silences/new?alert={fp}">Silence this alert</a>' in r.text
    assert check_page(r.text) == []


def test_the_alert_page_of_a_resolved_alert_and_of_none(web):
    w = web()
    w.sign_in("ann")
    w.alert("DiskFull", service="db")
    fp = fingerprint(w, "DiskFull")
    w.harness.tick(60)
    w.harness.post(resolved(w.harness, "DiskFull", service="db"))
    w.harness.tick()
    page = w.client.get(f"/alerts/{fp}").text
    assert ">Resolved<" in page and "Resolved</dt>" in page
    assert page.index(">Resolved<") < page.index("Started firing")  # newest first
    missing = w.client.get("/alerts/0000000000000000")
    assert missing.status_code == 404 and "no alert with fingerprint" in missing.text
