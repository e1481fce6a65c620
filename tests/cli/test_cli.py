"""The ``tocsin`` command line, run in-process on a temp SQLite database."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.live_server import LiveServer
from tocsin import __version__
from tocsin.cli.main import app
from tocsin.store import migrate

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/cli.db"


def run(*args: str, db: str | None = None) -> tuple[int, str]:
    env = {"TOCSIN_DATABASE_URL": db} if db else {}
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.output


def test_version() -> None:
    code, out = run("--version")
    assert code == 0 and out.strip() == f"tocsin {__version__}"


def test_db_upgrade(db: str) -> None:
    code, out = run("db", "upgrade", db=db)
    assert code == 0 and f"revision {migrate.head_revision()}" in out


def test_integration_lifecycle(db: str) -> None:
    code, out = run("integration", "create", "prom", "--kind", "alertmanager", db=db)
    assert code == 0
    token = re.search(r"[0-9a-f]{32}", out).group(0)  # type: ignore[union-attr]
    code, out = run("integration", "list", db=db)
    assert code == 0 and "prom" in out and "alertmanager" in out and token not in out
    code, out = run("integration", "rotate-token", "prom", db=db)
    new = re.search(r"[0-9a-f]{32}", out).group(0)  # type: ignore[union-attr]
    assert code == 0 and new != token


def test_errors_are_one_line_and_nonzero(db: str) -> None:
    run("integration", "create", "prom", "--kind", "alertmanager", db=db)
    code, out = run("integration", "create", "prom", "--kind", "pagerduty", db=db)
    assert code == 1 and out.strip() == "error: an integration named 'prom' already exists"
    code, out = run("integration", "rotate-token", "nope", db=db)
    assert code == 1 and "no integration named 'nope'" in out
    code, _ = run("integration", "create", "x", "--kind", "carrier-pigeon", db=db)
    assert code == 2
    code, out = run("alerts", 'job=~"("', db=db)
    assert code == 1 and out.startswith("error: matcher:")


def test_mapping_errors_name_file_line_and_key(db: str, tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("title: alert.name\nlabels:\n  host: tags.host\n  bad-name: x\n")
    code, out = run(
        "integration", "create", "hook", "--kind", "webhook", "--mapping", str(mapping), db=db
    )
    assert code == 1
    assert f"{mapping}:4: labels.bad-name: invalid label name" in out.replace("\n", "")
    assert "[a-zA-Z_]" in out  # not eaten as markup
    mapping.write_text("title: [unclosed\n")
    code, out = run(
        "integration", "create", "hook", "--kind", "webhook", "--mapping", str(mapping), db=db
    )
    assert code == 1 and f"{mapping}:2: invalid YAML" in out.replace("\n", "")
    mapping.write_text("status: state\n")
    code, out = run(
        "integration", "create", "hook", "--kind", "webhook", "--mapping", str(mapping), db=db
    )
    assert code == 1 and "title: is required" in out
    code, out = run("integration", "list", db=db)
    assert "hook" not in out


@pytest.mark.slow
def test_send_and_list_against_a_live_server(db: str, tmp_path: Path) -> None:
    server = LiveServer(db, tmp_path)
    token = server.create_integration("cli", "alertmanager")
    server.start()
    try:
        common = ("--token", token, "--url", server.url)
        code, out = run("alert", "send", "DiskFull", "host=db-1", "-a", "summary=93% used", *common)
        assert code == 0, out
        code, _ = run("alert", "send", "alertname=CpuHigh", "host=web-1", *common)
        assert code == 0
        code, out = run("alerts", "--firing", 'host=~"db.*"', db=db)
        assert code == 0 and "DiskFull" in out and "CpuHigh" not in out and "1 alert(s)" in out
        code, _ = run("alert", "send", "DiskFull", "host=db-1", "--resolve", *common)
        assert code == 0
        code, out = run("alerts", "--firing", db=db)
        assert "DiskFull" not in out and "CpuHigh" in out
        code, out = run("alerts", db=db)
        assert "resolved" in out and "2 alert(s)" in out
        code, out = run("alert", "send", "X", "bad-label=1", *common)
        assert code == 1 and "bad-label" in out
        code, out = run("alert", "send", "X", "--token", "0" * 32, "--url", server.url)
        assert code == 1 and "401" in out
    finally:
        server.stop()


def test_silence_add_list_expire(db: str) -> None:
    code, out = run(
        "silence", "add", 'job="api"', 'instance=~"web-.*"', "-c", "deploy", "-a", "ann",
        "-d", "2h", db=db,
    )  # fmt: skip
    assert code == 0
    silence_id = out.strip()
    code, out = run("silence", "list", db=db)
    assert code == 0 and silence_id[:8] in out and "active" in out and "deploy" in out
    code, out = run("silence", "expire", silence_id, db=db)
    assert code == 0 and f"expired {silence_id}" in out
    code, out = run("silence", "list", db=db)
    assert silence_id[:8] not in out
    code, out = run("silence", "list", "--expired", db=db)
    assert silence_id[:8] in out and "expired" in out
    code, out = run("silence", "expire", silence_id, db=db)
    assert code == 1 and "already expired" in out
    code, out = run("silence", "add", 'job=~".*"', "-c", "x", "-a", "ann", db=db)
    assert code == 1 and "must not match the empty string" in out
    code, out = run("silence", "add", 'job="a"', "-c", "x", "-a", "ann", "-d", "soon", db=db)
    assert code == 1 and "not a valid duration" in out
