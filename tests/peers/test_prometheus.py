"""A real Prometheus sends its firing alerts to Tocsin as it would to an Alertmanager."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.live_server import free_port
from tests.peers.conftest import (
    Tocsin,
    require_binary,
    running,
    scrape_metric,
    tail,
    unique,
    wait_for,
)

pytestmark = pytest.mark.peer

ALERT_NAME = "TocsinPeerAlwaysFiring"
ZERO_TIME = "0001-01-01T00:00:00"


@dataclass
class Prometheus:
    url: str
    log: Path

    def metric(self, name: str) -> float:
        return scrape_metric(f"{self.url}/metrics", name)

    def diagnostics(self) -> str:
        return tail(self.log)


@contextmanager
def prometheus(
    workdir: Path, tocsin: Tocsin, auth: dict[str, Any], run: str
) -> Iterator[Prometheus]:
    """Prometheus evaluating one always-firing rule every second, alerting Tocsin."""
    binary = require_binary("prometheus", "prometheus")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    rules = {
        "groups": [
            {
                "name": "peer",
                "interval": "1s",
                "rules": [
                    {
                        "alert": ALERT_NAME,
                        "expr": "vector(1)",
                        "labels": {"severity": "page", "test": run},
                        "annotations": {
                            "summary": "always firing on {{ $externalLabels.replica }}",
                            "value": "{{ $value }}",
                        },
                    }
                ],
            }
        ]
    }
    rules_file = workdir / "rules.yml"
    rules_file.write_text(yaml.safe_dump(rules))
    config = {
        "global": {"evaluation_interval": "1s", "external_labels": {"replica": "peer-a"}},
        "rule_files": [str(rules_file)],
        "alerting": {
            "alertmanagers": [
                {
                    "api_version": "v2",
                    "timeout": "2s",
                    "static_configs": [{"targets": [f"127.0.0.1:{tocsin.port}"]}],
                    **auth,
                }
            ]
        },
    }
    config_file = workdir / "prometheus.yml"
    config_file.write_text(yaml.safe_dump(config))
    cmd = [
        binary,
        f"--config.file={config_file}",
        f"--storage.tsdb.path={workdir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        f"--web.external-url={url}/",
        # Resend every evaluation: the first firing may come before the (throttled)
        # discovery of the alertmanager target, and would otherwise wait a minute.
        "--rules.alert.resend-delay=1s",
    ]
    log = workdir / "prometheus.log"
    with running(cmd, log, f"{url}/-/ready", cwd=workdir):
        yield Prometheus(url=url, log=log)


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


AUTH = {
    "authorization": lambda token: {"authorization": {"type": "Bearer", "credentials": token}},
    "basic_auth": lambda token: {"basic_auth": {"username": "prometheus", "password": token}},
    "wrong_token": lambda token: {"authorization": {"type": "Bearer", "credentials": "0" * 32}},
}


@dataclass
class Run:
    prometheus: Prometheus
    test: str  # the rule's unique `test` label
    started: datetime


@pytest.fixture(scope="module")
def runs(tocsin: Tocsin, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Run]]:
    """One Prometheus per auth variant, all started at once: each spends its first seconds
    waiting for the throttled discovery of its alertmanager target."""
    with ExitStack() as stack:
        out = {}
        for kind, auth in AUTH.items():
            test = unique(f"prom-{kind}")
            workdir = tmp_path_factory.mktemp(f"prometheus-{kind}")
            started = datetime.now(UTC)
            prom = stack.enter_context(prometheus(workdir, tocsin, auth(tocsin.token), test))
            out[kind] = Run(prom, test, started)
        yield out


@pytest.mark.parametrize("auth_kind", ["authorization", "basic_auth"])
def test_prometheus_alert_arrives_in_tocsin(
    tocsin: Tocsin, runs: dict[str, Run], auth_kind: str
) -> None:
    run = runs[auth_kind]
    prom = run.prometheus
    alerts = wait_for(
        lambda: tocsin.open_alerts(f'test="{run.test}"'),
        "Prometheus's alert in Tocsin",
        diagnostics=lambda: prom.diagnostics() + "\n" + tocsin.diagnostics(),
    )
    now = datetime.now(UTC)
    # Further sends keep succeeding: Tocsin answers every one with a 2xx.
    wait_for(lambda: prom.metric("prometheus_notifications_sent_total") >= 2, "a resend")
    assert prom.metric("prometheus_notifications_errors_total") == 0, prom.diagnostics()

    assert len(alerts) == 1, alerts
    alert = alerts[0]
    assert alert["labels"] == {
        "alertname": ALERT_NAME,
        "severity": "page",
        "test": run.test,
        "replica": "peer-a",  # Prometheus's external labels are part of the alert
    }
    assert alert["annotations"] == {"summary": "always firing on peer-a", "value": "1"}
    assert alert["generatorURL"].startswith(f"{prom.url}/graph?g0.expr="), alert
    assert "vector%281%29" in alert["generatorURL"], alert
    assert not alert["startsAt"].startswith(ZERO_TIME)
    starts_at = _time(alert["startsAt"])
    assert run.started - timedelta(seconds=5) <= starts_at <= now, alert
    # Prometheus sends endsAt = now + 4 x resend delay; Tocsin keeps it as given.
    assert now < _time(alert["endsAt"]) <= now + timedelta(minutes=1), alert
    assert alert["status"]["state"] == "active"


def test_prometheus_with_a_wrong_token_stores_nothing(tocsin: Tocsin, runs: dict[str, Run]) -> None:
    run = runs["wrong_token"]
    prom = run.prometheus
    # An error is counted only once Tocsin has answered (or failed) a real attempt.
    wait_for(
        lambda: prom.metric("prometheus_notifications_errors_total") >= 2,
        "Prometheus to fail sending twice",
        diagnostics=prom.diagnostics,
    )
    assert tocsin.open_alerts(f'test="{run.test}"') == []
    assert [a for a in tocsin.stored() if a["labels"].get("test") == run.test] == []
    assert "401 Unauthorized" in prom.log.read_text(), prom.diagnostics()
