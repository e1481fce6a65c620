"""``tocsin report oncall`` on the scenario's database (conftest): the table per person, the
fairness per schedule, CSV to a file, and errors as one line. The command is registered on a
small app here (the lead registers it under ``tocsin report``)."""

from __future__ import annotations

import csv
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner

from tocsin.cli.report_oncall import oncall

app = typer.Typer()
app.command("oncall")(oncall)


@app.callback()
def report() -> None:
    """Reports."""


runner = CliRunner()
PERIOD = ["--start", "2026-03-01T12:00:00Z", "--end", "2026-03-03T12:00:00"]


def tocsin(s: Any, *args: str) -> Any:
    return runner.invoke(
        app,
        ["oncall", *args, "--config", str(s.h.config), "--database-url", s.h.db_url],
        env={"COLUMNS": "220"},
    )


def _row(output: str, person: str) -> list[str]:
    """The person's row in the first table (the per-person one)."""
    line = next(line for line in output.splitlines() if line.startswith(f"│ {person} "))
    return [cell.strip() for cell in line.strip("│").split("│")]


def test_the_table_per_person(scenario: Any) -> None:
    s = scenario()
    result = tocsin(s, *PERIOD)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "On-call health 2026-03-01 12:00 to 2026-03-03 12:00 UTC" in out
    assert "working hours mon, tue, wed, thu, fri 09:00-18:00, sleep hours 22:00-07:00" in out
    # Person, zone, hours, shifts, pages, per shift, max, off shift, off hours, sleep, stretch
    assert _row(out, "ann") == [
        "ann",
        "Asia/Tokyo",
        "20.0 h",
        "1",
        "3",
        "3.00",
        "3",
        "0",
        "2",
        "1",
        "20.0 h",
        "over budget",
    ]
    assert _row(out, "bob") == [
        "bob",
        "Europe/Berlin",
        "28.0 h",
        "1",
        "2",
        "1.00",
        "1",
        "1",
        "1",
        "0",
        "28.0 h",
        "",
    ]
    assert "primary: hours CV 0.17, spread 1.40x; pages CV 0.50, spread 3.00x" in out
    assert "75% (1.50x even)" in out  # ann's share of primary's pages


def test_one_schedule_and_csv(scenario: Any, tmp_path: Path) -> None:
    s = scenario()
    target = tmp_path / "health.csv"
    result = tocsin(s, *PERIOD, "--schedule", "quiet", "--csv", str(target))
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(target.open(newline="")))
    assert [r[:5] for r in rows[1:]] == [["cat", "America/New_York", "48.00", "1", "0"]]
    assert "wrote 1 people to" in result.output


def test_since_and_errors(scenario: Any) -> None:
    s = scenario(play=False)
    both = tocsin(s, "--since", "7d", "--start", "2026-03-01T00:00:00")
    assert both.exit_code == 1 and "give --since or --start, not both" in both.output
    bad = tocsin(s, "--since", "soon")
    assert bad.exit_code == 1 and "--since:" in bad.output
    backwards = tocsin(s, "--start", "2026-03-02T00:00:00", "--end", "2026-03-01T00:00:00")
    assert backwards.exit_code == 1 and "end: must be after start" in backwards.output
    unknown = tocsin(s, *PERIOD, "--schedule", "nightly")
    assert unknown.exit_code == 1 and "no schedule 'nightly'" in unknown.output
    # --since counts back two days from now (the real clock here).
    recent = tocsin(s, "--since", "2d")
    assert recent.exit_code == 0, recent.output
    found = re.search(r"On-call health (\S+ \S+) to (\S+ \S+) UTC", recent.output)
    assert found, recent.output
    start, end = (datetime.strptime(t, "%Y-%m-%d %H:%M") for t in found.groups())
    assert end - start == timedelta(days=2)
