"""``tocsin runbook list`` and ``show`` on the server's database and configuration."""

from __future__ import annotations

from typing import Any

from typer.testing import CliRunner

from tests.runbooks.conftest import LATENCY, utc
from tocsin.cli.main import app

runner = CliRunner()


def tocsin(b: Any, *args: str) -> Any:
    return runner.invoke(
        app,
        [*args, "--config", str(b.h.config), "--database-url", b.h.db_url],
        env={"COLUMNS": "320"},  # whole tmp paths, however deep pytest puts them,
    )


def test_list_flags_stale_runbooks_and_show_prints_one(books: Any) -> None:
    # The command reads the wall clock: the file's review is in the future, never stale.
    b = books(files={"api-latency": LATENCY.replace("2026-02-01", "2099-01-01")})
    b.post("/api/runbooks", {"slug": "disk-full", "title": "Disk full", "alerts": ["DiskFull"]})
    listed = tocsin(b, "runbook", "list")
    assert listed.exit_code == 0, listed.output
    lines = {line.split()[1]: line for line in listed.output.splitlines() if "│ " in line}
    assert "STALE" in lines["disk-full"] and "database" in lines["disk-full"]
    assert "STALE" not in lines["api-latency"] and "api-latency.md" in lines["api-latency"]
    stale = tocsin(b, "runbook", "list", "--stale")
    assert "disk-full" in stale.output and "api-latency" not in stale.output

    b.alert("APIHighLatency", service="api")
    b.at(utc(2026, 3, 1, 13, 0))
    shown = tocsin(b, "runbook", "show", "api-latency")
    assert shown.exit_code == 0, shown.output
    assert "Owner: platform" in shown.output and "Stale: no" in shown.output
    assert "## Quick assessment" in shown.output
    assert "[#1](/incidents/1)" in shown.output
    missing = tocsin(b, "runbook", "show", "nothing")
    assert missing.exit_code == 1 and "no runbook 'nothing'" in missing.output
