"""/reports/oncall after the scenario (conftest), signed in as ann: the table with the flag,
the SVG chart, fairness, the CSV download, and the link from the on-call page.

The page shows the last 7 days up to now (Tue 3 Mar 12:00Z): from Tue 24 Feb 12:00Z ann is
on call until Mon 2 Mar 08:00Z (5 days 20 hours = 140 h), bob 28 h, cat all 168 h."""

from __future__ import annotations

import re
from typing import Any

from tests.web.accessibility import check_page
from tests.web.conftest import Web, quick_password_hashing  # noqa: F401 (autouse fixture)


def signed_in(scenario: Any, play: bool = True) -> Web:
    web = Web(scenario(play=play).h)
    assert web.sign_in("ann").status_code == 303
    return web


def _row(html: str, person: str) -> str:
    found = re.search(
        rf'<tr[^>]*>\s*<th scope="row"><a href="/people/{person}">.*?</tr>', html, re.S
    )
    assert found, html
    return found.group(0)


def _cells(row: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", row, re.S)]


def test_the_page_shows_each_person_and_flags_the_budget(scenario: Any) -> None:
    web = signed_in(scenario)
    page = web.client.get("/reports/oncall?days=7")
    assert page.status_code == 200, page.text
    html = page.text
    assert check_page(html) == []
    assert "<h1>On-call health</h1>" in html
    ann = _row(html, "ann")
    assert 'class="health-flagged"' in ann
    # zone, hours, shifts, pages, per shift (most), off shift, off hours, sleep, stretch, flag
    assert _cells(ann) == [
        "Asia/Tokyo",
        "140.0 h",
        "1",
        "3",
        "3.00 (3)",
        "0",
        "2",
        "1",
        "5d 20h",
        "over budget",
    ]
    bob = _row(html, "bob")
    assert "health-flagged" not in bob
    assert _cells(bob) == [
        "Europe/Berlin",
        "28.0 h",
        "1",
        "2",
        "1.00 (1)",
        "1",
        "1",
        "0",
        "1d 4h",
        "within",
    ]
    assert "Over the page budget:</strong> ann (3.00 pages a shift)." in html


def test_the_chart_is_an_accessible_svg(scenario: Any) -> None:
    html = signed_in(scenario).client.get("/reports/oncall?days=7").text
    svg = re.search(r"<svg class=\"health-chart\".*?</svg>", html, re.S)
    assert svg, html
    chart = svg.group(0)
    assert 'role="img"' in chart and 'aria-labelledby="health-chart-title"' in chart
    assert '<title id="health-chart-title">Hours on call and pages per person</title>' in chart
    assert (
        '<desc id="health-chart-desc">ann: 140.0 h on call, 3 pages, over the page budget; '
        "bob: 28.0 h on call, 2 pages; cat: 168.0 h on call, 0 pages.</desc>"
    ) in chart
    # The names take 64 units; each panel (720 - 64 - 56 - 64 - 150) / 2 = 193 (the pages
    # keep 150 for "3 pages, over budget"). cat has the most hours: all 193; ann 140/168.
    widths = re.findall(r'class="health-hours" x="64.0" y="[\d.]+" width="([\d.]+)"', chart)
    assert [float(w) for w in widths] == [160.83, 32.17, 193]
    pages = re.findall(r'class="health-pages" x="377.0" y="[\d.]+" width="([\d.]+)"', chart)
    assert [float(w) for w in pages] == [193, 128.67, 0]
    assert ">3 pages, over budget</text>" in chart and ">2 pages</text>" in chart
    assert 'class="health-row health-over"' in chart


def test_fairness_one_schedule_and_csv(scenario: Any) -> None:
    web = signed_in(scenario)
    html = web.client.get("/reports/oncall?days=7").text
    assert '<h2 id="h-fair-1">Fairness in primary</h2>' in html
    # 140 and 28 hours: shares 83% and 17% (1.67× and 0.33× an even share).
    assert '83% <span class="muted">(1.67× an even share)</span>' in html
    only = web.client.get("/reports/oncall?days=7&schedule=quiet")
    assert only.status_code == 200 and check_page(only.text) == []
    assert '<option value="quiet" selected>' in only.text
    rows = re.findall(r'<th scope="row"><a href="/people/(\w+)">', only.text)
    assert rows == ["cat"]
    download = web.client.get("/reports/oncall.csv?days=7&schedule=primary")
    assert download.status_code == 200
    assert download.headers["content-type"] == "text/csv; charset=utf-8"
    lines = download.text.splitlines()
    assert lines[1] == "ann,Asia/Tokyo,140.00,1,3,3,0,3.00,3,2,1,140.00,yes"
    assert len(lines) == 3  # the header, ann and bob


def test_bad_choices_and_an_empty_report(scenario: Any) -> None:
    web = signed_in(scenario, play=False)
    bad = web.client.get("/reports/oncall?days=5")
    assert bad.status_code == 400 and "must be 7, 30 or 90" in bad.text
    unknown = web.client.get("/reports/oncall?schedule=nightly")
    assert unknown.status_code == 400 and "no schedule" in unknown.text
    # The scenario's clock is at its start: nobody paged, but the rotation had people on call.
    html = web.client.get("/reports/oncall?days=30").text
    assert check_page(html) == [] and "Over the page budget" not in html


def test_the_oncall_page_links_here(scenario: Any) -> None:
    web = signed_in(scenario, play=False)
    assert '<a href="/reports/oncall">On-call health</a>' in web.client.get("/oncall").text
    web.client.cookies.clear()
    assert web.client.get("/reports/oncall", follow_redirects=False).status_code == 303
