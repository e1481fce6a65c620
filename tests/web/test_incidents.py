"""The incident list: filters (status, severity, service, team, time, search) that narrow it,
paging, declaring an incident from it, and its accessibility; plus the accessibility
checker the web tests share."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tests.web.accessibility import check_page


def ids(html: str) -> list[int]:
    """The incident numbers in the list's table, in order."""
    body = html.split('id="incident-rows"', 1)[1].split("</tbody>", 1)[0]
    return [int(n) for n in re.findall(r'<td><a href="/incidents/(\d+)">#', body)]


def declare(w, title, severity="SEV3", **kw):
    return w.runtime.incidents.declare(title=title, severity=severity, actor="ann", **kw).id


def several(w):
    """Five incidents, varied: (id: severity, service, team, status)."""
    a = declare(w, "Checkout errors", "SEV1", service="api", team="platform")  # 1: triggered
    b = declare(w, "Disk nearly full", "SEV2", service="db")  # 2: acknowledged
    c = declare(w, "Slow search", "SEV3", service="api", summary="Latency after the DEPLOY")
    d = declare(w, "Backups late", "SEV4", service="db", team="platform")  # 4: resolved
    e = declare(w, "Login failures", "SEV1", service="auth")  # 5: mitigated
    w.runtime.incidents.acknowledge(b, "bob")
    w.runtime.incidents.resolve(d, "bob")
    w.runtime.incidents.mitigate(e, "ann")
    return a, b, c, d, e


def test_the_list_shows_every_incident_newest_first_with_its_facts(web):
    w = web()
    w.sign_in("ann")
    assert "No incidents yet." in w.client.get("/incidents").text
    several(w)
    w.harness.clock.advance(timedelta(hours=2, minutes=5))
    text = w.client.get("/incidents").text
    assert ids(text) == [5, 4, 3, 2, 1]
    row = text.split('<a href="/incidents/2">#2</a>', 1)[1].split("</tr>", 1)[0]
    assert 'class="badge sev-SEV2">SEV2<' in row and 'status-acknowledged">Acknowledged<' in row
    assert "Disk nearly full" in row and ">db<" in row and ">bob<" in row  # acked by
    assert ">13:00</time>" in row and "(2h 05m ago)" in row  # opened, in Berlin time
    assert "2h 05m <span" in row and "so far" in row  # open for
    resolved = text.split('<a href="/incidents/4">#4</a>', 1)[1].split("</tr>", 1)[0]
    assert "<td>0s</td>" in resolved  # was open for no time at all
    assert '<tbody id="incident-rows" data-live>' in text


def test_each_filter_narrows_the_list(web):
    w = web()
    w.sign_in("ann")
    several(w)

    def shown(query):
        response = w.client.get("/incidents?" + query)
        assert response.status_code == 200, response.text
        return ids(response.text)

    assert shown("status=triggered") == [3, 1]
    assert shown("status=acknowledged&status=mitigated") == [5, 2]
    assert shown("severity=SEV1") == [5, 1]
    assert shown("severity=SEV2&severity=sev4") == [4, 2]
    assert shown("service=db") == [4, 2]
    assert shown("team=platform") == [4, 1]
    assert shown("q=deploy") == [3]  # the summary, whatever the case
    assert shown("q=FAIL") == [5]
    assert shown("q=nothing-like-it") == []
    # Filters together: all of them must hold.
    assert shown("severity=SEV1&status=triggered&status=acknowledged") == [1]
    assert shown("service=api&status=resolved") == []
    text = w.client.get("/incidents?status=resolved&service=db&q=backups").text
    assert "No incidents match." not in text and ids(text) == [4]
    # The form shows what was asked (a bookmarked URL opens as it was left).
    assert 'id="f-status-resolved" name="status" value="resolved" checked' in text
    assert 'id="f-service" name="service" list="known-services" value="db"' in text
    assert 'id="f-q" name="q" value="backups"' in text
    assert "Clear filters" in text


def test_time_ranges_and_dates_in_the_viewers_zone(web):
    w = web()
    clock = w.harness.clock
    declare(w, "Long ago")  # 1: Sunday 2026-03-01 12:00 UTC
    clock.set(datetime(2026, 3, 20, 23, 30, tzinfo=UTC))
    declare(w, "Late at night")  # 2: Saturday 21 March 00:30 in Berlin
    clock.set(datetime(2026, 3, 25, 12, 0, tzinfo=UTC))
    declare(w, "This week")  # 3
    clock.set(datetime(2026, 3, 27, 10, 0, tzinfo=UTC))
    declare(w, "Today")  # 4
    clock.set(datetime(2026, 3, 27, 12, 0, tzinfo=UTC))
    w.sign_in("ann")  # ann lives in Europe/Berlin

    def shown(query):
        return ids(w.client.get("/incidents?" + query).text)

    assert shown("range=24h") == [4]
    assert shown("range=7d") == [4, 3, 2]
    assert shown("range=30d") == [4, 3, 2, 1]
    assert shown("range=all") == shown("") == [4, 3, 2, 1]
    # Whole days in Berlin: #2 opened on the 21st there, though the 20th in UTC.
    assert shown("from=2026-03-21&to=2026-03-21") == [2]
    assert shown("from=2026-03-20&to=2026-03-20") == []
    assert shown("to=2026-03-21") == [2, 1]
    assert shown("from=2026-03-22") == [4, 3]
    # Dates take the place of the range.
    assert shown("range=24h&from=2026-03-01&to=2026-03-01") == [1]


def test_filters_that_make_no_sense_are_a_400_page_naming_them(web):
    w = web()
    w.sign_in("ann")
    for query, problem in [
        ("status=sleeping", "&#39;sleeping&#39; is not a status"),
        ("severity=SEV9", "is not a severity"),
        ("range=1y", "is not one of 24h, 7d, 30d, all"),
        ("from=yesterday", "is not a date (YYYY-MM-DD)"),
        ("from=2026-03-05&to=2026-03-01", "is before the from date"),
        ("to=9999-12-31", "is out of range"),
        ("before=abc", "is not an incident number"),
        ("before=99999999999999999999999", "is not an incident number"),
    ]:
        response = w.client.get("/incidents?" + query)
        assert response.status_code == 400, query
        assert problem in response.text, query


def test_paging_fifty_at_a_time_with_an_older_link_that_keeps_the_filters(web):
    w = web()
    w.sign_in("ann")
    for n in range(1, 56):
        declare(w, f"Incident {n}", "SEV1" if n % 2 else "SEV2")
    first = w.client.get("/incidents").text
    assert ids(first) == list(range(55, 5, -1))
    older = re.search(r'<a href="([^"]+)" rel="next">Older incidents</a>', first)
    assert older and older.group(1) == "/incidents?before=6"
    second = w.client.get(older.group(1)).text
    assert ids(second) == [5, 4, 3, 2, 1]
    assert "Older incidents" not in second and "Newest incidents" in second
    # With a filter: 28 SEV1 incidents, the odd ones: one page, no older link.
    sev1 = w.client.get("/incidents?severity=SEV1").text
    assert ids(sev1) == list(range(55, 0, -2)) and "Older incidents" not in sev1
    # Paging keeps the filters in the link.
    for n in range(56, 80):
        declare(w, f"Incident {n}", "SEV1")
    sev1 = w.client.get("/incidents?severity=SEV1").text
    assert len(ids(sev1)) == 50
    link = re.search(r'<a href="([^"]+)" rel="next">', sev1)
    assert (
        link
        and link.group(1).replace("&amp;", "&")
        == f"/incidents?severity=SEV1&before={ids(sev1)[-1]}"
    )
    rest = ids(w.client.get(link.group(1).replace("&amp;", "&")).text)
    assert rest == [n for n in range(ids(sev1)[-1] - 1, 0, -1) if n % 2 or n >= 56]


def test_declaring_an_incident_goes_to_its_page(web):
    w = web()
    w.sign_in("ann")
    response = w.post(
        "/incidents",
        {
            "title": "Payments are failing",
            "severity": "SEV1",
            "summary": "Card payments time out",
            "service": "payments",
            "policy": "",
        },
    )
    assert response.status_code == 303 and response.headers["location"] == "/incidents/1"
    view = w.runtime.incidents.view(1)
    assert view.incident.title == "Payments are failing"
    assert view.incident.severity.value == "SEV1" and view.incident.service == "payments"
    assert view.incident.summary == "Card payments time out"
    assert view.timeline[0].actor == "ann" and "Opened by hand" in view.timeline[0].text
    assert "nobody is paged" in view.timeline[-1].text
    page = w.client.get("/incidents/1").text
    assert "Payments are failing" in page and "Card payments time out" in page


def test_declaring_with_a_policy_pages_it(web):
    w = web()
    w.sign_in("ann")
    response = w.post("/incidents", {"title": "Site down", "severity": "2", "policy": "platform"})
    assert response.status_code == 303
    w.harness.tick()
    view = w.runtime.incidents.view(1)
    assert view.incident.policy == "platform" and view.incident.severity.value == "SEV2"
    assert any(e.kind == "escalated" for e in view.timeline)


def test_a_declaration_with_problems_comes_back_with_what_was_typed(web):
    w = web()
    w.sign_in("ann")
    response = w.post(
        "/incidents", {"title": "  ", "severity": "SEV1", "summary": "Kept <as typed>"}
    )
    assert response.status_code == 400
    text = response.text
    assert '<details class="panel declare" id="declare" open>' in text
    assert 'id="declare-title-problem">must not be empty<' in text
    assert "Kept &lt;as typed&gt;</textarea>" in text
    assert '<option value="SEV1" selected>' in text
    assert w.runtime.incidents.incidents() == []
    bad = w.post("/incidents", {"title": "Real", "severity": "SEV9"})
    assert bad.status_code == 400
    assert "&#39;SEV9&#39; is not a severity: use SEV1, SEV2, SEV3 or SEV4" in bad.text
    assert 'value="Real"' in bad.text
    assert check_page(bad.text) == []
    unknown = w.post("/incidents", {"title": "Real", "severity": "SEV2", "policy": "nope"})
    assert unknown.status_code == 400 and "no escalation policy &#39;nope&#39;" in unknown.text
    assert w.runtime.incidents.incidents() == []


def test_declaring_needs_the_forms_secret(web):
    w = web()
    w.sign_in("ann")
    response = w.client.post(
        "/incidents", data={"title": "Forged", "severity": "SEV1"}, follow_redirects=False
    )
    assert response.status_code == 403
    assert w.runtime.incidents.incidents() == []


def test_the_list_needs_a_signed_in_person(web):
    w = web()
    response = w.client.get("/incidents?status=triggered", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/incidents%3Fstatus%3Dtriggered"


def test_the_list_is_accessible(web):
    w = web()
    w.sign_in("ann")
    several(w)
    for query in ("", "?status=triggered&severity=SEV1&q=x", "?range=7d"):
        text = w.client.get("/incidents" + query).text
        assert check_page(text) == [], query


def test_the_accessibility_checker_finds_what_it_is_for():
    good = """<h1>T</h1><h2>S</h2><label for="a">A</label><input id="a">
    <label>B <select name="b"></select></label><textarea aria-label="C"></textarea>
    <input type="hidden" name="csrf"><button>Go</button><h3>x</h3><h2>y</h2>
    <table><tr><th scope="col">H</th></tr></table><a href="/" aria-label="Home"></a>"""
    assert check_page(good) == []
    bad = """<h2>First</h2><h1>T</h1><h1>U</h1><h4>Deep</h4>
    <input id="x" name="q"><label for="y">Y</label><select id="y"></select>
    <select id="y"></select><textarea name="t"></textarea><button></button>
    <a href="/x"> </a><table><tr><th>H</th></tr></table>"""
    problems = check_page(bad)
    assert '<input name="q" id="x"> has no label (label for= its id, or aria-label)' in problems
    assert '<textarea name="t"> has no label (label for= its id, or aria-label)' in problems
    assert "<button> has no text" in problems and '<a href="/x"> has no text' in problems
    assert "<th> has no scope" in problems and 'id="y" is used 2 times' in problems
    assert "the page has 2 h1 headings (it needs exactly one)" in problems
    assert "the first heading is h2, not h1" in problems
    assert "heading h4 follows h1: a level is skipped" in problems


def test_search_takes_percent_and_underscore_as_typed(web):
    w = web()
    w.sign_in("ann")
    for title in ("CPU at 100% on db-1", "disk_full on db-2", "diskXfull on db-3"):
        w.runtime.incidents.declare(title=title, severity="SEV3", actor="ann")
    text = w.client.get("/incidents", params={"q": "disk_full"}).text
    assert "disk_full on db-2" in text and "diskXfull" not in text
    text = w.client.get("/incidents", params={"q": "100%"}).text
    assert "CPU at 100% on db-1" in text and "disk_full" not in text
