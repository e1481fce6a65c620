"""``tocsin incident update|draft|channel|page`` on the server's database."""

from __future__ import annotations

from typing import Any

from typer.testing import CliRunner

from tocsin.cli.main import app

runner = CliRunner()


def tocsin(r: Any, *args: str) -> Any:
    return runner.invoke(
        app,
        [*args, "--config", str(r.h.config), "--database-url", r.h.db_url],
        env={"COLUMNS": "200"},
    )


def test_update_draft_channel_and_page(rooms: Any) -> None:
    r = rooms(cadence=True)
    incident = r.service.declare(
        title="Checkout 5xx", severity="SEV3", actor="cat", service="checkout", summary="5xx"
    )
    drafted = tocsin(r, "incident", "draft", str(incident.id))
    assert drafted.exit_code == 0, drafted.output
    assert "Affected: checkout" in drafted.output and "Status: Investigating" in drafted.output
    made = r.h.client.post(
        "/api/status-page/components",
        json={"name": "Checkout"},
        headers=r.h.api,
    ).json()
    posted = tocsin(
        r,
        "incident",
        "update",
        str(incident.id),
        "--affected",
        "Checkout",
        "--impact",
        "Payments fail",
        "--next",
        "20m",
        "--public-status",
        "identified",
        "--public-title",
        "Payment problems",
        "--public-body",
        "We found the cause.",
        "--component",
        f"{made['id']}=major_outage",
        "--as",
        "cat",
    )
    assert posted.exit_code == 0, posted.output
    assert "update posted; next due " in posted.output  # the CLI runs on the real clock
    assert "; status page #1 identified" in posted.output
    summary = r.h.client.get("/status/api/v2/summary.json").json()
    assert summary["components"][0]["status"] == "major_outage"
    asked = tocsin(r, "incident", "channel", str(incident.id), "--as", "cat")
    assert asked.exit_code == 0 and "slack room requested" in asked.output
    paged = tocsin(r, "incident", "page", str(incident.id), "--schedule", "primary", "--as", "bob")
    assert paged.exit_code == 0, paged.output
    assert "bob paged ann (on call for primary)" in r.timeline(incident.id)


def test_mistakes_are_one_clear_line(rooms: Any) -> None:
    r = rooms()
    incident = r.service.declare(title="x", severity="SEV3", actor="cat")
    empty = tocsin(r, "incident", "update", str(incident.id))
    assert empty.exit_code == 1 and "message: an update needs some text" in empty.output
    late = tocsin(r, "incident", "update", str(incident.id), "-m", "x", "--next", "later")
    assert late.exit_code == 1 and "--next: not a valid duration" in late.output
    comp = tocsin(
        r,
        "incident",
        "update",
        str(incident.id),
        "-m",
        "x",
        "--public-status",
        "identified",
        "--component",
        "api=down",
    )
    assert comp.exit_code == 1 and "--component 'api=down': write ID=STATUS" in comp.output
    nobody = tocsin(r, "incident", "page", str(incident.id))
    assert nobody.exit_code == 1 and "give either a user or a schedule" in nobody.output
