"""GET /api/v2/alerts with a routing configuration: receivers, inhibition, silences, status."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tocsin.api.app import create_app
from tocsin.domain.integrations import IntegrationKind
from tocsin.engine.clock import FakeClock
from tocsin.errors import ConfigError
from tocsin.services.runtime import Runtime
from tocsin.settings import Settings

CONFIG = """route:
  receiver: default
  routes:
    - matchers: ['team="db"']
      receiver: dba
      continue: true
    - matchers: ['severity="critical"']
      receiver: pager
inhibit_rules:
  - source_matchers: ['severity="critical"']
    target_matchers: ['severity="warning"']
    equal: [cluster]
receivers:
  - name: default
  - name: dba
  - name: pager
"""


@pytest.fixture
def routed(db_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[tuple[TestClient, str]]:
    path = tmp_path / "tocsin.yaml"
    path.write_text(CONFIG)
    runtime = Runtime.build(
        Settings(database_url=db_url, config=str(path)), clock=clock, run_engine=False
    )
    runtime.start()
    _, token = runtime.integrations.create("prom", IntegrationKind.ALERTMANAGER)
    try:
        with TestClient(create_app(runtime, manage_runtime=False)) as client:
            yield client, token
    finally:
        runtime.stop()


def alert(name: str, **labels: str) -> dict:
    return {"labels": {"alertname": name, **labels}, "endsAt": "2026-03-02T00:00:00Z"}


def test_receivers_inhibition_and_filters(routed: tuple[TestClient, str]) -> None:
    client, token = routed
    h = {"Authorization": f"Bearer {token}"}
    client.post(
        "/api/v2/alerts",
        json=[
            alert("DiskFull", team="db", severity="critical", cluster="eu"),
            alert("SlowQueries", team="db", severity="warning", cluster="eu"),
            alert("Latency", severity="warning", cluster="us"),
        ],
        headers=h,
    )
    views = {a["labels"]["alertname"]: a for a in client.get("/api/v2/alerts", headers=h).json()}
    assert views["DiskFull"]["receivers"] == [{"name": "dba"}, {"name": "pager"}]
    assert views["SlowQueries"]["receivers"] == [{"name": "dba"}]
    assert views["Latency"]["receivers"] == [{"name": "default"}]
    assert views["SlowQueries"]["status"] == {
        "state": "suppressed",
        "silencedBy": [],
        "inhibitedBy": [views["DiskFull"]["fingerprint"]],
        "mutedBy": [],
    }
    assert views["Latency"]["status"]["state"] == "active"  # another cluster

    def names(**params: str) -> list[str]:
        got = client.get("/api/v2/alerts", params=params, headers=h).json()
        return sorted(a["labels"]["alertname"] for a in got)

    assert names(inhibited="false") == ["DiskFull", "Latency"]
    assert names(active="false") == ["SlowQueries"]
    assert names(receiver="dba") == ["DiskFull", "SlowQueries"]
    assert names(receiver="pag.*") == ["DiskFull"]
    assert names(receiver="pag") == []  # anchored

    status = client.get("/api/v2/status", headers=h).json()
    assert status["config"]["original"] == CONFIG
    receivers = client.get("/api/v2/receivers", headers=h).json()
    assert receivers == [{"name": "default"}, {"name": "dba"}, {"name": "pager"}]


def test_an_invalid_configuration_refuses_to_start(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "tocsin.yaml"
    path.write_text(CONFIG.replace("receiver: pager", "receiver: nobody"))
    with pytest.raises(ConfigError, match="undefined receiver 'nobody'"):
        Runtime.build(Settings(database_url=db_url, config=str(path)))


def test_reload_swaps_the_configuration_and_keeps_it_when_the_new_one_is_bad(
    routed: tuple[TestClient, str], tmp_path: Path
) -> None:
    client, token = routed
    h = {"Authorization": f"Bearer {token}"}
    client.post("/api/v2/alerts", json=[alert("Latency", severity="warning")], headers=h)

    def receivers() -> list[str]:
        [view] = client.get("/api/v2/alerts", headers=h).json()
        return [r["name"] for r in view["receivers"]]

    assert receivers() == ["default"]
    path = tmp_path / "tocsin.yaml"
    path.write_text(CONFIG.replace("receiver: default\n  routes", "receiver: dba\n  routes"))
    r = client.post("/-/reload")
    assert r.status_code == 200 and r.json()["status"] == "success"
    assert receivers() == ["dba"]

    path.write_text(CONFIG.replace("receiver: pager", "receiver: nobody"))
    r = client.post("/-/reload")
    assert r.status_code == 500
    assert "undefined receiver 'nobody'" in r.json()["message"]
    assert receivers() == ["dba"]  # the last good configuration keeps running
    assert "receiver: dba" in client.get("/api/v2/status", headers=h).json()["config"]["original"]
