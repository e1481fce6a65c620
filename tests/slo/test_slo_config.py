"""``slos:`` in tocsin.yaml: compiled into specs, and every mistake named by file, line and
key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.config.test_paging_config import load
from tocsin.config.compile import RoutingConfig
from tocsin.domain.slo import Severity
from tocsin.domain.slo_specs import (
    BuiltinSli,
    EventsSli,
    LatencySli,
    PrometheusSource,
    Timeslices,
)
from tocsin.errors import ConfigError

BASE = """route:
  receiver: r
receivers:
  - name: r
slos:
  - service: checkout
    name: requests-availability
    objective: 99.9
    window: 30d
    labels: {team: payments}
    sli:
      events:
        error_query: sum(rate(http_requests_total{job="checkout",code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total{job="checkout"}[{{.window}}]))
    alerting:
      name: CheckoutAvailability
      labels: {category: availability}
      annotations: {runbook_url: "https://runbooks.example/checkout"}
      page_alert: {labels: {severity: critical}}
      ticket_alert: {labels: {severity: warning}}
  - service: checkout
    name: latency
    objective: 99
    window: month
    sli:
      latency:
        metric: http_request_duration_seconds_bucket
        selector: 'job="checkout"'
        threshold: 0.3
        buckets: [0.1, 0.3, 1]
    alerting:
      ticket_alert: {disable: true}
  - service: batch
    name: jobs
    objective: 95
    window: 7d
    sli: {builtin: {}}
"""


def test_slos_compile(tmp_path: Path) -> None:
    config = load(tmp_path, BASE)
    assert isinstance(config, RoutingConfig)
    assert list(config.slos) == ["checkout-requests-availability", "checkout-latency", "batch-jobs"]
    availability = config.slos["checkout-requests-availability"]
    assert isinstance(availability.sli, EventsSli)
    assert (
        availability.sli.error_query is not None and "{{.window}}" in availability.sli.error_query
    )
    assert availability.window.rolling == timedelta(days=30)
    assert availability.alert_name == "CheckoutAvailability"
    assert availability.labels == {"team": "payments"}
    assert availability.alert_labels == {"category": "availability"}
    assert availability.page is not None and availability.page.labels == {"severity": "critical"}
    assert [w.severity for w in availability.windows()] == [Severity.PAGE] * 2 + [
        Severity.TICKET
    ] * 2
    latency = config.slos["checkout-latency"]
    assert latency.sli == LatencySli("http_request_duration_seconds", 0.3, 'job="checkout"')
    assert latency.ticket is None
    assert [w.severity for w in latency.windows()] == [Severity.PAGE, Severity.PAGE]
    assert latency.alert_name == "CheckoutLatencySLOBurn"
    assert latency.window.calendar_month
    feb = latency.objective(datetime(2026, 2, 14, 9, tzinfo=UTC))
    assert feb.period == timedelta(days=28)
    assert feb.budget_time / timedelta(minutes=1) == pytest.approx(403.2)
    assert config.slos["batch-jobs"].sli == BuiltinSli()


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("objective: 99.9", "objective: 100", "slos.0.objective: must be above 0 and below 100"),
        ("objective: 99.9", "objective: 0", "slos.0.objective: must be above 0 and below 100"),
        ("window: 30d", "window: 90d", "slos.0.window: '90d' is not a window"),
        (
            'total_query: sum(rate(http_requests_total{job="checkout"}[{{.window}}]))',
            'total_query: "  "',
            "slos.0.sli.events.total_query: must not be empty",
        ),
        (
            'total_query: sum(rate(http_requests_total{job="checkout"}[{{.window}}]))',
            'total_query: sum(rate(http_requests_total{job="checkout"}[5m]))',
            "slos.0.sli.events.total_query: must have {{.window}}",
        ),
        ("threshold: 0.3", "threshold: 0.5", "slos.1.sli.latency.threshold: 0.5 is not a bucket"),
        (
            "metric: http_request_duration_seconds_bucket",
            "metric: http-duration",
            "slos.1.sli.latency.metric: 'http-duration' is not a Prometheus metric name",
        ),
        ("sli: {builtin: {}}", "sli: {}", "slos.2.sli: give exactly one of events, latency"),
        ("name: jobs", "name: requests-availability\n    objective2: 1", "slos.2.objective2"),
        (
            "sli: {builtin: {}}",
            "sli: {raw: {error_ratio_query: 1 - up}}",
            "slos.2.sli.raw.error_ratio_query: must have {{.window}}",
        ),
        (
            "sli: {builtin: {}}",
            "sli: {plugin: {id: sloth-common/kubernetes/apiserver/availability}}",
            "slos.2.sli.plugin: Sloth SLI plugins are Go code that only Sloth runs",
        ),
        (
            "window: 7d",
            "window: 7d\n    timeslices: {slice: 90s, target: 99}",
            "slos.2.timeslices.slice: must be whole minutes, from 1m to 1h",
        ),
        (
            "window: 7d",
            "window: 7d\n    timeslices: {slice: 1m, target: 0}",
            "slos.2.timeslices.target: must be above 0 and at most 100",
        ),
        (
            "window: 7d",
            "window: 7d\n    timeslices: {slice: soon, target: 99}",
            "slos.2.timeslices.slice:",
        ),
        ("slos:", "prometheus: {url: localhost:9090}\nslos:", "prometheus.url: 'localhost:9090'"),
        (
            "slos:",
            "prometheus: {url: 'http://127.0.0.1:9090', timeout: 5m}\nslos:",
            "prometheus.timeout: must be from 1s to 2m",
        ),
        (
            "slos:",
            "prometheus: {url: 'http://127.0.0.1:9090', slo_alerts: both}\nslos:",
            "prometheus.slo_alerts:",
        ),
    ],
)
def test_mistakes_name_file_line_and_key(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in BASE
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, BASE.replace(old, new, 1))
    text = str(caught.value)
    assert message in text, text
    assert "tocsin.yaml:" in text


def test_an_slo_defined_twice_is_refused(tmp_path: Path) -> None:
    twice = BASE.replace("service: batch\n    name: jobs", "service: checkout\n    name: latency")
    with pytest.raises(ConfigError, match="slos.2.name: SLO 'checkout-latency' is defined twice"):
        load(tmp_path, twice)


def test_both_error_and_good_queries_are_refused(tmp_path: Path) -> None:
    both = BASE.replace(
        '        total_query: sum(rate(http_requests_total{job="checkout"}[{{.window}}]))',
        "        good_query: x{{.window}}\n"
        '        total_query: sum(rate(http_requests_total{job="checkout"}[{{.window}}]))',
        1,
    )
    with pytest.raises(ConfigError, match="give exactly one of error_query and good_query"):
        load(tmp_path, both)


def test_prometheus_and_timeslices_compile(tmp_path: Path) -> None:
    text = BASE.replace(
        "slos:", "prometheus: {url: 'http://127.0.0.1:9090/', slo_alerts: rules}\nslos:", 1
    ).replace("window: 7d", "window: 7d\n    timeslices: {slice: 5m, target: 99.5}")
    config = load(tmp_path, text)
    assert isinstance(config, RoutingConfig)
    assert config.prometheus == PrometheusSource(
        "http://127.0.0.1:9090", timedelta(seconds=10), evaluate_alerts=False
    )
    assert config.slos["batch-jobs"].budgeting == Timeslices(timedelta(minutes=5), 0.995)
    assert config.slos["checkout-latency"].budgeting is None
