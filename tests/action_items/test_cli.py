"""``tocsin actions``, ``tocsin actions add`` and ``tocsin actions set`` on the server's
database."""

from __future__ import annotations

from typing import Any

from typer.testing import CliRunner

from tests.action_items.test_service import overdue_setup
from tocsin.cli.main import app

runner = CliRunner()


def tocsin(a: Any, *args: str) -> Any:
    return runner.invoke(
        app,
        [*args, "--config", str(a.h.config), "--database-url", a.h.db_url],
        env={"COLUMNS": "200"},
    )


def test_add_and_set(actions: Any) -> None:
    a = actions()
    i = a.incident("Disk full on db-1")
    made = tocsin(
        a,
        "actions",
        "add",
        str(i),
        "--title",
        "Alert on disk growth",
        "--owner",
        "ann",
        "--due",
        "2026-03-10",
        "--ticket",
        "https://tickets.example.com/OPS-7",
        "--as",
        "bob",
    )
    assert made.exit_code == 0, made.output
    assert made.output.strip() == (
        "Action item #1 of incident #1: Alert on disk growth (ann, due 2026-03-10): open"
    )
    done = tocsin(a, "actions", "set", "1", "--status", "done", "--as", "ann")
    assert done.exit_code == 0, done.output
    assert "Alert on disk growth (ann, due 2026-03-10): done" in done.output
    [item] = a.service.items(statuses=["done"])
    assert (item.item.created_by, item.item.ticket_url) == (
        "bob",
        "https://tickets.example.com/OPS-7",
    )
    cleared = tocsin(a, "actions", "set", "1", "--due", "none", "--ticket", "none")
    assert cleared.exit_code == 0, cleared.output
    assert a.service.get(1).item.due_at is None and a.service.get(1).item.ticket_url is None


def test_errors_are_one_clear_line(actions: Any) -> None:
    a = actions()
    i = a.incident()
    bad = tocsin(a, "actions", "add", str(i), "--title", "x", "--owner", "zed", "--due", "3/10")
    assert bad.exit_code == 1
    assert "owner: no user 'zed' in the configuration; due: '3/10' is not a date" in bad.output
    missing = tocsin(a, "actions", "set", "4", "--status", "done")
    assert missing.exit_code == 1 and "no action item 4" in missing.output
    team = tocsin(a, "actions", "--team", "ops")
    assert team.exit_code == 1 and "team: no team 'ops'" in team.output


def rows(output: str) -> list[list[str]]:
    """The table's rows as their cells (Rich draws │ between them)."""
    return [
        [cell.strip() for cell in line.strip().strip("│").split("│")]
        for line in output.splitlines()
        if line.count("│") > 2 and "Title" not in line
    ]


def test_overdue_per_team(actions: Any) -> None:
    a = actions()
    ids = overdue_setup(a)
    out = tocsin(a, "actions", "--overdue")
    assert out.exit_code == 0, out.output
    assert [(r[0], r[1], r[3], r[4]) for r in rows(out.output)] == [
        ("payments", str(ids["bob"]), "bob", "2026-03-12 (overdue)"),
        ("platform", str(ids["ann"]), "ann", "2026-03-10 (overdue)"),
        ("platform", str(ids["bob"]), "bob", "2026-03-12 (overdue)"),
        ("(no team)", str(ids["dan"]), "dan", "2026-03-15 (overdue)"),
    ]
    payments = tocsin(a, "actions", "--team", "payments")
    assert [(r[0], r[1]) for r in rows(payments.output)] == [
        ("payments", str(ids["bob"])),
        ("payments", str(ids["cat"])),
    ]
    bobs = tocsin(a, "actions", "--owner", "bob")
    assert [(r[0], r[1]) for r in rows(bobs.output)] == [
        ("payments", str(ids["bob"])),
        ("platform", str(ids["bob"])),
    ]
    everything = tocsin(a, "actions", "--all", "--owner", "ann")
    assert [(r[1], r[5]) for r in rows(everything.output)] == [
        (str(ids["done"]), "done"),
        (str(ids["ann"]), "open"),
    ]
    a.service.update(ids["dan"], actor="dan", status="done")
    a.service.update(ids["ann"], actor="ann", status="wont_do")
    a.service.update(ids["bob"], actor="bob", status="done")
    none = tocsin(a, "actions", "--overdue")
    assert "No action items overdue." in none.output
