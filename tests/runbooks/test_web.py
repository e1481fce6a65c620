"""The runbook pages: the list (stale flagged), a runbook, and the editor of database
runbooks (CSRF, preview, problems next to the form, a conflict); file runbooks read-only."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from tests.runbooks.conftest import utc
from tests.web.accessibility import check_page

FORM = {
    "slug": "disk-full",
    "title": "Disk full",
    "alerts": "DiskFull, DiskAlmostFull",
    "matchers": 'severity="critical"\nenv!="dev"',
    "owner": "bob",
    "last_reviewed": "2026-02-20",
    "body": "# Disk full\n\n## Quick assessment\n\nRun `df -h`.\n<script>alert(1)</script>\n",
}


def words(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)))


def test_create_preview_and_edit_a_runbook(books: Any) -> None:
    b = books()
    w = b.web
    w.sign_in("ann")
    new = w.client.get("/runbooks/new?title=Disk%20full&alert=DiskFull").text
    assert check_page(new) == []
    assert "## Quick assessment" in unescape(new) and "## Previous incidents" in unescape(new)
    # Without the form's CSRF secret: refused, nothing written.
    forged = w.client.post("/runbooks/new", data=FORM, follow_redirects=False)
    assert forged.status_code == 403
    assert b.service.listing(service=None)[0].runbook.slug == "api-latency"
    preview = w.post("/runbooks/new", {**FORM, "do": "preview"})
    assert preview.status_code == 200 and "Preview (not saved yet)" in preview.text
    assert "<code>df -h</code>" in preview.text and "<script>alert(1)" not in preview.text
    assert len(b.service.listing()) == 1
    made = w.post("/runbooks/new", {**FORM, "do": "save"})
    assert made.status_code == 303 and made.headers["location"] == "/runbooks/disk-full"
    rb = b.service.get("disk-full")
    assert rb.alerts == ("DiskFull", "DiskAlmostFull")
    assert [str(m) for m in rb.matchers] == ['severity="critical"', 'env!="dev"']
    assert rb.updated_by == "ann" and rb.version == 1
    page = w.client.get("/runbooks/disk-full").text
    assert check_page(page) == []
    assert "<code>df -h</code>" in page and "<script>alert(1)" not in page
    assert 'href="/runbooks/disk-full/edit"' in page and "Mark reviewed" in page

    edit = w.client.get("/runbooks/disk-full/edit").text
    assert check_page(edit) == []
    assert 'name="version" value="1"' in edit and "DiskFull, DiskAlmostFull" in edit
    saved = w.post("/runbooks/disk-full/edit", {**FORM, "title": "Disk is full", "version": "1"})
    assert saved.status_code == 303
    assert b.service.get("disk-full").title == "Disk is full"
    stale = w.post("/runbooks/disk-full/edit", {**FORM, "title": "Mine", "version": "1"})
    assert stale.status_code == 409 and "saved version 2" in unescape(stale.text)
    assert 'value="Mine"' in stale.text  # what was typed is kept


def test_problems_are_shown_next_to_the_form(books: Any) -> None:
    b = books()
    b.web.sign_in("ann")
    refused = b.web.post(
        "/runbooks/new", {**FORM, "owner": "zed", "matchers": 'a="', "last_reviewed": "soon"}
    )
    assert refused.status_code == 400
    text = words(refused.text)
    assert "owner: 'zed' is not a user id or team name" in text
    assert "matchers[0]:" in text and "last_reviewed: 'soon' is not a date" in text
    assert 'value="zed"' in refused.text
    assert len(b.service.listing()) == 1


def test_mark_reviewed_and_the_stale_flag(books: Any) -> None:
    b = books()
    b.web.sign_in("ann")
    b.web.post("/runbooks/new", {**FORM, "last_reviewed": ""})
    listed = b.web.client.get("/runbooks").text
    assert check_page(listed) == []
    row = listed[listed.index('href="/runbooks/disk-full"') :].split("</tr>")[0]
    assert "Stale" in row  # never reviewed
    only = b.web.client.get("/runbooks?stale=1").text
    assert 'href="/runbooks/disk-full"' in only and 'href="/runbooks/api-latency"' not in only
    b.at(utc(2026, 3, 2, 8, 0))
    b.web.sign_in("ann")  # the next day: the session ended after 12 idle hours
    done = b.web.post("/runbooks/disk-full/review")
    assert done.status_code == 303
    page = b.web.client.get("/runbooks/disk-full").text
    assert "Last reviewed 2026-03-02" in words(page).replace(
        "Last reviewed2026", "Last reviewed 2026"
    )
    assert "runbook-stale" not in page


def test_a_file_runbook_is_read_only_in_the_ui(books: Any) -> None:
    b = books()
    b.web.sign_in("ann")
    page = b.web.client.get("/runbooks/api-latency").text
    assert str(b.directory / "api-latency.md") in page
    assert 'href="/runbooks/api-latency/edit"' not in page and "Mark reviewed" not in page
    edit = b.web.client.get("/runbooks/api-latency/edit", follow_redirects=False)
    assert edit.status_code == 303 and edit.headers["location"] == "/runbooks/api-latency"
    refused = b.web.post("/runbooks/api-latency/review")
    assert refused.status_code == 409
    assert b.web.client.get("/runbooks/nothing").status_code == 404


def test_download_as_a_file(books: Any) -> None:
    b = books()
    b.web.sign_in("ann")
    b.web.post("/runbooks/new", FORM)
    got = b.web.client.get("/runbooks/disk-full.md")
    assert got.status_code == 200
    assert got.headers["content-disposition"] == 'attachment; filename="disk-full.md"'
    assert got.text.startswith("---\ntitle: Disk full\nalerts:\n- DiskFull\n")
    (b.directory / "disk-copy.md").write_text(got.text)
    from tocsin.config.runbooks import check_directory

    files, problems = check_directory(b.directory, {"bob", "platform"})
    assert problems == [] and files["disk-copy"].owner == "bob"
