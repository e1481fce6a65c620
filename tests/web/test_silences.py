"""Silences in the web UI: the form (prefilled from an alert, a group or a silence; preview;
problems shown with what was typed), creating, listing and expiring."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

from tests.web.accessibility import check_page
from tocsin.domain.matchers import parse_matchers
from tocsin.domain.silences import SilenceState


class _Form(HTMLParser):
    """What a browser would send for the page's form posting to ``action``: text inputs,
    checked boxes and radios, selected options, textareas."""

    def __init__(self, action: str) -> None:
        super().__init__(convert_charrefs=True)
        self.action = action
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self.select: str | None = None
        self.first_option: tuple[str, str] | None = None
        self.chose = False
        self.textarea: str | None = None
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("action") == self.action and a.get("method") == "post":
            self.inside = True
        if not self.inside:
            return
        kind = a.get("type", "text")
        if tag == "input" and kind not in ("submit", "button"):
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self.select, self.first_option, self.chose = a["name"], None, False
        elif tag == "option" and self.select:
            if self.first_option is None:
                self.first_option = (self.select, a["value"])
            if "selected" in a:
                self.fields.append((self.select, a["value"]))
                self.chose = True
        elif tag == "textarea":
            self.textarea, self.text = a["name"], ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select:
            if not self.chose and self.first_option:
                self.fields.append(self.first_option)
            self.select = None
        elif tag == "textarea" and self.textarea:
            self.fields.append((self.textarea, self.text))
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.text += data


def form_fields(html: str, action: str = "/silences") -> dict[str, str]:
    parser = _Form(action)
    parser.feed(html)
    return dict(parser.fields)


def rows(fields: dict[str, str]) -> list[tuple[str, str, str]]:
    """The matcher rows the form holds (name, operator, value), blank ones left out."""
    found = []
    for i in range(100):
        if f"m-{i}-name" not in fields:
            break
        row = (fields[f"m-{i}-name"], fields[f"m-{i}-op"], fields[f"m-{i}-value"])
        if row[0] or row[2]:
            found.append(row)
    return found


def only_fingerprint(w) -> str:
    (view,) = w.runtime.views.open()
    return view.alert.fingerprint


def test_a_silence_made_from_an_alerts_form_silences_it(web):
    w = web()
    w.sign_in("ann")
    w.alert("HighErrorRate", service="api")
    fp = only_fingerprint(w)
    form = w.client.get(f"/silences/new?alert={fp}")
    assert form.status_code == 200
    fields = form_fields(form.text)
    assert rows(fields) == [("alertname", "=", "HighErrorRate"), ("service", "=", "api")]
    assert fields["duration"] == "2h" and fields["comment"] == ""
    assert "Would silence 1 firing alert now" in form.text
    assert "Created by Ann Example (ann)" in form.text
    assert check_page(form.text) == []

    fields["comment"] = "deploying the fix"
    r = w.post("/silences", fields)
    assert r.status_code == 303
    (silence,) = w.runtime.silences.all()
    assert r.headers["location"] == f"/silences#silence-{silence.id}"
    assert [str(m) for m in silence.matchers] == ['alertname="HighErrorRate"', 'service="api"']
    assert silence.created_by == "ann" and silence.comment == "deploying the fix"
    now = w.harness.clock.now()
    assert silence.starts_at == now and silence.ends_at == now + timedelta(hours=2)
    (view,) = w.runtime.views.open()
    assert view.silenced_by == (silence.id,)

    listing = w.client.get("/silences")
    assert listing.status_code == 200
    row = listing.text[listing.text.index(f'id="silence-{silence.id}"') :]
    row = row[: row.index("</tr>")]
    assert "deploying the fix" in row and "<td>1 alert</td>" in row and "<td>ann</td>" in row
    assert "<li>alertname=&#34;HighErrorRate&#34;</li>" in row
    assert check_page(listing.text) == []


def test_rows_can_be_removed_and_added(web):
    w = web()
    w.sign_in("ann")
    w.alert("HighErrorRate", service="api", severity="critical")
    w.alert("HighErrorRate", service="db", severity="warning")
    w.alert("HighErrorRate", service="web", severity="info")
    fp = next(
        v.alert.fingerprint for v in w.runtime.views.open() if v.alert.labels["service"] == "api"
    )
    fields = form_fields(w.client.get(f"/silences/new?alert={fp}").text)
    assert rows(fields)[1:] == [("service", "=", "api"), ("severity", "=", "critical")]
    fields["m-1-remove"] = "1"  # no longer only the api one
    fields["m-2-remove"] = "1"
    free = next(i for i in range(10) if fields.get(f"m-{i}-name") == "")
    fields.update(
        {f"m-{free}-name": "severity", f"m-{free}-op": "=~", f"m-{free}-value": "critical|warning"}
    )
    preview = w.post("/silences", {**fields, "action": "preview"})
    assert preview.status_code == 200 and "Would silence 2 firing alerts now" in preview.text
    assert w.runtime.silences.all() == []  # a preview saves nothing
    again = form_fields(preview.text)
    assert rows(again) == [
        ("alertname", "=", "HighErrorRate"),
        ("severity", "=~", "critical|warning"),
    ]

    r = w.post("/silences", {**again, "comment": "maintenance", "duration": "4h"})
    assert r.status_code == 303
    (silence,) = w.runtime.silences.all()
    assert [str(m) for m in silence.matchers] == [
        'alertname="HighErrorRate"',
        'severity=~"critical|warning"',
    ]
    assert silence.ends_at == w.harness.clock.now() + timedelta(hours=4)
    silenced = {v.alert.labels["service"] for v in w.runtime.views.open() if v.silenced_by}
    assert silenced == {"api", "db"}


def test_a_group_of_matchers_prefills_the_form(web):
    w = web()
    w.sign_in("ann")
    r = w.client.get(
        "/silences/new", params=[("matcher", 'alertname="A"'), ("matcher", 'service=~"x|y"')]
    )
    assert rows(form_fields(r.text)) == [("alertname", "=", "A"), ("service", "=~", "x|y")]
    assert "Would silence 0 firing alerts now" in r.text
    bad = w.client.get("/silences/new", params={"matcher": 'service="x'})
    assert bad.status_code == 400 and "unterminated" in bad.text


def test_form_problems_are_400_keep_what_was_typed_and_save_nothing(web):
    w = web()
    w.sign_in("ann")
    w.alert("HighErrorRate", service="api")
    fields = form_fields(w.client.get(f"/silences/new?alert={only_fingerprint(w)}").text)

    no_comment = w.post("/silences", fields)
    assert no_comment.status_code == 400
    assert 'id="problem-comment"' in no_comment.text and "Say why" in no_comment.text
    assert rows(form_fields(no_comment.text)) == rows(fields)
    assert check_page(no_comment.text) == []

    fields["comment"] = "typed at 3 a.m."
    blank = {k: ("" if k.endswith(("-name", "-value")) else v) for k, v in fields.items()}
    none = w.post("/silences", blank)
    assert none.status_code == 400 and "Add at least one matcher." in none.text
    assert "typed at 3 a.m.</textarea>" in none.text

    everything = {**blank, "m-0-name": "service", "m-0-op": "=~", "m-0-value": ".*"}
    r = w.post("/silences", everything)
    assert r.status_code == 400 and "would silence every alert" in r.text
    assert rows(form_fields(r.text)) == [("service", "=~", ".*")]

    regex = {**fields, "m-1-op": "=~", "m-1-value": "api("}
    r = w.post("/silences", regex)
    assert r.status_code == 400 and 'id="m-1-problem"' in r.text
    assert "invalid regular expression" in r.text
    assert rows(form_fields(r.text))[1] == ("service", "=~", "api(")

    # Ann is in Berlin (UTC+1): 12:30 there is 11:30 UTC, before the clock's 12:00 UTC.
    past = {**fields, "duration": "custom", "ends": "2026-03-01T12:30"}
    r = w.post("/silences", past)
    assert r.status_code == 400 and "The end is in the past" in r.text
    kept = form_fields(r.text)
    assert kept["ends"] == "2026-03-01T12:30" and kept["duration"] == "custom"
    assert w.runtime.silences.all() == []


def test_a_custom_end_is_read_in_the_viewers_zone(web):
    w = web()
    w.sign_in("ann")
    w.alert("HighErrorRate", service="api")
    fields = form_fields(w.client.get(f"/silences/new?alert={only_fingerprint(w)}").text)
    assert fields["ends"] == "2026-03-01T15:00"  # now + 2h, in Berlin
    fields.update(duration="custom", ends="2026-03-01T18:00", comment="until the evening")
    assert w.post("/silences", fields).status_code == 303
    (silence,) = w.runtime.silences.all()
    assert silence.ends_at == datetime(2026, 3, 1, 17, 0, tzinfo=UTC)


def test_expiring_needs_the_csrf_secret_and_ends_the_silence(web):
    w = web()
    w.sign_in("ann")
    now = w.harness.clock.now()
    silence_id = w.runtime.silences.save(
        parse_matchers('alertname="Noisy"'), now, now + timedelta(hours=2), "bob", "known"
    )
    w.alert("Noisy")
    page = w.client.get("/silences").text
    assert "Active (1)" in page and "<td>1 alert</td>" in page
    assert f'action="/silences/{silence_id}/expire"' in page
    assert 'data-confirm="Expire the silence on alertname=&#34;Noisy&#34;?' in page

    forged = w.client.post(f"/silences/{silence_id}/expire", data={}, follow_redirects=False)
    assert forged.status_code == 403
    wrong = w.client.post(
        f"/silences/{silence_id}/expire", data={"csrf": "guess"}, follow_redirects=False
    )
    assert wrong.status_code == 403
    assert w.runtime.silences.get(silence_id).state(w.harness.clock.now()) is SilenceState.ACTIVE
    assert w.runtime.views.open()[0].silenced_by == (silence_id,)

    r = w.post(f"/silences/{silence_id}/expire")
    assert r.status_code == 303 and r.headers["location"] == "/silences"
    assert w.runtime.silences.get(silence_id).state(w.harness.clock.now()) is SilenceState.EXPIRED
    assert w.runtime.views.open()[0].silenced_by == ()
    after = w.client.get("/silences").text
    assert "Active (0)" in after and "Expired in the last 7 days (1)" in after
    assert f'href="/silences/new?silence={silence_id}"' in after and ">Recreate</a>" in after
    assert f"/silences/{silence_id}/expire" not in after
    assert w.post(f"/silences/{silence_id}/expire").status_code == 409
    assert w.post("/silences/no-such-silence/expire").status_code == 404


def test_pending_silences_and_editing_one(web):
    w = web()
    w.sign_in("ann")
    w.alert("Noisy", service="api")
    now = w.harness.clock.now()
    silence_id = w.runtime.silences.save(
        parse_matchers('alertname="Noisy"'),
        now + timedelta(hours=1),
        now + timedelta(hours=3),
        "bob",
        "tonight's maintenance",
    )
    page = w.client.get("/silences").text
    assert "Pending, not started yet (1)" in page and "<td>1 alert</td>" in page

    form = w.client.get("/silences/new", params={"silence": silence_id})
    assert form.status_code == 200 and "<h1>Edit silence</h1>" in form.text
    fields = form_fields(form.text)
    assert fields["silence_id"] == silence_id and fields["comment"] == "tonight's maintenance"
    assert rows(fields) == [("alertname", "=", "Noisy")]
    assert fields["duration"] == "custom" and fields["ends"] == "2026-03-01T16:00"
    assert check_page(form.text) == []
    fields["duration"] = "4h"  # four hours from its start, which stays
    assert w.post("/silences", fields).status_code == 303
    (silence,) = w.runtime.silences.all()
    assert silence.id == silence_id and silence.created_by == "ann"
    assert silence.starts_at == now + timedelta(hours=1)
    assert silence.ends_at == now + timedelta(hours=5)


def test_the_new_silence_form_needs_a_known_alert(web):
    w = web()
    w.sign_in("ann")
    assert w.client.get("/silences/new?alert=0000000000000000").status_code == 404
    empty = w.client.get("/silences/new")
    assert empty.status_code == 200 and len(re.findall(r'name="m-\d+-name"', empty.text)) == 3
    assert check_page(empty.text) == []
