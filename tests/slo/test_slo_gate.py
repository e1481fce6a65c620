"""The release gate: closed while an SLO of the service has spent its budget or a page-level
burn alert about it fires (Tocsin's own, or Sloth's from Prometheus), open by an audited,
expiring exception."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.notify.conftest import firing
from tocsin.cli.main import app
from tocsin.domain.slo_gate import GateException, burning_pages, decide

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
CONFIG = """route:
  receiver: r
receivers:
  - name: r
users:
  - {id: cat, email: cat@example.com}
teams:
  # cat manages checkout's team: opening its release gate from the CLI needs that.
  - {name: shop, managers: [cat], services: [checkout]}
slos:
  - service: checkout
    name: orders
    objective: 99
    window: 30d
    sli: {builtin: {}}
  - service: search
    name: queries
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(errors[{{.window}}]))
        total_query: sum(rate(requests[{{.window}}]))
"""


def exception(**kw: Any) -> GateException:
    base = dict(
        id=1,
        service="checkout",
        reason="hotfix",
        created_by="cat",
        created_at=NOW - timedelta(hours=1),
        expires_at=NOW + timedelta(hours=1),
    )
    return GateException(**{**base, **kw})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("budgets", "pages", "exceptions", "open_", "reasons"),
    [
        ({"checkout-orders": 0.5}, [], [], True, 0),
        ({"checkout-orders": 0.0}, [], [], False, 1),  # spent exactly: closed
        ({"checkout-orders": -0.2}, ["checkout-orders"], [], False, 2),
        ({"checkout-orders": 0.5}, ["checkout-orders"], [], False, 1),
        ({"checkout-orders": -1}, [], [exception()], True, 1),
        ({"checkout-orders": -1}, [], [exception(expires_at=NOW)], False, 1),  # ended
        ({"checkout-orders": -1}, [], [exception(revoked_at=NOW - timedelta(minutes=1))], False, 1),
        ({"checkout-orders": -1}, [], [exception(service="search")], False, 1),
    ],
)
def test_decisions(
    budgets: dict[str, float],
    pages: list[str],
    exceptions: list[GateException],
    open_: bool,
    reasons: int,
) -> None:
    answer = decide("checkout", budgets, pages, exceptions, NOW)
    assert answer.open is open_ and len(answer.reasons) == reasons


def test_page_alerts_of_the_service_from_tocsin_and_from_sloth() -> None:
    alerts = [
        {"slo_severity": "page", "service": "checkout", "slo": "checkout-orders"},
        {"slo_severity": "ticket", "service": "checkout", "slo": "checkout-latency"},
        {"sloth_severity": "page", "sloth_service": "checkout", "sloth_id": "checkout-api"},
        {"sloth_severity": "page", "sloth_service": "search", "sloth_id": "search-queries"},
    ]
    assert burning_pages("checkout", alerts) == ["checkout-api", "checkout-orders"]


@pytest.fixture
def h(routed: Any) -> Any:
    return routed(CONFIG)


def call(h: Any, method: str, path: str, body: Any = None) -> Any:
    return h.client.request(method, path, json=body, headers=h.api)


def test_the_gate_by_api(h: Any) -> None:
    assert call(h, "GET", "/api/slo-gate?service=checkout").json()["open"] is True
    at = (h.clock.now() - timedelta(minutes=1)).isoformat()
    call(h, "POST", "/api/slos/checkout-orders/events", {"good": 980, "total": 1000, "at": at})
    closed = call(h, "GET", "/api/slo-gate?service=checkout")
    assert closed.status_code == 409
    assert closed.json()["reasons"] == [
        "SLO checkout-orders has spent its error budget (-100.0 % left)"
    ]
    assert "releases of checkout are frozen" in closed.json()["message"]
    granted = call(
        h,
        "POST",
        "/api/slo-gate/exceptions",
        {
            "service": "checkout",
            "reason": "hotfix for the outage",
            "expiresIn": "1h",
            "user": "cat",
        },
    )
    assert granted.status_code == 201, granted.text
    opened = call(h, "GET", "/api/slo-gate?service=checkout").json()
    assert opened["open"] is True and opened["exception"]["createdBy"] == "cat"
    assert opened["reasons"]  # still said: the exception opens it despite them
    h.tick(3601)
    assert call(h, "GET", "/api/slo-gate?service=checkout").status_code == 409
    trail = call(h, "GET", "/api/slo-gate/exceptions?service=checkout").json()["exceptions"]
    assert [(e["reason"], e["createdBy"]) for e in trail] == [("hotfix for the outage", "cat")]


def test_a_sloth_page_alert_from_prometheus_closes_the_gate(h: Any) -> None:
    alert = firing("SearchAvailability", sloth_severity="page", sloth_service="search")
    alert["labels"]["sloth_id"] = "search-queries"
    h.post(alert)
    closed = call(h, "GET", "/api/slo-gate?service=search")
    assert closed.status_code == 409
    assert closed.json()["reasons"] == [
        "SLO search-queries is burning its error budget fast (a page alert fires)"
    ]


def test_revoking_an_exception(h: Any) -> None:
    made = call(
        h,
        "POST",
        "/api/slo-gate/exceptions",
        {"service": "checkout", "reason": "x", "expiresIn": "2h"},
    ).json()
    done = call(h, "POST", f"/api/slo-gate/exceptions/{made['id']}/revoke", {"user": "cat"})
    assert done.status_code == 200 and done.json()["revokedBy"] == "cat"
    again = call(h, "POST", f"/api/slo-gate/exceptions/{made['id']}/revoke", {})
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"service": "checkout", "reason": " ", "expiresIn": "1h"}, 400, "reason"),
        ({"service": "checkout", "reason": "x", "expiresIn": "30d"}, 400, "expires_in"),
        ({"service": "checkout", "reason": "x", "expiresIn": "soon"}, 400, "expiresIn"),
        ({"service": "billing", "reason": "x", "expiresIn": "1h"}, 404, "billing"),
        ({"service": "checkout", "reason": "x", "expiresIn": "1h", "user": "zed"}, 400, "zed"),
    ],
)
def test_bad_exceptions_are_refused(h: Any, body: dict[str, Any], status: int, field: str) -> None:
    answer = call(h, "POST", "/api/slo-gate/exceptions", body)
    assert answer.status_code == status, answer.text
    assert field in answer.text
    assert call(h, "GET", "/api/slo-gate/exceptions").json()["exceptions"] == []


def test_the_gate_from_the_cli(h: Any) -> None:
    runner = CliRunner()
    args = ["--config", str(h.config), "--database-url", h.db_url]
    opened = runner.invoke(app, ["slo", "gate", "checkout", *args])
    assert opened.exit_code == 0 and "open: checkout may release" in opened.output
    burn = firing("CheckoutBurn", slo_severity="page", service="checkout", slo="checkout-orders")
    # The CLI runs on the real clock: the alert fires until a year from now.
    burn["endsAt"] = (datetime.now(UTC) + timedelta(days=365)).isoformat()
    h.post(burn)
    closed = runner.invoke(app, ["slo", "gate", "checkout", *args])
    assert closed.exit_code == 1, closed.output
    assert "is burning its error budget fast" in closed.output
    made = runner.invoke(
        app,
        [
            "slo",
            "exception",
            "checkout",
            "--reason",
            "security fix",
            "--for",
            "2h",
            "--as",
            "cat",
            *args,
        ],
    )
    assert made.exit_code == 0, made.output
    assert runner.invoke(app, ["slo", "gate", "checkout", *args]).exit_code == 0
    unknown = runner.invoke(app, ["slo", "gate", "billing", *args])
    assert unknown.exit_code == 1 and "no SLO has the service 'billing'" in unknown.output
