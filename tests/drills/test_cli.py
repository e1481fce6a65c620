"""``tocsin drill run|report|list`` and ``tocsin incident declare --drill`` on the server's
database (the server's engine pages)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from tocsin.cli.main import app

runner = CliRunner()


def tocsin(d: Any, *args: str) -> Any:
    return runner.invoke(
        app,
        [*args, "--config", str(d.h.config), "--database-url", d.h.db_url],
        env={"COLUMNS": "200"},
    )


def test_run_report_and_list(drills: Any, tmp_path: Path) -> None:
    d = drills()
    made = tocsin(d, "drill", "run", "platform", "--severity", "SEV2", "--title", "CLI drill")
    assert made.exit_code == 0, made.output
    found = re.search(r"Drill #(\d+) CLI drill on platform: paging", made.output)
    assert found, made.output
    incident_id = int(found.group(1))
    assert f"/drills/{incident_id}" in made.output
    incident = d.runtime.incidents.get(incident_id)
    assert incident.drill and incident.severity.value == "SEV2" and incident.policy == "platform"
    d.at(incident.created_at)  # the CLI's clock is the wall clock; the server's engine pages
    assert d.mails_to("ann@example.com")[0]["Subject"].startswith("[DRILL] ")
    shown = tocsin(d, "drill", "report", str(incident_id))
    assert shown.exit_code == 0, shown.output
    assert "ann, cat" in shown.output
    assert "cat by email failed" in shown.output
    out = tmp_path / "report.md"
    saved = tocsin(d, "drill", "report", str(incident_id), "--output", str(out))
    assert saved.exit_code == 0, saved.output
    assert out.read_text().startswith(f"# Drill report: #{incident_id} CLI drill")
    listed = tocsin(d, "drill", "list")
    assert listed.exit_code == 0, listed.output
    assert "CLI drill" in listed.output
    refused = tocsin(d, "drill", "run", "nope")
    assert refused.exit_code != 0
    assert "no escalation policy 'nope'" in refused.output


def test_declare_a_drill(drills: Any) -> None:
    d = drills()
    made = tocsin(
        d, "incident", "declare", "--title", "Declared drill", "--policy", "platform", "--drill"
    )
    assert made.exit_code == 0, made.output
    (incident,) = d.runtime.incidents.incidents()
    assert incident.drill
    not_a_drill = tocsin(d, "drill", "report", str(incident.id + 1))
    assert not_a_drill.exit_code != 0
