"""A runbook file covering an alert: the incident's page shows it with its quick assessment,
the page sent says where it is and what to check first, its owner reviews it after the
incident, and the runbook lists the incident among its previous ones."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from tests.runbooks.conftest import utc
from tests.web.accessibility import check_page


def section(html: str, id_: str) -> str:
    start = html.index(f'id="{id_}"')
    return html[start : html.index("</section>", start)]


def words(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)))


def only_incident(b: Any) -> int:
    [incident] = b.runtime.incidents.incidents(limit=10)
    return int(incident.incident.id if hasattr(incident, "incident") else incident.id)


def test_the_incident_page_shows_the_matching_runbook(books: Any) -> None:
    b = books()
    b.alert("APIHighLatency", service="api")
    i = only_incident(b)
    b.web.sign_in("ann")
    page = b.web.client.get(f"/incidents/{i}").text
    assert check_page(page) == []
    panel = section(page, "incident-runbooks")
    assert '<a href="/runbooks/api-latency">API latency is high</a>' in panel
    text = words(panel)
    assert "Owner: platform" in text and "reviewed 2026-02-01" in text
    assert "Open the API dashboard and compare p99 with last week." in text
    assert "Stale" not in text


def test_an_alert_the_runbook_does_not_cover_shows_none(books: Any) -> None:
    b = books()
    b.alert("APIHighLatency", service="web")  # the runbook's matcher wants service="api"
    i = only_incident(b)
    b.web.sign_in("ann")
    page = b.web.client.get(f"/incidents/{i}").text
    assert 'id="incident-runbooks"' not in page
    assert b.get(f"/api/incidents/{i}/runbooks").json() == []


def test_the_page_sent_has_the_runbook_link_and_quick_assessment(books: Any) -> None:
    b = books()
    b.alert("APIHighLatency", service="api")
    [page] = b.messages("page")
    assert "Runbook: API latency is high http://tocsin.test/runbooks/api-latency" in page.body
    assert (
        "Quick assessment: Open the API dashboard and compare p99 with last week.\n"
        "Check the deploys of the last hour." in page.body
    )
    [mail] = b.mails_to("dan@example.com")
    body = mail.get_body(("plain",))
    assert body is not None
    assert "/runbooks/api-latency" in body.get_content()
    assert "Open the API dashboard" in body.get_content()


def test_the_owner_is_asked_to_review_once_after_resolution(books: Any) -> None:
    b = books()
    b.alert("APIHighLatency", service="api")
    i = only_incident(b)
    b.at(utc(2026, 3, 1, 12, 20))
    assert b.messages("runbook-review") == []  # not before it is resolved
    b.runtime.incidents.resolve(i, "ann")
    b.at(utc(2026, 3, 1, 12, 30))
    asked = b.messages("runbook-review")
    assert sorted(m.user for m in asked) == ["ann", "bob"]  # the team's members
    assert all(f"/incidents/{i}" in m.body for m in asked)
    assert all("http://tocsin.test/runbooks/api-latency" in m.body for m in asked)
    assert "edit it in git" in asked[0].body
    [mail] = b.mails_to("bob@example.com")
    assert "Review the runbook" in mail["Subject"]
    b.at(utc(2026, 3, 1, 13, 30))
    b.at(utc(2026, 3, 2, 13, 30))
    assert len(b.messages("runbook-review")) == 2


def test_no_review_is_asked_after_an_incident_of_another_severity(books: Any) -> None:
    b = books(extra="")
    b.h.reload(b.h.config.read_text().replace("[SEV1, SEV2, SEV3]", "[SEV1]"))
    b.alert("APIHighLatency", service="api")
    b.runtime.incidents.resolve(only_incident(b), "ann")
    b.at(utc(2026, 3, 1, 12, 30))
    b.at(utc(2026, 3, 1, 13, 30))
    assert b.messages("runbook-review") == []
    assert len(b.messages("page")) == 1


def test_the_runbook_lists_its_previous_incidents(books: Any) -> None:
    b = books()
    b.alert("APIHighLatency", service="api")
    first = only_incident(b)
    b.at(utc(2026, 3, 1, 13, 30))
    b.runtime.incidents.resolve(first, "ann")
    b.at(utc(2026, 3, 1, 14, 0))
    found = b.get("/api/runbooks/api-latency").json()
    [previous] = found["previousIncidents"]
    assert previous["id"] == first and previous["severity"] == "SEV3"
    assert previous["timeToResolveSeconds"] == 90 * 60
    [section_] = [s for s in found["sections"] if s["title"] == "Previous incidents"]
    # The file's own text first, then the incidents.
    assert section_["markdown"].startswith("Before Tocsin: the 2025 outage.")
    assert f"[#{first}](/incidents/{first})" in section_["markdown"]
    b.web.sign_in("ann")
    page = b.web.client.get("/runbooks/api-latency").text
    assert check_page(page) == []
    assert re.search(f'<a href="/incidents/{first}"[^>]*>#{first}</a>', page)
    assert "the file" in words(page) and "edit it in git" in words(page)


def test_a_runbook_written_in_the_ui_is_linked_paged_and_reviewed_too(books: Any) -> None:
    b = books(files={})
    b.h.reload(b.h.config.read_text().replace("[SEV1, SEV2, SEV3]", "all"))
    made = b.post(
        "/api/runbooks",
        {
            "slug": "disk-full",
            "title": "Disk full",
            "matchers": ['alertname=~"Disk.*"'],
            "owner": "bob",
            "body": "# Disk full\n\n## Quick assessment\n\nRun df -h.\n",
        },
    )
    assert made.status_code == 201, made.text
    b.alert("DiskFull", service="db")
    i = only_incident(b)
    [page] = b.messages("page")
    assert "Runbook: Disk full http://tocsin.test/runbooks/disk-full" in page.body
    assert "Quick assessment: Run df -h." in page.body
    b.runtime.incidents.resolve(i, "ann")
    b.at(utc(2026, 3, 1, 12, 10))
    [asked] = b.messages("runbook-review")
    assert asked.user == "bob" and "Mark reviewed" in asked.body
