"""The home board: open incidents by severity, who is on call, firing alerts, activity; and
the live stream that tells pages to refresh."""

from __future__ import annotations

import re

from tocsin.domain.matchers import parse_matcher


def test_the_board_shows_incidents_oncall_alerts_and_activity(web):
    w = web()
    w.sign_in("ann")
    empty = w.client.get("/").text
    assert "No open incidents." in empty and "Nothing is firing." in empty
    w.alert("HighErrorRate", service="api")
    text = w.client.get("/").text
    assert re.search(r'<a href="/incidents/1">#1 HighErrorRate', text)
    assert 'class="badge status-triggered">Triggered<' in text  # status in words, not colour
    assert re.search(r"SEV\d</span> 1 open", text)
    assert "Firing alerts (1)" in text and 'service="api"' in text
    # Sunday 13:00 in Berlin: ann's week, until cat's night layer takes over at 20:00.
    assert '<a href="/people/ann">ann</a> <span class="muted">until 20:00</span>' in text
    assert "<td>cat</td>" in text
    assert re.search(r'<a href="/incidents/1">#1</a> [^<]*HighErrorRate', text)  # activity


def test_acknowledged_and_resolved_incidents_move_on_the_board(web):
    w = web()
    w.sign_in("ann")
    w.alert("DiskFull", service="db")
    w.runtime.incidents.acknowledge(1, "bob")
    text = w.client.get("/").text
    assert "Acknowledged<" in text and "acknowledged by bob" in text
    w.runtime.incidents.resolve(1, "bob")
    assert "No open incidents." in w.client.get("/").text


def test_silenced_alerts_are_counted_not_listed(web):
    w = web()
    w.sign_in("ann")
    w.runtime.silences.save(
        matchers=(parse_matcher('alertname="Noisy"'),),
        starts_at=w.harness.clock.now(),
        ends_at=w.harness.clock.now().replace(hour=23),
        created_by="ann",
        comment="known",
    )
    w.alert("Noisy")
    text = w.client.get("/").text
    assert "Firing alerts (0)" in text and "1 more is silenced or inhibited" in text


def test_the_live_stream_needs_a_session(web):
    w = web()
    r = w.client.get("/ui/live", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
