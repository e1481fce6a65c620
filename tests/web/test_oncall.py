"""On-call pages: the schedule calendars (layers, final row, gaps) and their text, the
override form (prefilled from the calendar, problems kept), removing overrides, calendar
feed links, and escalation policies as a readable flow.

The clock starts on Sunday 2026-03-01 12:00 UTC (13:00 in Berlin). In the fixture's
configuration the weekly layer hands over at midnight (Berlin): ann's week until Monday
00:00, then bob's; cat's nights layer covers 20:00-23:00 every day.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

from tests.web.accessibility import check_page
from tests.web.conftest import CONFIG

#: A second schedule that covers only 14:00-18:00 (Berlin) each day: the rest is a gap.
GAPPY = CONFIG.replace(
    "schedules:\n",
    """schedules:
  - name: daytime
    time_zone: Europe/Berlin
    layers:
      - name: afternoons
        start: 2026-02-23T00:00:00
        rotation: {{type: daily}}
        restrictions: [{{type: daily, start: "14:00", duration: 4h}}]
        users: [bob]
""",
)

#: A second policy with everything a policy can say, and a receiver that uses it.
POLICIES = CONFIG.replace(
    "escalation_policies:\n",
    """escalation_policies:
  - name: follow
    description: After-hours follow-up
    team: platform
    owner: bob
    repeat: 2
    ack_timeout: 30m
    levels:
      - delay: 10m
        mode: round_robin
        targets: [{{user: bob}}, {{user: cat}}]
      - delay: 1h
        targets: [{{schedule: primary}}, {{slack_channel: ops}}]
""",
).replace(
    "receivers:\n",
    "receivers:\n  - name: late\n    escalation_policy: follow\n",
)


def words(page: str) -> str:
    """The page's text as a person reads it: no tags, single spaces."""
    text = re.sub(r"<[^>]+>", " ", page)
    return (
        re.sub(r"\s+", " ", html.unescape(text))
        .replace(" .", ".")
        .replace(" ,", ",")
        .replace(" :", ":")
        .replace(" )", ")")
    )


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def link(page: str, label: str) -> str:
    """The href of the link with aria-label ``label``."""
    found = re.search(r'<a href="([^"]+)" aria-label="' + re.escape(label) + '"', page)
    assert found, f"no link {label!r}"
    return html.unescape(found.group(1))


def value(page: str, field_id: str) -> str:
    found = re.search(r'id="' + field_id + r'"[^>]*value="([^"]*)"', page)
    assert found, f"no field {field_id!r}"
    return html.unescape(found.group(1))


# -- the calendar --------------------------------------------------------------------------


def test_the_calendar_shows_each_layer_and_who_is_finally_on_call(web):
    w = web()
    w.sign_in("ann")
    r = w.client.get("/oncall")
    assert r.status_code == 200
    page = r.text
    assert check_page(page) == []
    assert 'id="schedule-primary"' in page  # the home page links here
    assert "Times are in Europe/Berlin" in page
    # In words: who is on call now, and the next handoff.
    text = words(page)
    assert "ann is on call now, since Sat 28 Feb 23:00, until 20:00 (in 7h 00m)." in text
    assert "Next handoff: ann hands over to cat at 20:00 (in 7h 00m)." in text
    # The layers' own rows, and the final row, in the SVG's titles.
    assert "<title>bob (this layer): Mon 2 Mar 00:00 to Mon 9 Mar 00:00</title>" in page
    assert "<title>cat (this layer): Tue 3 Mar 20:00 to Tue 3 Mar 23:00</title>" in page
    assert re.search(r"<title>cat: Sun 1 Mar 20:00 to Sun 1 Mar 23:00 \(select", page)
    assert re.search(r"<title>bob: Mon 2 Mar 23:00 to Tue 3 Mar 20:00 \(select", page)
    assert re.search(r"<title>ann: Mon 9 Mar 23:00 to Tue 10 Mar 20:00 \(select", page)
    # The same in the table, for screen readers and phones.
    assert "cat Sun 1 Mar 20:00 Sun 1 Mar 23:00 3h 00m Override…" in text
    assert "bob Mon 2 Mar 23:00 Tue 3 Mar 20:00 21h 00m Override…" in text
    assert "No gaps in these 14 days." in text
    assert page.count('class="cal-day-name"') == 14
    assert '<text x="116.0" y="15" class="cal-day-name">Sun</text>' in page
    assert 'class="cal-day-date">14 Mar</text>' in page


def test_times_are_in_the_viewers_zone_and_the_length_is_a_choice(web):
    w = web()
    w.sign_in("bob")  # bob has no time zone of his own: UTC
    page = w.client.get("/oncall?days=7").text
    assert "Times are in UTC" in page
    assert "cat Sun 1 Mar 19:00 Sun 1 Mar 22:00" in words(page)
    assert page.count('class="cal-day-name"') == 7
    assert '<a href="/oncall?days=7" aria-current="true">7 days</a>' in page
    assert w.client.get("/oncall?days=28").text.count('class="cal-day-name"') == 28
    wrong = w.client.get("/oncall?days=5")
    assert wrong.status_code == 400 and "must be 7, 14 or 28" in wrong.text


def test_gaps_are_hatched_say_gap_and_are_listed(web):
    w = web(config=GAPPY)
    w.sign_in("ann")
    page = w.client.get("/oncall").text
    assert check_page(page) == []
    section = page[page.index('id="schedule-daytime"') : page.index('id="schedule-primary"')]
    text = words(section)
    assert "Nobody is on call now (gap)." in text
    assert "Next: bob comes on call at 14:00 (in 1h 00m)." in text
    # In the drawing: a pattern, the word, and a title.
    assert '<g class="cal-block gap">' in section
    assert 'fill="url(#gap-hatch-1)"' in section and '<pattern id="gap-hatch-1"' in section
    assert 'class="cal-gap-word">gap</text>' in section
    assert re.search(r"<title>Gap: nobody, Sun 1 Mar 18:00 to Mon 2 Mar 14:00 \(select", section)
    # In text: the table and the list below it.
    assert "Nobody (gap) Sun 1 Mar 18:00 Mon 2 Mar 14:00 20h 00m Cover…" in text
    assert "Gap: nobody from Sun 1 Mar 18:00 to Mon 2 Mar 14:00 (20h 00m). Cover this gap" in text
    # primary has no gaps: its own section says so.
    assert "No gaps in these 14 days." in words(page[page.index('id="schedule-primary"') :])


# -- overrides -----------------------------------------------------------------------------


def test_an_override_made_from_the_calendar_changes_who_is_on_call(web):
    w = web()
    w.sign_in("ann")
    assert w.runtime.schedules.oncall("primary", at("2026-03-01T19:30:00")) == "cat"
    calendar = w.client.get("/oncall").text
    href = link(calendar, "Override cat, Sun 1 Mar 20:00 to Sun 1 Mar 23:00")
    form = w.client.get(href)
    assert form.status_code == 200
    assert check_page(form.text) == []
    # Prefilled in ann's zone (Berlin), ann herself offered as who takes over.
    assert value(form.text, "start") == "2026-03-01T20:00"
    assert value(form.text, "end") == "2026-03-01T23:00"
    assert '<option value="ann" selected>' in form.text
    assert "cat is on call from Sun 1 Mar 20:00 to Sun 1 Mar 23:00: the override replaces cat" in (
        words(form.text)
    )
    made = w.post(
        "/oncall/primary/overrides",
        {"user": "bob", "start": "2026-03-01T20:00", "end": "2026-03-01T23:00", "note": "cat ill"},
    )
    assert made.status_code == 303 and made.headers["location"] == "/oncall#schedule-primary"
    assert w.runtime.schedules.oncall("primary", at("2026-03-01T19:30:00")) == "bob"
    assert w.runtime.schedules.oncall("primary", at("2026-03-01T22:30:00")) == "ann"
    [stored] = w.runtime.schedules.overrides("primary")
    assert (stored.start, stored.end, stored.created_by, stored.note) == (
        at("2026-03-01T19:00:00"),
        at("2026-03-01T22:00:00"),
        "ann",
        "cat ill",
    )
    page = w.client.get("/oncall").text
    assert "<title>bob (override): Sun 1 Mar 20:00 to Sun 1 Mar 23:00</title>" in page
    assert re.search(r"<title>bob: Sun 1 Mar 20:00 to Sun 1 Mar 23:00 \(select", page)
    assert "Next handoff: ann hands over to bob at 20:00" in words(page)
    assert "bob from Sun 1 Mar 20:00 to Sun 1 Mar 23:00 · made by ann · cat ill" in words(page)


def test_a_gap_link_prefills_the_form_in_the_viewers_zone(web):
    w = web(config=GAPPY)
    w.sign_in("bob")  # UTC
    page = w.client.get("/oncall").text
    found = re.search(r'<a href="([^"]+)">Cover this gap</a>', page)
    assert found
    form = w.client.get(html.unescape(found.group(1))).text
    # The day starts at midnight UTC for bob; daytime's first shift is 14:00 in Berlin.
    assert value(form, "start") == "2026-03-01T00:00"
    assert value(form, "end") == "2026-03-01T13:00"
    assert '<option value="bob" selected>' in form
    assert "Nobody (gap) from Sun 1 Mar 00:00 to Sun 1 Mar 13:00." in words(form)


def test_bad_override_input_is_a_400_that_keeps_what_was_typed(web):
    w = web()
    w.sign_in("ann")
    backwards = w.post(
        "/oncall/primary/overrides",
        {"user": "bob", "start": "2026-03-02T10:00", "end": "2026-03-02T09:00", "note": "swap"},
    )
    assert backwards.status_code == 400
    assert check_page(backwards.text) == []
    assert '<p id="end-problem" class="problem">must be after start</p>' in backwards.text
    assert 'aria-invalid="true" aria-describedby="end-problem"' in backwards.text
    assert value(backwards.text, "start") == "2026-03-02T10:00"
    assert value(backwards.text, "end") == "2026-03-02T09:00"
    assert value(backwards.text, "note") == "swap"
    assert '<option value="bob" selected>' in backwards.text

    stranger = w.post(
        "/oncall/primary/overrides",
        {"user": "zed", "start": "2026-03-02T10:00", "end": "2026-03-02T12:00"},
    )
    assert stranger.status_code == 400
    assert "unknown user &#39;zed&#39;" in stranger.text
    assert '<option value="zed" selected>zed (not a known user)</option>' in stranger.text

    garbled = w.post("/oncall/primary/overrides", {"user": "bob", "start": "tomorrow", "end": ""})
    assert garbled.status_code == 400
    assert "Start: is not a date and time" in words(garbled.text)
    assert "End: is required" in words(garbled.text)
    assert value(garbled.text, "start") == "tomorrow"

    past = w.post(
        "/oncall/primary/overrides",
        {"user": "bob", "start": "2026-03-01T08:00", "end": "2026-03-01T09:00"},
    )
    assert past.status_code == 400 and "must be in the future" in past.text
    assert w.runtime.schedules.overrides("primary") == []
    assert w.client.get("/oncall/nowhere/override").status_code == 404


def test_removing_an_override_needs_the_csrf_secret(web):
    w = web()
    w.sign_in("ann")
    made = w.runtime.schedules.add_override(
        "primary", "bob", at("2026-03-01T19:00:00"), at("2026-03-01T22:00:00"), "ann"
    )
    page = w.client.get("/oncall").text
    assert f'action="/oncall/overrides/{made.id}/remove"' in page
    assert "Remove override: bob, Sun 1 Mar 20:00</button>" in page
    path = f"/oncall/overrides/{made.id}/remove"
    refused = w.client.post(path, data={"csrf": "wrong"}, follow_redirects=False)
    assert refused.status_code == 403
    assert w.client.post(path, data={}, follow_redirects=False).status_code == 403
    assert w.runtime.schedules.oncall("primary", at("2026-03-01T19:30:00")) == "bob"
    removed = w.post(path)
    assert removed.status_code == 303 and removed.headers["location"] == "/oncall#schedule-primary"
    assert w.runtime.schedules.overrides("primary") == []
    assert w.runtime.schedules.oncall("primary", at("2026-03-01T19:30:00")) == "cat"
    assert "No overrides now or ahead." in w.client.get("/oncall").text
    assert w.post(path).status_code == 404


# -- calendar feeds ------------------------------------------------------------------------


def test_feed_links_and_a_new_personal_link_that_works(web):
    w = web()
    w.sign_in("ann")
    page = w.client.get("/oncall").text
    assert '<label for="feed-1">Feed of primary' in page
    assert value(page, "feed-1").endswith("/ical/schedules/primary.ics")
    assert '<button type="submit">New personal calendar link</button>' in page

    made = w.post("/oncall/calendar-link")
    assert made.status_code == 200
    assert check_page(made.text) == []
    assert "shown only this once" in made.text
    personal = value(made.text, "feed-personal")
    assert re.search(r"/ical/users/ann\.ics\?token=[\w-]+$", personal)
    feed = w.client.get(personal[personal.index("/ical/") :])
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    assert "BEGIN:VCALENDAR" in feed.text and "ann" in feed.text
    schedule = value(made.text, "feed-1")
    assert "/ical/schedules/primary.ics?token=" in schedule
    assert w.client.get(schedule[schedule.index("/ical/") :]).status_code == 200

    again = value(w.post("/oncall/calendar-link").text, "feed-personal")
    assert again != personal
    assert w.client.get(personal[personal.index("/ical/") :]).status_code == 404
    assert w.client.get(again[again.index("/ical/") :]).status_code == 200


def test_a_new_calendar_link_needs_the_csrf_secret(web):
    w = web()
    w.sign_in("ann")
    r = w.client.post("/oncall/calendar-link", data={}, follow_redirects=False)
    assert r.status_code == 403 and "token=" not in r.text


# -- escalation policies -------------------------------------------------------------------


def test_policies_read_as_a_flow(web):
    w = web(config=POLICIES)
    w.sign_in("ann")
    assert 'href="/oncall/policies"' in w.client.get("/oncall").text
    page = w.client.get("/oncall/policies")
    assert page.status_code == 200
    assert check_page(page.text) == []
    platform = words(page.text[page.text.index('id="policy-platform"') :])
    assert "Team platform (ann, bob)" in platform
    assert "Owner none (the admins stand in)" in platform
    assert "Used by receivers pager" in platform
    assert (
        "Level 1 — page whoever is on call for primary (now: ann). "
        "↓ If nobody acknowledges within 5 min: Level 2. "
        "Level 2 — page bob. "
        "Then there are no more levels"
    ) in platform
    assert "Tocsin pages the admins: ann." in platform

    follow = words(
        page.text[page.text.index('id="policy-follow"') : page.text.index('id="policy-platform"')]
    )
    assert "After-hours follow-up" in follow
    assert "Owner bob" in follow and "Repeats 2 more times after the first pass" in follow
    assert "Acknowledgement timeout 30 min" in follow and "Used by receivers late" in follow
    assert (
        "Level 1 — one at a time, in turn (round robin): page bob or page cat. "
        "↓ If nobody acknowledges within 10 min: Level 2. "
        "Level 2 — page whoever is on call for primary (now: ann) and post to Slack channel #ops. "
        "↺ If nobody acknowledges within 1 h: back to Level 1, 2 more times in all. "
        "After the last pass there are no more levels"
    ) in follow
    assert "Tocsin pages the owner, bob." in follow
    assert "within 30 min, it is triggered again and paging starts over from Level 1." in follow
    assert '<a href="/oncall#schedule-primary">primary</a>' in page.text


def test_the_policy_says_who_a_schedule_reaches_now(web):
    w = web(
        config=GAPPY.replace("targets: [{{schedule: primary}}]", "targets: [{{schedule: daytime}}]")
    )
    w.sign_in("ann")
    assert "page whoever is on call for daytime (now: nobody, a gap)" in words(
        w.client.get("/oncall/policies").text
    )
    w.harness.clock.advance(timedelta(hours=1))  # 14:00 in Berlin: bob's afternoon
    assert "page whoever is on call for daytime (now: bob)" in words(
        w.client.get("/oncall/policies").text
    )
