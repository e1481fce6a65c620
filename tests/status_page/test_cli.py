"""``tocsin status ...`` on the same database the server uses."""

from __future__ import annotations

from typer.testing import CliRunner

from tocsin.cli.main import app

runner = CliRunner()


def run(db: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["status", *args], env={"TOCSIN_DATABASE_URL": db})
    return result.exit_code, result.output


def test_components_incidents_and_maintenance_from_the_command_line(db_url: str):
    assert run(db_url, "group", "add", "Core") == (0, "group 1: Core\n")
    assert run(db_url, "component", "add", "API", "--group", "1") == (0, "component 1: API\n")
    code, out = run(
        db_url, "incident", "publish", "API errors", "-m", "Looking.", "-c", "1=major_outage"
    )
    assert code == 0 and "#1 API errors: investigating (incident, impact critical)" in out
    code, out = run(db_url, "show")
    assert code == 0 and "Major System Outage (critical)" in out and "major_outage" in out
    code, out = run(db_url, "incident", "update", "1", "--status", "resolved", "-m", "Fixed.")
    assert code == 0 and "resolved" in out
    code, out = run(db_url, "show")
    assert "All Systems Operational (none)" in out
    code, out = run(
        db_url,
        "maintenance",
        "schedule",
        "DB upgrade",
        "--from",
        "2030-01-01T00:00Z",
        "--to",
        "2030-01-01T01:00Z",
        "-m",
        "Upgrading.",
        "-c",
        "1",
    )
    assert code == 0 and "#2 DB upgrade: scheduled (maintenance" in out
    code, out = run(db_url, "incident", "list", "--all")
    assert code == 0 and "DB upgrade" in out and "API errors" in out
    assert run(db_url, "subscriber", "add-webhook", "https://hooks.example.org/x")[0] == 0
    code, out = run(db_url, "subscriber", "list")
    assert code == 0 and "webhook" in out and "https://" in out


def test_errors_are_one_line_naming_the_field(db_url: str):
    run(db_url, "component", "add", "API")
    code, out = run(db_url, "component", "set", "1", "down")
    assert code == 1 and "status: must be one of operational" in out
    code, out = run(db_url, "incident", "publish", "X", "-m", "y", "-c", "one=major_outage")
    assert code == 1 and "component[0]: 'one=major_outage' is not ID=STATUS" in out
    code, out = run(db_url, "component", "set", "9", "operational")
    assert code == 1 and "no component 9" in out
