"""SLOs from Sloth specs and OpenSLO documents named by ``slo_files:``; problems name the
file, the line and the key in that file."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.config.test_paging_config import load
from tocsin.config.compile import RoutingConfig
from tocsin.domain.slo_specs import EventsSli, RawSli, Timeslices
from tocsin.errors import ConfigError

CONFIG = """route:
  receiver: r
receivers:
  - name: r
slo_files: [slos/*.yaml]
"""

SLOTH = """version: "prometheus/v1"
service: "myservice"
labels:
  owner: "myteam"
slos:
  - name: "requests-availability"
    objective: 99.9
    description: "Availability of HTTP responses."
    labels:
      category: availability
    sli:
      events:
        error_query: sum(rate(http_requests_total{job="myservice",code=~"(5..|429)"}[{{.window}}]))
        total_query: sum(rate(http_requests_total{job="myservice"}[{{.window}}]))
    alerting:
      name: "MyServiceHighErrorRate"
      labels:
        category: "availability"
      annotations:
        summary: "High error rate on 'myservice' requests responses"
      page_alert:
        labels:
          severity: "pageteam"
      ticket_alert:
        labels:
          severity: "slack"
"""

OPENSLO = """apiVersion: openslo/v1
kind: SLO
metadata:
  name: orders-availability
  displayName: Orders availability
spec:
  description: Orders are placed without errors.
  service: orders
  budgetingMethod: Occurrences
  timeWindow:
    - duration: 28d
      isRolling: true
  indicator:
    metadata:
      name: orders-errors
    spec:
      ratioMetric:
        counter: true
        bad:
          metricSource:
            type: Prometheus
            spec:
              query: sum(rate(orders_total{code=~"5.."}[{{.window}}]))
        total:
          metricSource:
            type: Prometheus
            spec:
              query: sum(rate(orders_total[{{.window}}]))
  objectives:
    - displayName: Good
      target: 0.995
---
apiVersion: openslo/v1
kind: AlertPolicy
metadata:
  name: not-an-slo
spec: {}
"""


def write(tmp_path: Path, **files: str) -> None:
    (tmp_path / "slos").mkdir(exist_ok=True)
    for name, text in files.items():
        (tmp_path / "slos" / f"{name}.yaml").write_text(text)


def test_sloth_and_openslo_files_are_read(tmp_path: Path) -> None:
    write(tmp_path, sloth=SLOTH, openslo=OPENSLO)
    config = load(tmp_path, CONFIG)
    assert isinstance(config, RoutingConfig)
    assert sorted(config.slos) == ["myservice-requests-availability", "orders-orders-availability"]
    sloth = config.slos["myservice-requests-availability"]
    assert sloth.target == 99.9 and sloth.window.rolling == timedelta(days=30)
    assert sloth.labels == {"owner": "myteam", "category": "availability"}
    assert sloth.alert_name == "MyServiceHighErrorRate"
    assert sloth.page is not None and sloth.page.labels == {"severity": "pageteam"}
    openslo = config.slos["orders-orders-availability"]
    assert openslo.target == pytest.approx(99.5)
    assert openslo.window.rolling == timedelta(days=28)
    assert isinstance(openslo.sli, EventsSli)
    assert openslo.sli.error_query == 'sum(rate(orders_total{code=~"5.."}[{{.window}}]))'
    assert openslo.description == "Orders are placed without errors."


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "sloth",
            SLOTH.replace("objective: 99.9", "objective: 100"),
            "sloth.yaml:7: slos.0.objective:",
        ),
        (
            "sloth",
            SLOTH.replace(
                "    sli:\n      events:",
                "    sli:\n      plugin:\n        id: sloth-common/x\n      events:",
            ),
            "sloth.yaml:12: slos.0.sli.plugin: Sloth SLI plugins are Go code",
        ),
        (
            "sloth",
            SLOTH.replace(
                "    sli:\n      events:", "    sli:\n      raw:\n        x: 1\n      events:"
            ),
            "sloth.yaml:13: slos.0.sli.raw.x: is not a known field",
        ),
        (
            "openslo",
            OPENSLO.replace("target: 0.995", "target: 1.5"),
            "openslo.yaml:31: spec.objectives.0.target: must be above 0",
        ),
        (
            "openslo",
            OPENSLO.replace("duration: 28d", "duration: 90d"),
            "openslo.yaml:11: spec.timeWindow.0.duration: '90d' is not a window",
        ),
        (
            "other",
            "kind: Deployment\n",
            "other.yaml:1: not a Sloth prometheus/v1 spec or an OpenSLO v1 SLO",
        ),
        ("broken", "version: [", "broken.yaml:1: invalid YAML"),
    ],
)
def test_problems_name_the_file_line_and_key(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    write(tmp_path, **{name: text})
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, CONFIG)
    assert message in str(caught.value), str(caught.value)


def test_a_missing_file_is_a_problem(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no file matches"):
        load(tmp_path, CONFIG)


def test_the_same_slo_in_a_file_and_inline_is_refused(tmp_path: Path) -> None:
    write(tmp_path, sloth=SLOTH)
    inline = (
        CONFIG
        + """slos:
  - service: myservice
    name: requests-availability
    objective: 99
    sli: {builtin: {}}
"""
    )
    with pytest.raises(ConfigError, match="SLO 'myservice-requests-availability' is also in slos:"):
        load(tmp_path, inline)


def test_a_sloth_raw_sli_is_read(tmp_path: Path) -> None:
    raw = SLOTH.replace(
        """      events:
        error_query: sum(rate(http_requests_total{job="myservice",code=~"(5..|429)"}[{{.window}}]))
        total_query: sum(rate(http_requests_total{job="myservice"}[{{.window}}]))""",
        """      raw:
        error_ratio_query: 1 - avg_over_time(up{job="myservice"}[{{.window}}])""",
    )
    write(tmp_path, sloth=raw)
    config = load(tmp_path, CONFIG)
    assert isinstance(config, RoutingConfig)
    sli = config.slos["myservice-requests-availability"].sli
    assert sli == RawSli('1 - avg_over_time(up{job="myservice"}[{{.window}}])')


def test_openslo_timeslices_are_read(tmp_path: Path) -> None:
    sliced = OPENSLO.replace("budgetingMethod: Occurrences", "budgetingMethod: Timeslices").replace(
        "      target: 0.995",
        "      target: 0.995\n      timeSliceTarget: 0.95\n      timeSliceWindow: 5m",
    )
    write(tmp_path, openslo=sliced)
    config = load(tmp_path, CONFIG)
    assert isinstance(config, RoutingConfig)
    spec = config.slos["orders-orders-availability"]
    assert spec.budgeting == Timeslices(timedelta(minutes=5), 0.95)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("      timeSliceTarget: 1.5\n", "openslo.yaml:32: spec.objectives.0.timeSliceTarget:"),
        (
            "      timeSliceTarget: 0.9\n      timeSliceWindow: 30s\n",
            "openslo.yaml:33: spec.objectives.0.timeSliceWindow: must be whole minutes",
        ),
    ],
)
def test_openslo_timeslice_problems_name_the_key(tmp_path: Path, line: str, message: str) -> None:
    sliced = OPENSLO.replace("budgetingMethod: Occurrences", "budgetingMethod: Timeslices").replace(
        "      target: 0.995\n", "      target: 0.995\n" + line
    )
    write(tmp_path, openslo=sliced)
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, CONFIG)
    assert message in str(caught.value), str(caught.value)
