"""``tocsin heartbeat list`` and ``tocsin heartbeat token NAME [--rotate]`` on the server's
database."""

from __future__ import annotations

import re
from typing import Any

from typer.testing import CliRunner

from tests.heartbeats.conftest import Beats
from tocsin.cli.main import app
from tocsin.config.durations import parse_duration
from tocsin.domain.heartbeat_setup import cron_schedule

runner = CliRunner()


def tocsin(beats: Beats, *args: str) -> Any:
    return runner.invoke(
        app,
        ["heartbeat", *args, "--config", str(beats.h.config), "--database-url", beats.h.db_url],
        env={"COLUMNS": "200"},
    )


def test_list_shows_state_last_ping_and_deadline(beats: Beats) -> None:
    beats.ping("backup")
    beats.tick(7 * 60)
    done = tocsin(beats, "list")
    assert done.exit_code == 0, done.output
    lines = {line.split()[1]: line for line in done.output.splitlines() if "│" in line[:3]}
    assert "up" in lines["backup"]
    assert "2026-03-01 12:00:00 UTC" in lines["backup"]  # last ping
    assert "2026-03-01 13:10:00 UTC" in lines["backup"]  # deadline
    assert "DOWN" in lines["cron"]


def test_token_prints_it_with_ready_to_paste_lines_and_rotates(beats: Beats) -> None:
    done = tocsin(beats, "token", "cron")
    assert done.exit_code == 0, done.output
    token = re.search(r"Token: ([0-9a-f]{32})", done.output)
    assert token is not None, done.output
    assert token.group(1) == beats.token("cron")
    assert "Ping URL: http://127.0.0.1:8080/api/heartbeats/cron/ping" in done.output
    assert "*/5 * * * * /path/to/job && curl" in done.output
    assert f"credentials: {token.group(1)}" in done.output
    rotated = tocsin(beats, "token", "cron", "--rotate")
    assert rotated.exit_code == 0, rotated.output
    assert "the old one no longer works" in rotated.output
    assert token.group(1) not in rotated.output
    old = {"Authorization": f"Bearer {token.group(1)}"}
    assert beats.ping("cron", headers=old).status_code == 403


def test_an_unknown_heartbeat_is_one_clear_line(beats: Beats) -> None:
    done = tocsin(beats, "token", "nope")
    assert done.exit_code == 1
    assert "no heartbeat named 'nope'" in done.output


def test_cron_schedules() -> None:
    table = {
        "1m": "* * * * *",
        "5m": "*/5 * * * *",
        "7m": None,
        "1h": "0 * * * *",
        "6h": "0 */6 * * *",
        "1d": "0 0 * * *",
        "1w": "0 0 * * 0",
        "90s": None,
    }
    assert {k: cron_schedule(parse_duration(k)) for k in table} == table
