"""Who is in the cluster: each node registers when it starts, beats while it runs and
leaves when it stops; the API and the CLI show the nodes and the configuration versions."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tocsin.api.app import create_app
from tocsin.cli.main import app
from tocsin.engine.clock import FakeClock
from tocsin.services.runtime import Runtime
from tocsin.settings import Settings

CONFIG = """\
route:
  receiver: team
receivers:
  - name: team
"""


def _node(db_url: str, clock: FakeClock, config: Path, name: str) -> Runtime:
    runtime = Runtime.build(
        Settings(
            database_url=db_url,
            config=str(config),
            sqlite_synchronous="NORMAL",
            node_name=name,
            cluster_poll=timedelta(minutes=5),
        ),
        clock=clock,
        run_engine=False,
    )
    runtime.start()
    return runtime


def test_the_nodes_and_the_versions(db_url: str, clock: FakeClock, tmp_path: Path) -> None:
    config = tmp_path / "tocsin.yaml"
    config.write_text(CONFIG)
    a = _node(db_url, clock, config, "alpha")
    b = _node(db_url, clock, config, "beta")
    try:
        assert a.cluster.node.startswith("alpha-") and b.cluster.node.startswith("beta-")
        assert a.runner.owner == a.cluster.node  # its timers' leases name it
        _, token = a.api_tokens.create(kind="service", name="t", scope="manage", created_by="t")
        client = TestClient(create_app(a, manage_runtime=False))
        found = client.get("/api/cluster", headers={"Authorization": f"Bearer {token}"})
        assert found.status_code == 200, found.text
        body = found.json()
        assert body["node"] == a.cluster.node
        assert {n["id"]: (n["alive"], n["this"]) for n in body["nodes"]} == {
            a.cluster.node: (True, True),
            b.cluster.node: (True, False),
        }
        assert body["config"] == {"version": 1, "problem": None}
        assert [v["version"] for v in body["config_versions"]] == [1]
        assert body["schema"]["revision"] == body["schema"]["head"]
        # b stops beating (it died): three beats later it is shown as gone.
        clock.advance(timedelta(minutes=16))
        a.cluster.beat()
        alive = {v.node.id: v.alive for v in a.cluster.status().nodes}
        assert alive == {a.cluster.node: True, b.cluster.node: False}
        # A read token is not enough: admins only.
        _, reader = a.api_tokens.create(kind="service", name="r", scope="read", created_by="t")
        refused = client.get("/api/cluster", headers={"Authorization": f"Bearer {reader}"})
        assert refused.status_code == 403
    finally:
        b.stop()
    cli = CliRunner().invoke(app, ["cluster", "status", "--json", "--database-url", db_url])
    assert cli.exit_code == 0, cli.output
    listed = json.loads(cli.output)
    assert [n["id"] for n in listed["nodes"]] == [a.cluster.node]  # b left when it stopped
    a.stop()
    table = CliRunner().invoke(app, ["cluster", "status", "--database-url", db_url])
    assert table.exit_code == 0 and "no node is running" in table.output
    assert "config version" in table.output
