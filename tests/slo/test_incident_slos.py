"""Incidents show the SLOs they burned and the budget consumed during them: worked out by
``services/incident_slos`` and shown on the incident page, in the API's incident and by
``tocsin incident show``.

The figures are worked by hand from ``shared/specs/slo.md``: at 99.9 % over 30 days the
budget is 43.2 minutes (b = 0.001, P = 720 h). 10 % errors burn it at 10 % / 0.1 % = 100x;
over a 60-minute incident that consumes 100 x 1 h / 720 h = 13.9 % of it, 6.0 minutes
(over the first 30 minutes: 6.9 %, 3.0 minutes)."""

from __future__ import annotations

import re
import socket
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.notify.conftest import firing
from tests.receiver_server import ReceiverServer
from tests.web.accessibility import check_page
from tests.web.conftest import CONFIG as WEB_CONFIG
from tests.web.conftest import Web
from tocsin.cli.main import app
from tocsin.domain.alerts import Alert, AlertStatus
from tocsin.domain.incidents import Incident, Severity, Status, Urgency
from tocsin.services.incident_slos import SloBurn, burn_words, burned_during, impact, linked_slos

NOON = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

#: The web tests' people and escalation policy (every alert pages), with these SLOs.
SLOS = """slos:
  - service: checkout
    name: orders
    objective: 99.9
    window: 30d
    sli: {builtin: {}}
  - service: checkout
    name: latency
    objective: 99
    window: 30d
    sli: {builtin: {}}
  - service: search
    name: queries
    objective: 99.9
    window: 30d
    sli: {builtin: {}}
  - service: search
    name: latency
    objective: 99
    window: 7d
    sli: {builtin: {}}
"""


def make(routed: Any, receiver: ReceiverServer, extra: str = SLOS) -> Web:
    return Web(routed(WEB_CONFIG.format(url=receiver.url, extra=extra)))


@pytest.fixture
def w(routed: Any, receiver: ReceiverServer) -> Web:
    return make(routed, receiver)


def auth(w: Web) -> dict[str, str]:
    return w.harness.api


def events(w: Web, slo: str, good: int, total: int, at: datetime) -> None:
    answer = w.client.post(
        f"/api/slos/{slo}/events",
        json={"good": good, "total": total, "at": at.isoformat()},
        headers=auth(w),
    )
    assert answer.status_code == 201, answer.text


def api_incident(w: Web, incident_id: int = 1) -> dict[str, Any]:
    answer = w.client.get(f"/api/incidents/{incident_id}", headers=auth(w))
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def slo_section(w: Web, incident_id: int = 1) -> str:
    page = w.client.get(f"/incidents/{incident_id}")
    assert page.status_code == 200, page.text
    assert check_page(page.text) == []
    start = page.text.index('id="incident-slos"')
    return page.text[start : page.text.index("</section>", start)]


def burned(w: Web, incident_id: int = 1) -> list[SloBurn]:
    detail = w.runtime.incidents.detail(incident_id)
    return list(burned_during(w.runtime.slos, detail.view.incident, detail.alerts.values()).slos)


def test_an_hour_at_10_percent_errors_consumed_13_9_percent_of_the_budget(w: Web) -> None:
    """The hand-computed figures, in the service, the API, the page and the CLI; events
    before the incident and after it was resolved do not count, nor do SLOs of another
    service, nor SLOs of its service that burned nothing."""
    w.alert("HighErrorRate", service="checkout", severity="critical")  # opens #1 at 12:00
    w.sign_in("ann")
    events(w, "checkout-orders", 0, 1000, NOON - timedelta(minutes=1))  # before: all bad
    events(w, "search-queries", 0, 1000, NOON)  # another service burns: not ours
    events(w, "checkout-latency", 1000, 1000, NOON)  # ours, but all good
    # 12:00-12:59: 10 batches of 1,000 events, 100 bad each: 10 % errors.
    w.harness.clock.advance(timedelta(minutes=30))
    for minute in range(0, 30, 6):
        events(w, "checkout-orders", 900, 1000, NOON + timedelta(minutes=minute))

    # Open at 12:30: 5,000 events, 500 bad, in 30 minutes: 100x, 6.9 %, 3.0 minutes.
    [row] = burned(w)
    assert row.burn_rate == pytest.approx(100)
    assert row.consumed == pytest.approx(100 * 30 / 43200)
    assert row.consumed_time / timedelta(minutes=1) == pytest.approx(3.0)  # type: ignore[operator]
    body = api_incident(w)
    assert body["sloSpan"] == {
        "start": "2026-03-01T12:00:00Z",
        "end": "2026-03-01T12:30:00Z",
        "ongoing": True,
    }
    assert [s["id"] for s in body["slos"]] == ["checkout-orders"]
    assert body["slos"][0]["errorBudget"]["consumedMinutes"] == pytest.approx(3.0)
    section = slo_section(w)
    assert "checkout-orders</a>: 6.9 % of the 30d budget (3.0 min), burn rate 100x" in section
    assert "to now: 30m 00s" in section

    w.harness.clock.advance(timedelta(minutes=30))
    for minute in range(30, 60, 6):
        events(w, "checkout-orders", 900, 1000, NOON + timedelta(minutes=minute))
    resolved = w.client.post("/api/incidents/1/resolve", headers=auth(w))
    assert resolved.status_code == 200, resolved.text  # at 13:00
    w.harness.clock.advance(timedelta(minutes=30))
    events(w, "checkout-orders", 0, 1000, NOON + timedelta(minutes=70))  # after: all bad

    [row] = burned(w)
    assert (row.slo_id, row.service, row.name, row.window) == (
        "checkout-orders",
        "checkout",
        "orders",
        "30d",
    )
    assert (row.counts.good, row.counts.total) == (9000, 10000)  # type: ignore[union-attr]
    assert row.burn_rate == pytest.approx(100)
    assert row.consumed == pytest.approx(100 * 60 / 43200)  # 13.9 %
    assert row.budget_time == timedelta(minutes=43.2)
    assert row.consumed_time / timedelta(minutes=1) == pytest.approx(6.0)  # type: ignore[operator]
    assert not row.linked and row.unavailable is None

    body = api_incident(w)
    assert body["status"] == "resolved" and body["title"]  # the existing fields stay
    assert body["sloSpan"] == {
        "start": "2026-03-01T12:00:00Z",
        "end": "2026-03-01T13:00:00Z",
        "ongoing": False,
    }
    [slo] = body["slos"]
    assert slo["burnRate"] == pytest.approx(100)
    assert slo["errorBudget"]["consumed"] == pytest.approx(0.138889, abs=1e-6)
    assert slo == {
        "id": "checkout-orders",
        "service": "checkout",
        "name": "orders",
        "window": "30d",
        "linkedByAlert": False,
        "events": {"good": 9000.0, "total": 10000.0},
        "burnRate": slo["burnRate"],
        "errorBudget": {
            "minutes": 43.2,
            "consumed": slo["errorBudget"]["consumed"],
            "consumedMinutes": 6.0,
        },
        "unavailable": None,
    }

    section = slo_section(w)
    assert '<h2 id="h-slos">SLOs burned</h2>' in section
    assert (
        '<a href="/slos/checkout-orders">checkout-orders</a>: '
        "13.9 % of the 30d budget (6.0 min), burn rate 100x</li>"
    ) in section
    assert ": 1h 00m." in section
    assert "search" not in section and "checkout-latency" not in section
    assert re.search(r'id="incident-slos" data-live', w.client.get("/incidents/1").text)

    shown = CliRunner().invoke(
        app,
        [
            "incident",
            "show",
            "1",
            "--config",
            str(w.harness.config),
            "--database-url",
            w.harness.db_url,
        ],
        env={"COLUMNS": "200"},
    )
    assert shown.exit_code == 0, shown.output
    assert "SLOs burned, 2026-03-01 12:00 UTC to 2026-03-01 13:00 UTC:" in shown.output
    assert "  checkout-orders: 13.9 % of the 30d budget (6.0 min), burn rate 100x\n" in shown.output
    assert "search" not in shown.output


def test_an_slo_named_by_a_burn_alert_is_listed_even_when_nothing_burned_in_the_span(
    w: Web,
) -> None:
    """Tocsin's own burn alert (``slo``), raised by the engine, and a Sloth alert from
    Prometheus (``sloth_id``) of an incident with no service."""
    # An hour of 20 % errors before noon: the engine's page alert fires at noon.
    for minute in range(1, 61):
        events(w, "checkout-orders", 800, 1000, NOON - timedelta(minutes=minute))
    w.harness.tick()
    w.harness.tick()
    found = w.runtime.incidents.incidents(statuses=["triggered"], limit=10)
    [own] = [i for i in found if i.service == "checkout"]
    w.harness.post(
        firing(
            "SearchLatencyBurn",
            sloth_id="search-latency",
            sloth_service="search",
            sloth_slo="latency",
            sloth_severity="page",
            severity="critical",
        )
    )
    w.harness.tick()
    [sloth] = [
        i for i in w.runtime.incidents.incidents(limit=10) if i.title.startswith("SearchLatency")
    ]
    assert sloth.service is None
    w.harness.clock.advance(timedelta(minutes=10))
    w.sign_in("ann")

    [row] = burned(w, own.id)
    assert (row.slo_id, row.linked, row.consumed, row.burn_rate) == (
        "checkout-orders",
        True,
        0.0,
        None,
    )
    assert '">checkout-orders</a>: 0.0 % of the 30d budget (0.0 min), no events' in (
        slo_section(w, own.id)
    )
    assert 'no events <span class="badge">burn alert</span>' in slo_section(w, own.id)

    [row] = burned(w, sloth.id)
    assert (row.slo_id, row.linked, row.window) == ("search-latency", True, "7d")
    [slo] = api_incident(w, sloth.id)["slos"]
    assert slo["id"] == "search-latency" and slo["linkedByAlert"] is True
    assert slo["errorBudget"] == {"minutes": 100.8, "consumed": 0.0, "consumedMinutes": 0.0}
    assert "search-queries" not in slo_section(w, sloth.id)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_an_unreadable_prometheus_slo_of_the_service_shows_unavailable(
    routed: Any, receiver: ReceiverServer
) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    extra = (
        SLOS
        + f"""  - service: checkout
    name: requests
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(errors[{{{{.window}}}}]))
        total_query: sum(rate(requests[{{{{.window}}}}]))
prometheus:
  url: {url}
  slo_alerts: rules
"""
    )
    w = make(routed, receiver, extra)
    w.alert("HighErrorRate", service="checkout", severity="critical")
    w.sign_in("ann")
    w.harness.clock.advance(timedelta(minutes=5))

    [row] = burned(w)
    assert row.slo_id == "checkout-requests" and row.consumed is None
    assert row.unavailable is not None and f"Prometheus at {url} cannot be reached" in (
        row.unavailable
    )
    [slo] = api_incident(w)["slos"]
    assert slo["unavailable"] == row.unavailable and slo["burnRate"] is None
    assert slo["errorBudget"] == {"minutes": 43.2, "consumed": None, "consumedMinutes": None}
    section = slo_section(w)
    assert f"checkout-requests</a>: unavailable: Prometheus at {url} cannot be reached" in section


def test_no_slos_configured_no_section_and_an_empty_list(
    routed: Any, receiver: ReceiverServer
) -> None:
    w = make(routed, receiver, extra="")
    w.alert("HighErrorRate", service="checkout", severity="critical")
    w.sign_in("ann")
    assert 'id="incident-slos"' not in w.client.get("/incidents/1").text
    assert api_incident(w)["slos"] == []


def test_an_incident_of_a_service_whose_slos_burned_nothing_says_so(w: Web) -> None:
    w.alert("HighErrorRate", service="checkout", severity="critical")
    w.sign_in("ann")
    assert "No SLO of this incident burned any error budget." in slo_section(w)


# -- the pieces, without a server ------------------------------------------------------------


def incident(**changes: Any) -> Incident:
    made = Incident(
        id=1,
        title="t",
        status=Status.TRIGGERED,
        severity=Severity.SEV1,
        urgency=Urgency.HIGH,
        created_at=NOON + timedelta(seconds=40),
    )
    return replace(made, **changes)


def alert(starts_at: datetime, **labels: str) -> Alert:
    return Alert(
        id=1,
        uid="u",
        fingerprint="f",
        integration_id=None,
        status=AlertStatus.FIRING,
        labels=labels,
        annotations={},
        starts_at=starts_at,
        ends_at=None,
        ends_at_is_timeout=False,
        generator_url="",
        dedup_key=None,
        details=None,
        created_at=starts_at,
        updated_at=starts_at,
        last_received_at=starts_at,
        receive_count=1,
    )


LATER = NOON + timedelta(hours=2)


@pytest.mark.parametrize(
    ("case", "alerts", "changes", "span"),
    [
        ("declared by hand: from its opening minute", [], {}, (NOON, LATER)),
        (
            "an alert started before it opened: from the alert's minute",
            [alert(NOON - timedelta(minutes=7, seconds=50))],
            {},
            (NOON - timedelta(minutes=8), LATER),
        ),
        (
            "a later firing of an alert does not move the start",
            [alert(NOON + timedelta(hours=1))],
            {},
            (NOON, LATER),
        ),
        (
            "resolved: until then, whatever the time now",
            [],
            {"status": Status.RESOLVED, "resolved_at": NOON + timedelta(minutes=45)},
            (NOON, NOON + timedelta(minutes=45)),
        ),
        (
            "mitigated is still open: until now",
            [],
            {"status": Status.MITIGATED, "mitigated_at": NOON + timedelta(minutes=5)},
            (NOON, LATER),
        ),
    ],
)
def test_the_impact_span(
    case: str, alerts: list[Alert], changes: dict[str, Any], span: tuple[datetime, datetime]
) -> None:
    assert impact(incident(**changes), alerts, LATER) == span, case


@pytest.mark.parametrize(
    ("labels", "ids"),
    [
        ({"alertname": "HighErrorRate", "service": "checkout"}, set()),
        ({"slo": "checkout-orders", "slo_severity": "page"}, {"checkout-orders"}),
        ({"sloth_id": "checkout-orders", "sloth_slo": "orders"}, {"checkout-orders"}),
        ({"sloth_service": "checkout", "sloth_slo": "orders"}, {"checkout-orders"}),
    ],
)
def test_burn_alerts_name_their_slos(labels: dict[str, str], ids: set[str]) -> None:
    assert linked_slos([labels]) == ids


def row(**changes: Any) -> SloBurn:
    made = SloBurn(
        slo_id="checkout-orders",
        service="checkout",
        name="orders",
        window="30d",
        linked=False,
        budget_time=timedelta(minutes=43.2),
    )
    return replace(made, **changes)


@pytest.mark.parametrize(
    ("burn", "words"),
    [
        (
            row(burn_rate=150.0, consumed=0.125),
            "12.5 % of the 30d budget (5.4 min), burn rate 150x",
        ),
        (
            row(burn_rate=14.4, consumed=0.02),
            "2.0 % of the 30d budget (0.9 min), burn rate 14.4x",
        ),
        (
            row(burn_rate=1.2, consumed=0.0005),
            "0.05 % of the 30d budget (0.022 min), burn rate 1.2x",
        ),
        (row(burn_rate=None, consumed=0.0), "0.0 % of the 30d budget (0.0 min), no events"),
        (row(unavailable="Prometheus is down"), "unavailable: Prometheus is down"),
    ],
)
def test_the_words(burn: SloBurn, words: str) -> None:
    assert burn_words(burn) == words
