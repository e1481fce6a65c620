"""``tocsin incidents``, ``tocsin incident ...``, ``tocsin test-page``, ``tocsin user list``,
``tocsin team list`` and ``tocsin policy list`` on the server's database."""

from __future__ import annotations

from typing import Any

from typer.testing import CliRunner

from tests.paging.conftest import TWILIO_CALL
from tocsin.cli.main import app

runner = CliRunner()


def tocsin(p: Any, *args: str) -> Any:
    return runner.invoke(
        app,
        [*args, "--config", str(p.h.config), "--database-url", p.h.db_url],
        env={"COLUMNS": "200"},
    )


def test_declare_list_ack_resolve_show(pager: Any) -> None:
    p = pager()
    made = tocsin(
        p,
        "incident",
        "declare",
        "--title",
        "Disk full on db-1",
        "--severity",
        "2",
        "--policy",
        "platform",
        "--as",
        "cat",
    )
    assert made.exit_code == 0, made.output
    assert "#1 Disk full on db-1: triggered, SEV2" in made.output
    listed = tocsin(p, "incidents")
    assert "Disk full on db-1" in listed.output and "triggered" in listed.output
    assert tocsin(p, "incident", "ack", "1", "--as", "ann").exit_code == 0
    assert tocsin(p, "incident", "note", "1", "it is the WAL", "--as", "ann").exit_code == 0
    assert tocsin(p, "incident", "role", "1", "commander", "cat").exit_code == 0
    done = tocsin(p, "incident", "resolve", "1", "-m", "grew the volume", "--as", "ann")
    assert "resolved" in done.output
    shown = tocsin(p, "incident", "show", "1")
    for text in ("Acknowledged by ann (cli)", "it is the WAL", "commander: cat", "grew the volume"):
        assert text in shown.output, shown.output
    assert "Disk full" not in tocsin(p, "incidents").output  # open ones only
    assert "Disk full" in tocsin(p, "incidents", "--all").output


def test_errors_are_one_clear_line(pager: Any) -> None:
    p = pager()
    missing = tocsin(p, "incident", "ack", "7")
    assert missing.exit_code == 1 and "no incident 7" in missing.output
    bad = tocsin(p, "incident", "declare", "--title", "x", "--severity", "SEV9")
    assert bad.exit_code == 1 and "severity: 'SEV9' is not a severity" in bad.output
    who = tocsin(p, "incident", "declare", "--title", "x", "--as", "zed")
    assert who.exit_code == 1 and "no user 'zed'" in who.output


def test_test_page_reports_each_method(pager: Any) -> None:
    p = pager()
    p.server.answer(TWILIO_CALL, 500, "down")
    result = tocsin(p, "test-page", "ann")
    assert result.exit_code == 1  # one method failed
    out = result.output
    assert "push" in out and "sent" in out and "HTTP 500" in out
    assert tocsin(p, "test-page", "bob").exit_code == 1  # voice fails for bob too


def test_people_lists(pager: Any) -> None:
    p = pager()
    users = tocsin(p, "user", "list")
    assert "push at 0m, sms at 2m" in users.output
    assert "cat (admin)" in users.output
    assert "ann, bob" in tocsin(p, "team", "list").output
    policies = tocsin(p, "policy", "list").output
    assert "schedule primary, slack_channel C0OPS" in policies and "user bob" in policies
