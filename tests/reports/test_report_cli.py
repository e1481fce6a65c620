"""``tocsin report incidents`` and ``tocsin report alerts`` over the history of ``conftest``
(the figures are worked out in test_report_api)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tests.reports.conftest import History
from tocsin.cli.main import app
from tocsin.cli.reports import report_app

DAY = ["--start", "2026-03-01", "--end", "2026-03-02"]


def run(history: History, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(
        app,
        [*args, "--config", str(history.h.config), "--database-url", history.h.db_url],
        env={"COLUMNS": "220"},
    )
    assert result.exit_code == code, result.output
    return result.output


def test_incidents_by_severity_in_the_terminal(history: History) -> None:
    out = run(history, "report", "incidents", *DAY)
    assert "Incidents opened 2026-03-01 00:00 to 2026-03-02 00:00 UTC, by severity" in out
    sev1 = next(line for line in out.splitlines() if "SEV1" in line)
    # MTTD p50 / p90 / mean (n): 0, 2m, 1m over two; MTTR 10m, 15m, mean 12m30s.
    assert "0s / 2m 00s / 1m 00s (n=2)" in sev1
    assert "5m 00s / 5m 00s / 5m 00s (n=1)" in sev1
    assert "10m 00s / 15m 00s / 12m 30s (n=2)" in sev1
    assert "postmortems published: 0 of 2 required (0 %)" in out
    assert "action items done on time: 0 of 0 due (-)" in out
    assert "repeat incidents: 1" in out  # #2 repeats #1
    month = next(line for line in out.splitlines() if line.startswith("│ 2026-03"))
    assert [c.strip() for c in month.split("│")[1:-1]] == ["2026-03", "2", "1", "1", "0", "4"]


def test_incidents_as_csv_to_a_file_and_to_standard_output(
    history: History, tmp_path: Path
) -> None:
    target = tmp_path / "by-month.csv"
    out = run(history, "report", "incidents", *DAY, "--by", "month", "--csv", str(target))
    assert f"wrote {target}" in out.replace("\n", "")
    assert target.read_text().splitlines()[1] == (
        "2026-03,4,3,140,120,300,2,180,60,300,1,600,600,600,3,900,900,1200"
    )
    shown = run(history, "report", "incidents", *DAY, "--csv", "-")
    assert shown.splitlines()[1] == "SEV1,2,2,60,0,120,1,300,300,300,0,,,,2,750,600,900"


def test_alerts_and_the_never_actioned_list(history: History) -> None:
    out = run(history, "report", "alerts", *DAY)
    disk = next(line for line in out.splitlines() if "DiskFull" in line)
    cells = [c.strip() for c in disk.split("│")[1:-1]]
    assert cells == ["DiskFull", "api", "2", "2", "2", "1", "1", "1 (12m 00s)", "1"]
    assert out.rstrip().endswith("none")  # nothing fired 3 times or more
    out = run(history, "report", "alerts", *DAY, "--min-fired", "1")
    never = out[out.index("Never actioned (fired 1 times or more") :]
    assert "HighLatency" in never and "DiskFull" not in never
    assert run(history, "report", "alerts", *DAY, "--csv", "-").splitlines()[1] == (
        "DiskFull,api,2,2,2,1,1,1,720,1,no"
    )


def test_bad_options_are_named(history: History) -> None:
    assert "--by: 'weekday' is not one of" in run(
        history, "report", "incidents", "--by", "weekday", code=1
    )
    assert "start: 'soon' is not a date" in run(
        history, "report", "incidents", "--start", "soon", code=1
    )
    assert "--flap-window" in run(history, "report", "alerts", "--flap-window", "x", code=1)


def test_the_report_app_takes_more_commands() -> None:
    names = {c.name for c in report_app.registered_commands}
    assert {"incidents", "alerts"} <= names
