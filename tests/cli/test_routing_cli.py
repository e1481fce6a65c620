"""``tocsin config check``, ``tocsin route test`` and ``tocsin route show``."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tests.live_server import LiveServer
from tocsin.cli.main import app

runner = CliRunner()

CONFIG = """route:
  receiver: default
  group_by: [alertname]
  routes:
    - matchers: ['team="a"']
      receiver: team-a
      continue: true
    - match_re: {service: "db|api"}
      receiver: team-b
receivers:
  - name: default
  - name: team-a
  - name: team-b
    webhook_configs: [{url: "http://127.0.0.1:9/hook"}]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tocsin.yaml"
    path.write_text(text)
    return path


def test_check_reports_ok(tmp_path: Path) -> None:
    path = write(tmp_path, CONFIG)
    result = runner.invoke(app, ["config", "check", str(path)])
    assert result.exit_code == 0
    assert "OK: 3 route(s), 3 receiver(s)" in result.output


def test_check_names_every_problem(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        CONFIG.replace("receiver: team-b", "receiver: team-z").replace(
            "group_by: [alertname]", "group_by: [alertname]\n  group_wait: soon"
        ),
    )
    result = runner.invoke(app, ["config", "check", str(path)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert f"{path}:4: route.group_wait: not a valid duration string" in lines[0]
    assert (
        lines[1] == f"{path}:10: route.routes.1.receiver: undefined receiver 'team-z' used in route"
    )


def test_route_test_prints_receivers_in_order(tmp_path: Path) -> None:
    path = write(tmp_path, CONFIG)
    for labels, expected in (
        (["team=a", "service=db"], "team-a,team-b"),
        (["team=a"], "team-a"),
        (["service=dbx"], "default"),
    ):
        result = runner.invoke(app, ["route", "test", "--config", str(path), *labels])
        assert result.exit_code == 0 and result.output.strip() == expected
    result = runner.invoke(app, ["route", "test", "--config", str(path), "bad-name=x"])
    assert result.exit_code == 1 and "bad-name" in result.output


def test_route_show_and_default_file(tmp_path: Path) -> None:
    write(tmp_path, CONFIG)
    result = runner.invoke(
        app, ["route", "show"], env={"TOCSIN_CONFIG": str(tmp_path / "tocsin.yaml")}
    )
    assert result.exit_code == 0
    assert "default-route  receiver: default" in result.output
    assert '{team="a"}  continue: true  receiver: team-a' in result.output
    result = runner.invoke(app, ["route", "show", "--config", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 1 and "no such file" in result.output


@pytest.mark.slow
def test_serve_reloads_on_sighup(tmp_path: Path) -> None:
    config = write(tmp_path, CONFIG)
    server = LiveServer(f"sqlite:///{tmp_path}/t.db", tmp_path, env={"TOCSIN_CONFIG": str(config)})
    auth = {"Authorization": f"Bearer {server.create_integration('prom', 'alertmanager')}"}
    server.start()
    try:

        def shown() -> str:
            status = httpx.get(f"{server.url}/api/v2/status", headers=auth).json()
            # The webhook's URL is a secret, shown as Alertmanager shows it.
            text: str = status["config"]["original"]
            return text.replace("<secret>", '"http://127.0.0.1:9/hook"')

        assert shown() == CONFIG
        changed = CONFIG.replace("receiver: team-a", "receiver: default")
        config.write_text(changed)
        assert server.process is not None
        server.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if shown() == changed:
                break
            time.sleep(0.1)
        else:
            raise AssertionError("SIGHUP did not reload the configuration")
        config.write_text("route: [broken\n")
        server.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while "configuration not reloaded" not in server.log.read_text():
            assert time.monotonic() < deadline, "a bad file on SIGHUP was not reported"
            time.sleep(0.1)
        assert shown() == changed
    finally:
        server.stop()
