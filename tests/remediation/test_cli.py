"""``tocsin remediation list|run|approve|runs`` on the server's database."""

from __future__ import annotations

from typing import Any

from typer.testing import CliRunner

from tests.remediation.test_runs import GUARDED
from tocsin.cli.main import app
from tocsin.notify.remediation_requests import RUN
from tocsin.store import timers as timer_store

runner = CliRunner()


def tocsin(r: Any, *args: str) -> Any:
    return runner.invoke(
        app,
        [*args, "--config", str(r.h.config), "--database-url", r.h.db_url],
        env={"COLUMNS": "200"},
    )


def test_list_run_approve_and_runs(remediation: Any) -> None:
    r = remediation(actions=GUARDED)
    incident = r.incident()
    listed = tocsin(r, "remediation", "list")
    assert listed.exit_code == 0, listed.output
    assert "failover" in listed.output and "/bin/echo failed over" in listed.output
    assert "3 runs per 1h 00m" in listed.output
    asked = tocsin(r, "remediation", "run", "failover", "--incident", str(incident), "--as", "bob")
    assert asked.exit_code == 0, asked.output
    assert asked.output.strip() == f"Run 1: failover for incident #{incident}: awaiting_approval"
    own = tocsin(r, "remediation", "approve", "1", "--as", "bob")
    assert own.exit_code == 1
    assert "user: the person who asked for a run cannot approve it" in own.output
    ok = tocsin(r, "remediation", "approve", "1", "--as", "cat")
    assert ok.exit_code == 0 and "queued" in ok.output
    # The server's engine runs it (it runs on the tests' fake clock, the CLI on the wall
    # clock: bring the job to the engine's now).
    with r.runtime.db.write() as conn:
        timer_store.schedule(conn, RUN, "1", r.h.clock.now())
    r.h.tick()
    runs = tocsin(r, "remediation", "runs", "--incident", str(incident), "--output")
    assert runs.exit_code == 0
    assert "succeeded" in runs.output and "cat" in runs.output and "failed over" in runs.output


def test_dry_run_and_errors(remediation: Any) -> None:
    r = remediation()
    incident = r.incident()
    dry = tocsin(r, "remediation", "run", "restart-api", "--incident", str(incident), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "dry_run" in dry.output and f"Would run: POST {r.server.url}/ok" in dry.output
    assert r.server.received == []
    unknown = tocsin(r, "remediation", "run", "nope", "--incident", str(incident))
    assert unknown.exit_code == 1 and "action: no action 'nope'" in unknown.output
    absent = tocsin(r, "remediation", "run", "echo", "--incident", "999")
    assert absent.exit_code == 1 and "no incident 999" in absent.output
