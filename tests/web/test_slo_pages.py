"""SLO reports: the list of SLOs and each SLO's page (budget, alert windows, burn-down chart),
with events posted through the API so every figure is known by hand. The clock is Sunday
2026-03-01 12:00 UTC; ann reads times in Berlin (UTC+1)."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest

from tests.web.accessibility import check_page

SLOS = """
slos:
  - service: batch
    name: jobs
    objective: 99.9
    window: 30d
    description: Nightly batch jobs finish without errors.
    sli: {builtin: {}}
  - service: checkout
    name: requests
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(errors[{{.window}}]))
        total_query: sum(rate(requests[{{.window}}]))
  - service: billing
    name: invoices
    objective: 99
    window: month
    sli: {builtin: {}}
"""

UNREADABLE = "unavailable: this SLO is read from Prometheus: set prometheus.url in tocsin.yaml"


def events(w, slo, good, total, ago=None):
    body = {"good": good, "total": total}
    if ago is not None:
        body["at"] = (w.harness.clock.now() - ago).isoformat()
    answer = w.client.post(
        f"/api/slos/{slo}/events",
        json=body,
        headers=w.harness.api,
    )
    assert answer.status_code == 201, answer.text


def signed_in(web):
    w = web(SLOS)
    w.sign_in("ann")
    return w


def ninety_percent_spent(w):
    """10 bad of 11,000 at 99.9 %: 0.0909 % errors, 90.9 % of the budget; the 10 bad two
    minutes ago (in the last hour, at exactly 1x), the 1,000 good in the minute of now."""
    events(w, "batch-jobs", 9990, 10000, ago=timedelta(minutes=2))
    events(w, "batch-jobs", 1000, 1000)


def row(html, slo_id):
    """The list's table row that links to this SLO."""
    link = html.index(f'<a href="/slos/{slo_id}">')
    return html[html.rindex("<tr", 0, link) : html.index("</tr>", link)]


def cells(html):
    found = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", html, re.S)
    return [unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in found]


def fact(html, name):
    """The <dd> after <dt>name</dt>, without tags."""
    found = re.search(rf"<dt>{re.escape(name)}</dt>\s*<dd>(.*?)</dd>", html, re.S)
    assert found, name
    return unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip()


def polyline(html):
    found = re.search(r'<polyline class="slo-burn" points="([^"]*)"', html)
    assert found, "no burn-down polyline"
    return [tuple(float(n) for n in p.split(",")) for p in found.group(1).split()]


def test_without_slos_the_list_says_how_to_add_them(web):
    w = web()
    w.sign_in("ann")
    text = w.client.get("/slos").text
    assert "No SLOs are configured" in text and "<code>slos:</code> in tocsin.yaml" in text
    assert "<table" not in text
    assert '<a href="/slos" aria-current="page">SLOs</a>' in text  # in the main navigation
    assert check_page(text) == []


def test_the_list_shows_every_slo_and_where_it_stands(web):
    w = signed_in(web)
    ninety_percent_spent(w)
    answer = w.client.get("/slos")
    assert answer.status_code == 200
    text = answer.text
    # 99.9 % over 30 days: 43.2 min of budget, 9.09 % of it (3.93 min) left; SLI 10,990 / 11,000.
    assert cells(row(text, "batch-jobs")) == [
        "batch",
        "jobs",
        "99.9 %",
        "30d",
        "99.909 %",
        "9.1 % (3.9 min of 43.2 min)",
        "1.00×",
        "none",
        "healthy",
    ]
    # No events yet this month: nothing spent, no burn rate.
    assert cells(row(text, "billing-invoices")) == [
        "billing",
        "invoices",
        "99 %",
        "month",
        "no events",
        # 1 % of March's 31 days: 446.4 minutes.
        "100.0 % (446.4 min of 446.4 min)",
        "no events",
        "none",
        "healthy",
    ]
    assert cells(row(text, "checkout-requests")) == [
        "checkout",
        "requests",
        "99.9 %",
        "30d",
        UNREADABLE,
        "unavailable",
    ]
    assert check_page(text) == []


def test_the_page_shows_budget_period_and_windows(web):
    w = signed_in(web)
    ninety_percent_spent(w)
    text = w.client.get("/slos/batch-jobs").text
    assert re.search(r"<h1>batch .*jobs .*slo-healthy\">healthy</span></h1>", text)
    assert "Nightly batch jobs finish without errors." in text
    assert "Objective <strong>99.9 %</strong> over <strong>30d</strong>" in text
    assert fact(text, "SLI now") == "99.909 % (10,990 good of 11,000 events)"
    assert fact(text, "Budget left") == "9.1 % (90.9 % used)"
    assert fact(text, "In minutes") == "3.9 min of 43.2 min"
    assert fact(text, "Burn rate (1h)") == "1.00×"
    # At 1x a full budget lasts 30 days; 9.09 % of it lasts 2.73 days.
    assert fact(text, "Runs out") == "in 2d 17h at the last hour's rate"
    assert fact(text, "Period") == "Fri 30 Jan 13:00 – Sun 1 Mar 13:00"
    assert fact(text, "Alerts firing") == "none"
    table = text[text.index('<table class="slo-windows">') : text.index("</table>")]
    rows = [cells(r) for r in re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]]
    assert rows == [
        ["page", "1h", "5m", "14.4", "1.00×", "1.00×", "no"],
        ["page", "6h", "30m", "6", "1.00×", "1.00×", "no"],
        ["ticket", "1d", "2h", "3", "1.00×", "1.00×", "no"],
        ["ticket", "3d", "6h", "1", "1.00×", "1.00×", "no"],
    ]
    assert check_page(text) == []


def test_the_burn_down_chart_ends_at_the_budget_left(web):
    w = signed_in(web)
    ninety_percent_spent(w)
    text = w.client.get("/slos/batch-jobs").text
    svg = text[text.index("<svg") : text.index("</svg>")]
    assert 'role="img"' in svg
    assert 'aria-label="Error budget left over the period of batch-jobs"' in svg
    assert "<title>Error budget left over the period of batch-jobs</title>" in svg
    assert re.search(r'<desc id="slo-chart-desc">[^<]*to 9\.1 % now', svg)
    assert 'aria-describedby="slo-chart-desc"' in svg
    points = polyline(svg)
    # Steps of 30 days / 120 = 360 min from the start to now (the minute being written
    # joins the last step): 120 steps after the start's 100 %.
    assert len(points) == 121 == len(w.runtime.slos.burn_down("batch-jobs").points)
    # The plot runs from x 56 to 696 and from y 12 (100 %) to 248 (0 %).
    assert points[0] == (56.0, 12.0)
    assert points[1] == (pytest.approx(56 + 640 / 120, abs=0.01), 12.0)
    # Every bad event is in the step ending now; 9.09 % left is 236 x 90.91 % below the top.
    assert all(y == 12.0 for _, y in points[:-1])
    assert points[-1] == (696.0, 226.55)
    assert '<line class="slo-even" x1="56.0" y1="12.0" x2="696.0" y2="248.0"/>' in svg
    assert '<line class="slo-zero" x1="56.0" y1="248.0" x2="696.0" y2="248.0"/>' in svg
    for label in ("0 %", "50 %", "100 %", "31 Jan", "28 Feb"):
        assert f">{label}</text>" in svg
    assert "slo-overspent" not in svg and "slo-now" not in svg


def test_a_fast_burn_fires_and_says_burning(web):
    w = signed_in(web)
    events(w, "batch-jobs", 1_000_000, 1_000_000, ago=timedelta(days=2))
    for minutes in (50, 30, 3):
        events(w, "batch-jobs", 980, 1000, ago=timedelta(minutes=minutes))
    text = w.client.get("/slos/batch-jobs").text
    assert 'slo-burning">burning</span></h1>' in text
    # 60 bad of 1,003,000: 5.98 % of the budget spent; the last hour at 2 % errors burns 20x.
    assert fact(text, "Budget left") == "94.0 % (6.0 % used)"
    assert fact(text, "Burn rate (1h)") == "20.00×"
    # 94.02 % of 30 days at 20x: 1.41 days.
    assert fact(text, "Runs out") == "in 1d 9h at the last hour's rate"
    assert fact(text, "Alerts firing") == "page, ticket"
    table = text[text.index('<table class="slo-windows">') : text.index("</table>")]
    rows = [cells(r) for r in re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]]
    assert rows == [
        ["page", "1h", "5m", "14.4", "20.00×", "20.00×", "fires"],
        ["page", "6h", "30m", "6", "20.00×", "20.00×", "fires"],
        ["ticket", "1d", "2h", "3", "20.00×", "20.00×", "fires"],
        # Three days hold the million good events: 60 / 1,003,000 / 0.001 = 0.06x.
        ["ticket", "3d", "6h", "1", "0.06×", "20.00×", "no"],
    ]
    listed = cells(row(w.client.get("/slos").text, "batch-jobs"))
    assert listed[-3:] == ["20.00×", "page, ticket", "burning"]


def test_an_overspent_budget_is_exhausted_and_drawn_below_zero(web):
    w = signed_in(web)
    # 0.2 % errors at 99.9 %: twice the budget spent, -100 % left.
    events(w, "batch-jobs", 998, 1000, ago=timedelta(days=2))
    text = w.client.get("/slos/batch-jobs").text
    assert 'slo-exhausted">exhausted</span></h1>' in text
    assert fact(text, "Budget left") == "-100.0 % (200.0 % used)"
    assert fact(text, "In minutes") == "-43.2 min of 43.2 min"
    assert fact(text, "Burn rate (1h)") == "no events"
    assert fact(text, "Runs out") == "already spent"
    svg = text[text.index("<svg") : text.index("</svg>")]
    # The axis runs from -100 % (bottom, 248) to 100 % (top, 12): 0 % half way, at 130.
    assert '<line class="slo-zero" x1="56.0" y1="130.0" x2="696.0" y2="130.0"/>' in svg
    assert 'class="slo-overspent"' in svg and ">-100 %</text>" in svg
    assert polyline(svg)[-1] == (696.0, 248.0)
    assert cells(row(w.client.get("/slos").text, "batch-jobs"))[-1] == "exhausted"


def test_a_calendar_month_marks_now(web):
    w = signed_in(web)
    text = w.client.get("/slos/billing-invoices").text
    # March in UTC, shown in Berlin; noon on the 1st is 12 h of 744 h into it.
    assert fact(text, "Period") == "Sun 1 Mar 01:00 – Wed 1 Apr 02:00"
    assert fact(text, "In minutes") == "446.4 min of 446.4 min"
    found = re.search(r'<g class="slo-now">\s*<line x1="([\d.]+)"', text)
    assert found and float(found.group(1)) == pytest.approx(56 + 640 * 12 / 744, abs=0.01)
    assert polyline(text)[-1][1] == 12.0  # nothing spent
    assert check_page(text) == []


def test_an_unreadable_slo_says_why(web):
    w = signed_in(web)
    answer = w.client.get("/slos/checkout-requests")
    assert answer.status_code == 503
    assert f'<p class="problem" role="alert">{UNREADABLE}</p>' in answer.text
    assert "Objective <strong>99.9 %</strong>" in answer.text  # what it is, still
    assert "<svg" not in answer.text
    assert check_page(answer.text) == []


def test_an_unknown_slo_is_not_found(web):
    w = signed_in(web)
    answer = w.client.get("/slos/nope-nothing")
    assert answer.status_code == 404
    assert "<h1>Not found</h1>" in answer.text and "no SLO &#39;nope-nothing&#39;" in answer.text


def test_the_pages_need_a_session(web):
    w = web(SLOS)
    for path in ("/slos", "/slos/batch-jobs"):
        answer = w.client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
