"""Built-in SLIs: good and total events posted to Tocsin, kept per minute, and each SLO's
standing worked out from them (SLI, budget left, burn rates, time to exhaustion)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from tocsin.cli.main import app
from tocsin.store import slo_events

CONFIG = """route:
  receiver: r
receivers:
  - name: r
slos:
  - service: checkout
    name: orders
    objective: 99.9
    window: 30d
    sli: {builtin: {}}
  - service: checkout
    name: requests
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(errors[{{.window}}]))
        total_query: sum(rate(requests[{{.window}}]))
"""


@pytest.fixture
def h(routed: Any) -> Any:
    return routed(CONFIG)


def post(h: Any, slo: str, body: dict[str, Any]) -> Any:
    return h.client.post(f"/api/slos/{slo}/events", json=body, headers=h.api)


def get(h: Any, path: str) -> Any:
    return h.client.get(path, headers=h.api)


def test_events_make_the_budget_and_burn_rates(h: Any) -> None:
    now = h.clock.now()
    earlier = (now - timedelta(minutes=2)).isoformat()
    assert (
        post(h, "checkout-orders", {"good": 9990, "total": 10000, "at": earlier}).status_code == 201
    )
    assert post(h, "checkout-orders", {"good": 1000, "total": 1000}).status_code == 201
    s = get(h, "/api/slos/checkout-orders").json()
    assert s["events"] == {"good": 10990.0, "total": 11000.0}
    assert s["sli"] == pytest.approx(10990 / 11000)
    # 10 bad of 11,000 is 0.0909 % errors: 90.9 % of a 99.9 % budget; 43.2 min in all.
    assert s["errorBudget"]["minutes"] == pytest.approx(43.2)
    assert s["errorBudget"]["remaining"] == pytest.approx(1 - (10 / 11000) / 0.001)
    assert s["errorBudget"]["remainingMinutes"] == pytest.approx(
        43.2 * (1 - (10 / 11000) / 0.001), abs=1e-3
    )
    # The last hour's burn rate counts only what happened in it (the 1,000 good are "now",
    # in the minute being written, outside [now-1h, now)).
    assert s["burnRate"] == pytest.approx(1.0)
    assert s["firing"] == []  # 0.1 % errors is not strictly above 1 x 0.1 %


def test_a_fast_burn_fires_the_page_windows(h: Any) -> None:
    now = h.clock.now()
    earlier = (now - timedelta(days=2)).isoformat()
    assert post(h, "checkout-orders", {"good": 1_000_000, "total": 1_000_000, "at": earlier})
    for minutes in (50, 30, 3):
        at = (now - timedelta(minutes=minutes)).isoformat()
        assert post(h, "checkout-orders", {"good": 980, "total": 1000, "at": at}).status_code == 201
    s = get(h, "/api/slos/checkout-orders").json()
    page = [w for w in s["windows"] if w["severity"] == "page"][0]
    assert page["burnRateShort"] == pytest.approx(20.0) and page["burnRateLong"] == pytest.approx(
        20.0
    )
    assert s["firing"] == ["page", "ticket"]
    # 2 % errors burn at 20: the 40 % of the budget left would last 40 % of 30 d / 20.
    left = s["errorBudget"]["remaining"]
    assert s["exhaustedInMinutes"] == pytest.approx(left * 30 * 24 * 60 / 20, rel=1e-6)


@pytest.mark.parametrize(
    ("slo", "body", "status", "field"),
    [
        ("checkout-orders", {"good": 11, "total": 10}, 400, "good"),
        ("checkout-orders", {"good": -1, "total": 10}, 400, "good"),
        ("checkout-orders", {"good": 1, "total": 10, "at": "2026-01-01T00:00:00Z"}, 400, "at"),
        ("checkout-orders", {"good": 1, "total": 10, "at": "2026-03-01T11:00:00"}, 400, "at"),
        ("checkout-orders", {"good": 1}, 400, "total"),
        ("checkout-orders", {"good": 1, "total": 2, "bad": 1}, 400, "bad"),
        ("checkout-requests", {"good": 1, "total": 2}, 400, "slo"),
        ("nope", {"good": 1, "total": 2}, 404, "no SLO 'nope'"),
    ],
)
def test_bad_events_are_refused_and_change_nothing(
    h: Any, slo: str, body: dict[str, Any], status: int, field: str
) -> None:
    answer = post(h, slo, body)
    assert answer.status_code == status, answer.text
    assert field in answer.text
    assert get(h, "/api/slos/checkout-orders").json()["events"] == {"good": 0.0, "total": 0.0}


def test_the_list_and_the_cli(h: Any) -> None:
    post(
        h,
        "checkout-orders",
        {"good": 999, "total": 1000, "at": (h.clock.now() - timedelta(minutes=1)).isoformat()},
    )
    listed = get(h, "/api/slos").json()["slos"]
    assert [s["id"] for s in listed] == ["checkout-orders", "checkout-requests"]
    assert listed[1] == {
        "id": "checkout-requests",
        "service": "checkout",
        "name": "requests",
        "objective": 99.9,
        "window": "30d",
        "sli": "events",
        "description": "",
        "labels": {},
        "budgeting": {"method": "occurrences"},
        "unavailable": "this SLO is read from Prometheus: set prometheus.url in tocsin.yaml",
    }
    # Without Prometheus to read from, its status is a 503 that says so.
    alone = get(h, "/api/slos/checkout-requests")
    assert alone.status_code == 503
    assert "prometheus.url" in alone.json()["message"]
    # The CLI runs on the real clock: events a minute ago, as a service would post them.
    minute = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
    with h.runtime.db.write() as conn:
        slo_events.add(conn, "checkout-orders", minute, 999, 1000)
    shown = CliRunner().invoke(
        app,
        ["slo", "status", "--config", str(h.config), "--database-url", h.db_url],
        env={"COLUMNS": "200"},
    )
    assert shown.exit_code == 0, shown.output
    rows = {line.split("│")[1].strip(): line for line in shown.output.splitlines() if "│" in line}
    orders = [c.strip() for c in rows["checkout-orders"].split("│")[1:-1]]
    # 0.1 % errors: the whole budget gone, burning at exactly 1 (not alerting: not above).
    assert orders == [
        "checkout-orders",
        "99.9 %",
        "30d",
        "99.900 %",
        "0.0 % (0.0 min)",
        "1.00",
        "0.0 min",
        "no",
    ]
    assert "unavailable: this SLO is read from Prometheus" in rows["checkout-requests"]
