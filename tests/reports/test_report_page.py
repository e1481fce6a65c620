"""``/reports``: the charts (SVG), the tables in words, the volume, the alert review and the
CSV downloads, for ann (Europe/Berlin) over the history of ``conftest``.

In March (Berlin): MTTA 1m (#4) and 5m (#2): p50 1m, p90 5m. MTTR 10m, 15m, 20m: p50 15m,
p90 20m. Incidents: SEV1 2, SEV2 1, SEV3 1."""

from __future__ import annotations

import re

from tests.reports.conftest import History
from tests.web.accessibility import check_page

DAY = "from=2026-03-01&to=2026-03-01"


def page(history: History, query: str = DAY, status: int = 200) -> str:
    history.w.sign_in("ann")
    answer = history.w.client.get(f"/reports?{query}")
    assert answer.status_code == status, answer.text
    assert check_page(answer.text) == []
    return answer.text


def test_the_charts_and_tables_show_the_hand_computed_figures(history: History) -> None:
    html = page(history)
    assert len(re.findall(r'<svg class="rpt-chart"[^>]*role="img"', html)) == 3
    titles = re.findall(r"<rect class=\"rpt-bar [^\"]+\"[^>]*><title>([^<]+)</title>", html)
    assert titles == [
        "Mar 2026, p50: 1m",
        "Mar 2026, p90: 5m",
        "Mar 2026, p50: 15m",
        "Mar 2026, p90: 20m",
        "Mar 2026, SEV1: 2",
        "Mar 2026, SEV2: 1",
        "Mar 2026, SEV3: 1",
    ]
    assert "Time to acknowledge per month. Mar 2026: p50 1m 00s, p90 5m 00s." in html
    assert "Incidents per month by severity. Mar 2026: 4 (SEV1 2, SEV2 1, SEV3 1, SEV4 0)." in html
    row = html[html.index('<th scope="row">Mar 2026</th>') :]
    cells = re.findall(r"<td>([^<]*)</td>", row[: row.index("</tr>")])
    # incidents, then p50 and p90 of MTTD, MTTA, MTTM, MTTR
    assert cells == ["4", "2m 00s", "5m 00s", "1m 00s", "5m 00s", "10m 00s", "10m 00s",
                     "15m 00s", "20m 00s"]  # fmt: skip
    assert "<dd>0 of 2 required (0 %)</dd>" in html
    assert "<dd>4 (SEV1 2, SEV2 1, SEV3 1, SEV4 0)</dd>" in html
    review = html[html.index('id="h-alerts"') :]
    assert '<th scope="row">DiskFull</th>' in review
    assert '<th scope="row">HighLatency</th>' in review
    assert "<td>12m 00s</td>" in review  # DiskFull's median time to auto-resolve
    assert '<p class="empty">None.</p>' in review  # nothing fired 3 times
    assert 'href="/reports" aria-current="page">Reports</a>' in html


def test_the_csv_downloads(history: History) -> None:
    html = page(history)
    links = re.findall(r'href="(/reports/[a-z]+\.csv\?[^"]+)"', html)
    assert "/reports/incidents.csv?from=2026-03-01&amp;to=2026-03-01&amp;by=month" in links
    assert "/reports/alerts.csv?from=2026-03-01&amp;to=2026-03-01" in links
    answer = history.w.client.get("/reports/incidents.csv?from=2026-03-01&to=2026-03-01&by=team")
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.text.splitlines()[1] == (
        "platform,4,3,140,120,300,2,180,60,300,1,600,600,600,3,900,900,1200"
    )
    alerts = history.w.client.get(f"/reports/alerts.csv?{DAY}").text.splitlines()
    assert alerts[1:] == [
        "DiskFull,api,2,2,2,1,1,1,720,1,no",
        "HighLatency,web,1,1,1,0,0,1,1500,0,no",
    ]


def test_by_default_the_last_six_months(history: History) -> None:
    html = page(history, "")
    months = re.findall(r'text-anchor="middle">([A-Z][a-z]{2} \d{4})</text>', html)
    assert months[:6] == ["Oct 2025", "Nov 2025", "Dec 2025", "Jan 2026", "Feb 2026", "Mar 2026"]
    assert 'value="2025-10-01"' in html and 'value="2026-03-01"' in html


def test_a_team_and_a_service(history: History) -> None:
    html = page(history, f"{DAY}&service=web")
    assert "Mar 2026, SEV3: 1" in html and "SEV1: 2" not in html
    assert '<th scope="row">DiskFull</th>' not in html
    assert '<option value="platform" selected>platform</option>' in page(
        history, f"{DAY}&team=platform"
    )


def test_a_bad_date_is_named(history: History) -> None:
    history.w.sign_in("ann")
    answer = history.w.client.get("/reports?from=someday")
    assert answer.status_code == 400
    assert "from" in answer.text and "someday" in answer.text
    answer = history.w.client.get("/reports?from=2026-03-02&to=2026-03-01")
    assert answer.status_code == 400 and "is before the from date" in answer.text


def test_signed_out_people_are_sent_to_sign_in(history: History) -> None:
    history.w.client.cookies.clear()
    answer = history.w.client.get("/reports/alerts.csv", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
