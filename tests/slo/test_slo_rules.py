"""``tocsin slo rules``: Prometheus rules in Sloth's names and structure, accepted by the real
promtool, and (with promtool's rule unit tests) firing exactly when the spec says."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

import yaml
from typer.testing import CliRunner

from tests.peers.conftest import require_binary
from tests.slo.test_slo_config import BASE
from tocsin.cli.main import app
from tocsin.integrations.prometheus_slo_rules import prometheus_duration

runner = CliRunner()
TITLE = "checkout requests-availability SLO error budget burn rate is too fast."


def _rules(tmp_path: Path) -> Path:
    config = tmp_path / "tocsin.yaml"
    config.write_text(BASE)
    out = tmp_path / "slo-rules.yml"
    done = runner.invoke(app, ["slo", "rules", "--config", str(config), "-o", str(out)])
    assert done.exit_code == 0, done.output
    return out


def test_rules_have_sloths_names_and_structure(tmp_path: Path) -> None:
    groups = yaml.safe_load(_rules(tmp_path).read_text())["groups"]
    names = [g["name"] for g in groups]
    assert names == [
        "sloth-slo-sli-recordings-checkout-requests-availability",
        "sloth-slo-meta-recordings-checkout-requests-availability",
        "sloth-slo-alerts-checkout-requests-availability",
        "sloth-slo-sli-recordings-checkout-latency",
        "sloth-slo-meta-recordings-checkout-latency",
        "sloth-slo-alerts-checkout-latency",
    ]  # batch-jobs counts built-in events: no Prometheus rules
    sli = groups[0]["rules"]
    assert [r["record"] for r in sli] == [
        f"slo:sli_error:ratio_rate{w}" for w in ("5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d")
    ]
    assert sli[0]["labels"] == {
        "team": "payments",
        "sloth_id": "checkout-requests-availability",
        "sloth_service": "checkout",
        "sloth_slo": "requests-availability",
        "sloth_window": "5m",
    }
    assert "[5m]" in sli[0]["expr"] and "{{.window}}" not in sli[0]["expr"]
    meta = [r["record"] for r in groups[1]["rules"]]
    assert meta == [
        "slo:objective:ratio",
        "slo:error_budget:ratio",
        "slo:time_period:days",
        "slo:current_burn_rate:ratio",
        "slo:period_burn_rate:ratio",
        "slo:period_error_budget_remaining:ratio",
        "sloth_slo_info",
    ]
    page, ticket = groups[2]["rules"]
    assert page["alert"] == ticket["alert"] == "CheckoutAvailability"
    assert page["labels"] == {
        "category": "availability",
        "severity": "critical",
        "sloth_severity": "page",
    }
    assert page["annotations"]["runbook_url"] == "https://runbooks.example/checkout"
    assert "(14.4 * 0.001)" in page["expr"] and "(6 * 0.001)" in page["expr"]
    assert "(3 * 0.001)" in ticket["expr"] and "(1 * 0.001)" in ticket["expr"]
    latency = groups[3]["rules"][0]["expr"]
    assert 'http_request_duration_seconds_bucket{job="checkout",le="0.3"}[5m]' in latency
    assert 'le="+Inf"' in latency
    assert [r["labels"]["sloth_severity"] for r in groups[5]["rules"]] == ["page"]


def test_promtool_accepts_the_rules(tmp_path: Path) -> None:
    promtool = require_binary("promtool", "prometheus")
    rules = _rules(tmp_path)
    done = subprocess.run([promtool, "check", "rules", str(rules)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 30 rules found" in done.stdout


def test_the_page_alert_fires_when_both_windows_burn(tmp_path: Path) -> None:
    """promtool's rule unit tests: 2 % errors (burn rate 20 > 14.4) for 80 minutes fire the
    page alert (and the ticket); errors stopping clears the page within its short windows
    although the hour remembers."""
    promtool = require_binary("promtool", "prometheus")
    rules = _rules(tmp_path)
    labels = 'job="checkout"'
    series = [
        {  # 100 requests a second, 2 of them errors, for 90 minutes; then no more errors
            "series": f'http_requests_total{{{labels},code="500"}}',
            "values": "0+120x90 10800+0x60",
        },
        {"series": f'http_requests_total{{{labels},code="200"}}', "values": "0+5880x150"},
    ]
    alert = {
        "alertname": "CheckoutAvailability",
        "exp_labels": {
            "category": "availability",
            "severity": "critical",
            "sloth_severity": "page",
            "sloth_id": "checkout-requests-availability",
            "sloth_service": "checkout",
            "sloth_slo": "requests-availability",
            "sloth_window": "5m",  # the short window's series, as Sloth's alerts have it
            "team": "payments",
        },
        "exp_annotations": {
            "runbook_url": "https://runbooks.example/checkout",
            "title": f"(page) {TITLE}",
        },
    }
    ticket = {
        "exp_labels": {
            **alert["exp_labels"],
            "severity": "warning",
            "sloth_severity": "ticket",
            "sloth_window": "2h",
        },
        "exp_annotations": {
            **alert["exp_annotations"],
            "title": f"(ticket) {TITLE}",
        },
    }
    test = {
        "rule_files": [str(rules)],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": series,
                "alert_rule_test": [
                    {
                        "eval_time": "80m",
                        "alertname": "CheckoutAvailability",
                        "exp_alerts": [
                            {
                                "exp_labels": alert["exp_labels"],
                                "exp_annotations": alert["exp_annotations"],
                            },
                            ticket,
                        ],
                    },
                    # Errors stopped at 90m: 35 minutes on, the page has cleared with its short
                    # windows (5m, 30m); the ticket (2h and 1d) still remembers.
                    {
                        "eval_time": "125m",
                        "alertname": "CheckoutAvailability",
                        "exp_alerts": [ticket],
                    },
                ],
            }
        ],
    }
    unit = tmp_path / "test.yml"
    unit.write_text(yaml.safe_dump(test))
    done = subprocess.run([promtool, "test", "rules", str(unit)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_durations_in_prometheus_units() -> None:
    assert [
        prometheus_duration(timedelta(minutes=m)) for m in (5, 30, 60, 120, 1440, 4320, 43200)
    ] == ["5m", "30m", "1h", "2h", "1d", "3d", "30d"]
    assert prometheus_duration(timedelta(seconds=90)) == "90s"


OTHERS = """route:
  receiver: r
receivers:
  - name: r
slos:
  - service: api
    name: fast
    objective: 99
    sli:
      latency: {metric: api_seconds, threshold: 1}
  - service: api
    name: raw
    objective: 99.9
    sli:
      raw:
        error_ratio_query: 1 - avg_over_time(probe_success{job="api"}[{{.window}}])
  - service: api
    name: sliced
    objective: 99.9
    timeslices: {slice: 1m, target: 99}
    sli:
      events:
        error_query: sum(rate(api_errors_total[{{.window}}]))
        total_query: sum(rate(api_total[{{.window}}]))
"""


def test_raw_slis_and_whole_thresholds_in_rules(tmp_path: Path) -> None:
    """A raw SLI's query is its error ratio; a latency threshold of 1 matches the bucket
    whether the exporter writes ``le="1"`` (Go) or ``le="1.0"`` (Python): promtool's rule
    tests evaluate both. Timeslice SLOs get no rules (Sloth's rules count events)."""
    promtool = require_binary("promtool", "prometheus")
    config = tmp_path / "tocsin.yaml"
    config.write_text(OTHERS)
    rules = tmp_path / "rules.yml"
    done = runner.invoke(app, ["slo", "rules", "--config", str(config), "-o", str(rules)])
    assert done.exit_code == 0, done.output
    groups = yaml.safe_load(rules.read_text())["groups"]
    assert [g["name"] for g in groups if "sli-recordings" in g["name"]] == [
        "sloth-slo-sli-recordings-api-fast",
        "sloth-slo-sli-recordings-api-raw",
    ]
    raw = groups[3]["rules"][0]["expr"]
    assert raw.strip() == '(1 - avg_over_time(probe_success{job="api"}[5m]))'
    checked = subprocess.run(
        [promtool, "check", "rules", str(rules)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr

    series = []
    for job, one in (("go", "1"), ("python", "1.0")):
        # 10 requests a second: 9 within 0.1 s, 9.5 within 1 s.
        for le, per_min in (("0.1", 540), (one, 570), ("+Inf", 600)):
            series.append(
                {
                    "series": f'api_seconds_bucket{{job="{job}",le="{le}"}}',
                    "values": f"0+{per_min}x20",
                }
            )
    test = {
        "rule_files": [str(rules)],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": series,
                "promql_expr_test": [
                    {
                        # Both jobs' buckets count: 5 % slower than 1 s (with the Go
                        # job's bucket alone it would be 52.5 %, with Python's 47.5 %).
                        "expr": 'round(slo:sli_error:ratio_rate5m{sloth_id="api-fast"}, 1e-6)',
                        "eval_time": "10m",
                        "exp_samples": [
                            {
                                "labels": '{sloth_id="api-fast",sloth_service="api",'
                                'sloth_slo="fast",sloth_window="5m"}',
                                "value": 0.05,
                            }
                        ],
                    }
                ],
            }
        ],
    }
    unit = tmp_path / "test.yml"
    unit.write_text(yaml.safe_dump(test))
    ran = subprocess.run([promtool, "test", "rules", str(unit)], capture_output=True, text=True)
    assert ran.returncode == 0, ran.stdout + ran.stderr
