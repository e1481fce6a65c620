"""The postmortem pages: drafted, edited and reviewed through the forms, a sanitised
preview, a conflict that keeps the person's text, the list of postmortems, and the
incident page's link; every page passes the accessibility checks."""

from __future__ import annotations

import re

import httpx

from tests.postmortems.conftest import api, declare
from tests.web.accessibility import check_page
from tests.web.conftest import Web

PAGE = "/incidents/1/postmortem"


def shown(w: Web, path: str = PAGE) -> str:
    answer = w.client.get(path)
    assert answer.status_code == 200, answer.text
    assert check_page(answer.text) == [], check_page(answer.text)
    return answer.text


def section(html: str, ident: str) -> str:
    start = html.index(f'id="{ident}"')
    return html[start : html.index("</section>", start)]


def version_of(html: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', html)
    assert found, html
    return found.group(1)


def save(w: Web, version: str, body: str, **fields: str) -> httpx.Response:
    data = {"version": version, "title": "Checkout errors", "body": body, "do": "save"}
    return w.post(f"{PAGE}/save", {**data, **fields})


def test_drafting_editing_and_a_sanitised_preview(w: Web) -> None:
    declare(w, "Checkout errors", "SEV3", service="checkout")
    w.sign_in("ann")
    html = shown(w)
    assert "SEV3 incidents do not need a postmortem by policy" in html
    incident = shown(w, "/incidents/1")
    assert "Draft the postmortem" in section(incident, "incident-postmortem")

    made = w.post(f"{PAGE}/create")
    assert made.status_code == 303 and made.headers["location"] == PAGE
    html = shown(w)
    assert "<h3>Postmortem: Checkout errors</h3>" in section(html, "pm-preview")
    assert '<textarea id="pm-body" name="body" rows="30"># Postmortem: Checkout errors' in html

    body = (
        "# Checkout errors\n\nSee [the runbook](https://runbooks.example/checkout).\n\n"
        '<script>alert("x")</script>\n\n<a href="javascript:alert(1)" onclick="x()">bad</a>\n'
        "<!-- tocsin:timeline -->\n- 13:00 Opened\n<!-- /tocsin:timeline -->\n\n"
        "| Step | Took |\n|---|---|\n| Detect | 10m |\n"
    )
    saved = save(w, version_of(html), body, authors="ann, bob", root_cause_category="deploy")
    assert saved.status_code == 303, saved.text
    html = shown(w)
    preview = section(html, "pm-preview")
    assert "<script" not in preview and "alert(" not in preview and "onclick" not in preview
    assert "tocsin:timeline" not in preview
    assert (
        '<a href="https://runbooks.example/checkout" rel="noopener noreferrer nofollow">'
        "the runbook</a>"
    ) in preview
    assert "<h3>Checkout errors</h3>" in preview and "<li>13:00 Opened</li>" in preview
    assert '<th scope="col">Step</th>' in preview and "<td>10m</td>" in preview
    pm = api(w, "GET", "/api/incidents/1/postmortem")
    assert (pm["version"], pm["authors"], pm["rootCauseCategory"]) == (2, ["ann", "bob"], "deploy")
    assert pm["body"] == body and pm["updatedBy"] == "ann"

    # Preview shows the typed text rendered, and saves nothing.
    looked = w.post(
        f"{PAGE}/save", {"version": "2", "title": "T", "body": "## New *text*", "do": "preview"}
    )
    assert looked.status_code == 200 and check_page(looked.text) == []
    assert "<h3>New <em>text</em></h3>" in section(looked.text, "pm-preview")
    assert "Preview (not saved yet)" in looked.text and "## New *text*</textarea>" in looked.text
    assert api(w, "GET", "/api/incidents/1/postmortem")["version"] == 2

    # A mistake comes back with the text kept.
    wrong = save(w, "2", "Kept text", reviewers="zed")
    assert wrong.status_code == 400 and check_page(wrong.text) == []
    assert "reviewers: no user &#39;zed&#39;" in wrong.text and "Kept text</textarea>" in wrong.text


def test_a_conflict_keeps_the_persons_text_and_shows_the_other_version(w: Web) -> None:
    declare(w, "Checkout errors", "SEV1")
    w.sign_in("ann")
    w.post(f"{PAGE}/create")
    read_at = version_of(shown(w))  # ann opens the editor at version 1
    api(w, "PATCH", "/api/incidents/1/postmortem", {"version": 1, "user": "bob", "body": "Bob's."})

    clash = save(w, read_at, "Ann's careful words.")
    assert clash.status_code == 409 and check_page(clash.text) == []
    assert "bob saved version 2 while you were editing version 1" in clash.text
    assert "Ann&#39;s careful words.</textarea>" in clash.text
    assert "Bob&#39;s.\n</pre>" in section(clash.text, "pm-theirs")
    assert api(w, "GET", "/api/incidents/1/postmortem")["body"] == "Bob's.\n"
    # The form now carries version 2: saving again replaces Bob's text knowingly.
    again = save(w, version_of(clash.text), "Ann's careful words, merged with Bob's.")
    assert again.status_code == 303
    assert api(w, "GET", "/api/incidents/1/postmortem")["version"] == 3


def test_choosing_entries_reviewing_and_publishing_through_the_forms(w: Web) -> None:
    declare(w, "Checkout errors", "SEV1")
    api(w, "POST", "/api/incidents/1/acknowledge", {"user": "bob"})
    w.sign_in("ann")
    w.post(f"{PAGE}/create")
    html = shown(w)
    boxes = re.findall(r'name="selected" value="(\d+)" checked', html)
    assert len(boxes) >= 3  # opened, not paged, acknowledged (not its own "drafted" entry)
    assert "Postmortem drafted" not in section(html, "pm-editor")
    ack = [e for e in api(w, "GET", "/api/incidents/1")["timeline"] if e["kind"] == "acknowledged"]
    pm = api(w, "GET", "/api/incidents/1/postmortem")
    data = {"version": "1", "title": "Checkout errors", "body": pm["body"], "do": "save"}
    data |= {"before": ",".join(boxes), "selected": str(ack[0]["id"]), "reviewers": "bob"}
    assert w.post(f"{PAGE}/save", data).status_code == 303
    pm = api(w, "GET", "/api/incidents/1/postmortem")
    assert pm["timelineSelection"] == [ack[0]["id"]] and pm["reviewers"][0]["user"] == "bob"
    block = pm["body"].split("<!-- tocsin:timeline -->\n")[1].split("\n<!--")[0]
    assert block.endswith("Acknowledged by bob (api)") and "\n" not in block

    assert "Submit for review" in shown(w)
    assert w.post(f"{PAGE}/submit").status_code == 303
    html = shown(w)
    assert "In review" in section(html, "pm-review") and ">Approve<" not in html
    assert "Publish without bob" in html  # ann is an admin
    w.sign_in("bob")
    assert ">Approve<" in shown(w)
    assert w.post(f"{PAGE}/approve").status_code == 303
    assert w.post(f"{PAGE}/publish").status_code == 303
    html = shown(w)
    assert "Published" in section(html, "pm-review") and 'id="pm-editor"' not in html
    late = w.post(f"{PAGE}/reopen")
    assert late.status_code == 409 and "it is published" in late.text


def test_the_list_of_postmortems(w: Web) -> None:
    declare(w, "Checkout errors", "SEV2")
    declare(w, "Slow search", "SEV3")
    api(w, "POST", "/api/incidents/1/resolve", {"user": "ann"})
    w.harness.tick()
    api(w, "POST", "/api/incidents/2/postmortem", {"user": "cat"}, 201)
    w.sign_in("ann")
    html = shown(w, "/postmortems")
    assert '<a href="/postmortems" aria-current="page">Postmortems</a>' in html
    rows = html.split("<tbody>")[1]
    # The one with a due date first.
    assert rows.index("Checkout errors") < rows.index("Slow search")
    assert "not required" in rows
    w.harness.tick(4 * 24 * 3600)
    w.sign_in("ann")  # days on: the session ended after 12 idle hours
    overdue = shown(w, "/postmortems?overdue=1")
    assert "Overdue" in overdue and "Slow search" not in overdue.split("<tbody>")[1]
    assert "No postmortems match" in shown(w, "/postmortems?state=published")
    incident = section(shown(w, "/incidents/1"), "incident-postmortem")
    assert 'href="/incidents/1/postmortem"' in incident and "Overdue" in incident
