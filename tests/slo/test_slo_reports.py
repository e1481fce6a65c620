"""An SLO's burn-down over its period and timeslice budgeting, on built-in events with a
fake clock; every figure is worked out by hand from the spec's formulas."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from tocsin.cli.main import app
from tocsin.cli.slo_report import sparkline
from tocsin.store import slo_events

CONFIG = """route:
  receiver: r
receivers:
  - name: r
slos:
  - service: checkout
    name: orders
    objective: 99.9
    sli: {builtin: {}}
  - service: checkout
    name: minutes
    objective: 99.9
    timeslices: {slice: 5m, target: 99}
    sli: {builtin: {}}
"""


@pytest.fixture
def h(routed: Any) -> Any:
    return routed(CONFIG)


def call(h: Any, method: str, path: str, body: Any = None) -> Any:
    return h.client.request(method, path, json=body, headers=h.api)


def post(h: Any, slo: str, good: int, total: int, at: datetime) -> None:
    body = {"good": good, "total": total, "at": at.isoformat()}
    assert call(h, "POST", f"/api/slos/{slo}/events", body).status_code == 201


def test_the_burn_down_drops_when_the_errors_came(h: Any) -> None:
    now = h.clock.now()
    bad_at = now - timedelta(hours=10, minutes=30)
    post(h, "checkout-orders", 990, 1000, bad_at)  # 10 bad
    post(h, "checkout-orders", 1000, 1000, now - timedelta(hours=1))
    down = call(h, "GET", "/api/slos/checkout-orders/burn-down?points=720").json()
    points = [(datetime.fromisoformat(p["at"]), p["remaining"]) for p in down["points"]]
    # 30 days in 720 points: a point an hour, from the period's start (1.0) on.
    assert points[0] == (now - timedelta(days=30), 1.0)
    assert points[1][0] - points[0][0] == timedelta(hours=1)
    # 10 bad of the period's 2,000 events: 0.5 % errors, five budgets: -400 % left.
    before = [left for at, left in points if at <= bad_at]
    after = [left for at, left in points if at > bad_at]
    assert set(before) == {1.0}
    assert after == [pytest.approx(-4.0)] * len(after)
    status = call(h, "GET", "/api/slos/checkout-orders").json()
    assert points[-1][1] == pytest.approx(status["errorBudget"]["remaining"])
    # The last point is now: the minute being written joins the last step.
    assert points[-1][0] == now and points[-2][0] == now - timedelta(hours=1)


def test_an_slo_with_no_events_burns_nothing(h: Any) -> None:
    down = call(h, "GET", "/api/slos/checkout-orders/burn-down?points=10").json()
    assert {p["remaining"] for p in down["points"]} == {1.0}
    # The start and ten 3-day steps (the minute being written joins the last).
    assert len(down["points"]) == 11
    assert call(h, "GET", "/api/slos/checkout-orders/burn-down?points=1").status_code == 400


def test_timeslices_count_good_and_bad_slices(h: Any) -> None:
    now = h.clock.now()
    post(h, "checkout-minutes", 98, 100, now - timedelta(minutes=30))  # 98 %: a bad slice
    post(h, "checkout-minutes", 100, 100, now - timedelta(minutes=20))
    post(h, "checkout-minutes", 990, 1000, now - timedelta(minutes=10))  # 99 %: good
    s = call(h, "GET", "/api/slos/checkout-minutes").json()
    # 30 days of 5-minute slices: 8,640, one bad (no traffic is good).
    assert s["events"] == {"good": 8639.0, "total": 8640.0}
    assert s["sli"] == pytest.approx(8639 / 8640)
    assert s["errorBudget"]["remaining"] == pytest.approx(1 - (1 / 8640) / 0.001)
    # The budget is 8.64 bad slices (43.2 min); one is 5 minutes of it.
    assert s["errorBudget"]["remainingMinutes"] == pytest.approx(43.2 - 5)
    # The hour's 12 slices hold the bad one: 1/12 errors, a burn rate of 83.3.
    assert s["burnRate"] == pytest.approx((1 / 12) / 0.001)
    # Steps of whole slices: 7 slices (35 min) each, so 30 days take 1,235 steps.
    down = call(h, "GET", "/api/slos/checkout-minutes/burn-down?points=1300").json()
    assert down["points"][-1]["remaining"] == pytest.approx(s["errorBudget"]["remaining"])
    assert len(down["points"]) == 1 + -(-8640 // 7)
    at = [datetime.fromisoformat(p["at"]) for p in down["points"]]
    assert at[1] - at[0] == timedelta(minutes=35) and at[-1] == now


def test_the_cli_reports_one_slo_with_windows_and_burn_down(h: Any) -> None:
    # The CLI runs on the real clock: events a minute ago, as a service would post them.
    minute = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
    with h.runtime.db.write() as conn:
        slo_events.add(conn, "checkout-orders", minute, 9995, 10000)
    args = ["slo", "status", "checkout-orders", "--config", str(h.config)]
    shown = CliRunner().invoke(app, [*args, "--database-url", h.db_url], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    out = shown.output
    # 0.05 % errors: half the 43.2-minute budget, burning at 0.5 in every window.
    assert "SLI: 99.950 % (9,995 good of 10,000)" in out
    assert "budget left: 50.0 % (21.6 min of 43.2 min)" in out
    assert "burn rate (1h): 0.50x" in out
    rows = [line for line in out.splitlines() if line.startswith(("│ page", "│ ticket"))]
    assert len(rows) == 4 and all(row.count("0.50x") == 2 and "no" in row for row in rows)
    cells = [[c.strip() for c in row.split("│")[1:-1]] for row in rows]
    assert [c[:4] for c in cells] == [
        ["page", "1h", "5m", "14.40"],
        ["page", "6h", "30m", "6.00"],
        ["ticket", "1d", "2h", "3.00"],
        ["ticket", "3d", "6h", "1.00"],
    ]
    # The burn-down: full blocks until the last step, which holds the errors (half left).
    line = next(line for line in out.splitlines() if line.startswith("burn-down since"))
    blocks = line.split(": ", 1)[1].split(" ")[0]
    assert blocks == "█" * (len(blocks) - 1) + "▅" and line.endswith(" 50.0 %")
    missing = CliRunner().invoke(app, ["slo", "status", "nope", "--config", str(h.config)])
    assert missing.exit_code == 1 and "no SLO 'nope'" in missing.output


def test_sparkline_scales_an_overspent_budget() -> None:
    assert sparkline([1.0, 0.5, 0.0]) == "█▅▁"
    # Overspent to -100 %: the lowest block is -100 %, 0 % is half way.
    assert sparkline([1.0, 0.0, -1.0]) == "█▅▁"
    assert sparkline([]) == ""
