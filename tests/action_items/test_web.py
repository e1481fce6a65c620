"""The incident page's action items (add, change status, CSRF) and /actions: the items that
are not closed, per team, overdue first."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from tests.action_items.test_service import overdue_setup
from tests.web.accessibility import check_page


def section(html: str, id_: str) -> str:
    start = html.index(f'id="{id_}"')
    return html[start : html.index("</section>", start)]


def words(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)))


def test_add_an_item_and_change_its_status_from_the_incident_page(actions: Any) -> None:
    a = actions()
    i = a.incident("Disk full on db-1")
    w = a.web
    w.sign_in("ann")
    page = w.client.get(f"/incidents/{i}").text
    assert check_page(page) == []
    assert "Action items (0)" in section(page, "incident-actions")
    added = w.post(
        "/action-items/new",
        {
            "incident": str(i),
            "title": "Alert on disk growth",
            "owner": "bob",
            "due": "2026-03-10",
            "ticket_url": "https://tickets.example.com/OPS-7",
        },
    )
    assert added.status_code == 303, added.text
    assert added.headers["location"] == f"/incidents/{i}#incident-actions"
    page = w.client.get(f"/incidents/{i}").text
    assert check_page(page) == []
    panel = section(page, "incident-actions")
    assert "Action items (1)" in panel
    assert "Alert on disk growth" in panel and '<a href="/people/bob">bob</a>' in panel
    assert '<time datetime="2026-03-10">Tue 10 Mar 2026</time>' in panel
    assert (
        '<a href="https://tickets.example.com/OPS-7" rel="noopener noreferrer">ticket</a>' in panel
    )
    assert '<option value="open" selected>Open</option>' in panel
    [item] = a.service.items(incident_id=i)
    assert item.item.created_by == "ann"

    changed = w.post("/action-items/1/status", {"status": "in_progress", "next": f"/incidents/{i}"})
    assert changed.status_code == 303 and changed.headers["location"] == f"/incidents/{i}"
    panel = section(w.client.get(f"/incidents/{i}").text, "incident-actions")
    assert '<option value="in_progress" selected>In progress</option>' in panel
    timeline = words(section(w.client.get(f"/incidents/{i}").text, "incident-timeline"))
    assert (
        "ann changed action item #1 (Alert on disk growth): status open -> in progress" in timeline
    )

    # Only a path of this site to go back to.
    away = w.post("/action-items/1/status", {"status": "done", "next": "https://evil.example/"})
    assert away.headers["location"] == f"/incidents/{i}"
    assert a.service.get(1).item.status.value == "done"
    refused = w.post("/action-items/1/status", {"status": "wont_do"})
    assert refused.status_code == 409 and "reopen it first" in refused.text


def test_a_mistake_shows_the_page_again_with_the_problem_and_what_was_typed(actions: Any) -> None:
    a = actions()
    i = a.incident()
    a.web.sign_in("ann")
    bad = a.web.post(
        "/action-items/new",
        {"incident": str(i), "title": "Add a runbook", "owner": "cat", "due": "soon"},
    )
    assert bad.status_code == 400
    assert check_page(bad.text) == []
    panel = section(bad.text, "incident-actions")
    assert "due: &#39;soon&#39; is not a date like 2026-03-31" in panel
    assert 'value="Add a runbook"' in panel and '<option value="cat" selected>' in panel
    assert a.service.items() == []
    assert a.web.post("/action-items/new", {"incident": "77", "title": "x"}).status_code == 404


def test_forms_need_the_sessions_csrf_secret(actions: Any) -> None:
    a = actions()
    i = a.incident()
    a.service.create(i, title="x", owner="ann", actor="ann")
    a.web.sign_in("ann")
    forged = a.web.client.post(
        "/action-items/1/status", data={"status": "done", "csrf": "nope"}, follow_redirects=False
    )
    assert forged.status_code == 403
    forged = a.web.client.post(
        "/action-items/new",
        data={"incident": str(i), "title": "y", "owner": "ann"},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    assert [v.item.status.value for v in a.service.items()] == ["open"]


def test_the_actions_page_lists_items_per_team_overdue_first(actions: Any) -> None:
    a = actions()
    ids = overdue_setup(a)
    a.web.sign_in("bob")
    page = a.web.client.get("/actions")
    assert page.status_code == 200
    html = page.text
    assert check_page(html) == []
    assert '<a href="/actions" aria-current="page">Actions</a>' in html
    assert "3 overdue of 4 not closed" in words(html)
    payments, platform, loose = (section(html, f"team-{n}") for n in (1, 2, 3))
    assert "payments (1 overdue, 1 open)" in words(payments)
    assert words(payments).index("Retry card captures") < words(payments).index("Document")
    assert "platform (2 overdue, 0 open)" in words(platform)
    assert "No team (1 overdue, 0 open)" in words(loose) and "Add a queue depth alert" in loose
    assert (
        f'href="/incidents/{a.service.get(ids["ann"]).item.incident_id}#incident-actions"'
        in platform
    )
    assert "Grow the volume" not in html  # done

    only = a.web.client.get("/actions?overdue=true").text
    assert check_page(only) == []
    assert "Document the failover" not in only and "Retry card captures" in only
    a.service.update(ids["dan"], actor="dan", status="done")
    a.service.update(ids["ann"], actor="ann", status="done")
    a.service.update(ids["bob"], actor="bob", status="done")
    assert "No action item is overdue." in a.web.client.get("/actions?overdue=true").text
