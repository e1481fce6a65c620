"""Reading the audit log: the API (admins' tokens, filters, a cursor, exports), the CLI
(``tocsin audit list`` and ``export``, and what a command changes is recorded as the CLI's)
and the web page (admins only, with filters and export links)."""

from __future__ import annotations

import csv
import getpass
import io
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.audit.conftest import Web, entries, only
from tests.web.accessibility import check_page
from tocsin.cli.main import app

runner = CliRunner()


def _made(w: Web) -> int:
    """Three incidents, each declared then acknowledged: six entries (and the config's)."""
    for n, who in enumerate(("ann", "bob", "cat")):
        incident = w.runtime.incidents.declare(title=f"Incident {n}", severity="SEV3", actor=who)
        w.runtime.incidents.acknowledge(incident.id, who)
    return incident.id


def test_the_api_pages_newest_first_with_filters(web: Any) -> None:
    w: Web = web()
    last = _made(w)

    def get(**params: Any) -> dict[str, Any]:
        response = w.client.get("/api/audit", params=params, headers=w.harness.api)
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    page = get(action="incident", limit=4)
    assert [e["action"] for e in page["entries"]] == [
        "incident.acknowledged",
        "incident.declared",
    ] * 2
    assert page["entries"][0]["object_id"] == str(last)
    rest = get(action="incident", limit=4, cursor=page["next_cursor"])
    assert len(rest["entries"]) == 2 and rest["next_cursor"] is None
    assert rest["entries"][-1]["actor"] == "ann"
    assert [e["action"] for e in get(actor="bob")["entries"]] == [
        "incident.acknowledged",
        "incident.declared",
    ]
    mine = get(object_kind="incident", object_id=str(last))["entries"]
    assert {e["actor"] for e in mine} == {"cat"}
    entry = mine[0]
    assert set(entry) == {
        "id",
        "at",
        "actor",
        "via",
        "address",
        "action",
        "object_kind",
        "object_id",
        "before",
        "after",
    }
    assert entry["at"] == "2026-03-01T12:00:00Z"
    assert get(since="2026-03-02")["entries"] == []
    assert len(get(until="2026-03-01T12:00:01Z", action="incident")["entries"]) == 6


def test_the_api_refuses_bad_filters_and_people_who_are_not_admins(web: Any) -> None:
    w: Web = web()
    bad = w.client.get("/api/audit", params={"since": "yesterday"}, headers=w.harness.api)
    assert bad.status_code == 400 and "since" in bad.text
    cursor = w.client.get("/api/audit", params={"cursor": "abc"}, headers=w.harness.api)
    assert cursor.status_code == 400 and "cursor" in cursor.text
    _, token = w.runtime.api_tokens.create(
        kind="personal", name="bob-token", scope="manage", created_by="bob", owner="bob"
    )
    refused = w.client.get("/api/audit", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 403
    assert w.client.get("/api/audit").status_code == 401


def test_the_api_exports_json_lines_and_csv_oldest_first(web: Any) -> None:
    w: Web = web()
    _made(w)
    jsonl = w.client.get(
        "/api/audit", params={"format": "jsonl", "action": "incident"}, headers=w.harness.api
    )
    assert jsonl.status_code == 200
    assert jsonl.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in jsonl.text.splitlines()]
    assert [(e["action"], e["actor"]) for e in lines[:2]] == [
        ("incident.declared", "ann"),
        ("incident.acknowledged", "ann"),
    ]
    assert len(lines) == 6
    text = w.client.get(
        "/api/audit", params={"format": "csv", "actor": "cat"}, headers=w.harness.api
    ).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["action"] for r in rows] == ["incident.declared", "incident.acknowledged"]
    assert json.loads(rows[1]["after"]) == {"status": "acknowledged", "acknowledged_by": "cat"}
    assert rows[0]["before"] == ""


def _cli(*args: str, db: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"TOCSIN_DATABASE_URL": db})
    return result.exit_code, result.output


def test_the_cli_lists_exports_and_is_recorded_as_the_cli(web: Any, tmp_path: Path) -> None:
    w: Web = web()
    _made(w)
    db = w.runtime.settings.database_url
    code, out = _cli("integration", "create", "cli-made", "--kind", "webhook", db=db)
    assert code == 0, out
    (made,) = [e for e in entries(w.runtime, "integration.created") if "cli-made" in str(e.after)]
    user = getpass.getuser()
    assert (made.actor, made.via) == (f"cli:{user}", "cli")
    assert made.address is not None and made.address.startswith(f"{user}@")

    code, out = _cli("audit", "list", "--action", "incident", "--limit", "4", "--json", db=db)
    assert code == 0, out
    listed = json.loads(out)
    assert len(listed["entries"]) == 4 and listed["next_cursor"]
    code, out = _cli("audit", "list", "--actor", "bob", db=db)
    assert code == 0 and "incident.declared" in out and "incident.acknowledged" in out
    assert "cat" not in out
    code, out = _cli("audit", "list", "--since", "tomorrow", db=db)
    assert code != 0 and "since" in out

    target = tmp_path / "audit.csv"
    code, out = _cli("audit", "export", "--format", "csv", "-o", str(target), db=db)
    assert code == 0, out
    rows = list(csv.DictReader(target.open(newline="")))
    assert rows[0]["action"] == "config.loaded" and rows[-1]["action"] == "integration.created"
    code, out = _cli("audit", "export", "--format", "jsonl", "--until", "2026-03-02", db=db)
    assert code == 0
    # The CLI's command ran on the real clock, after the tests' day: not until the 2nd.
    before = [int(r["id"]) for r in rows if r["at"] < "2026-03-02"]
    assert len(before) == len(rows) - 1
    assert [json.loads(line)["id"] for line in out.splitlines()] == before
    code, out = _cli("audit", "export", "--format", "xml", db=db)
    assert code != 0 and "--format" in out


@pytest.mark.parametrize("admin", [True, False])
def test_the_page_is_for_admins(web: Any, admin: bool) -> None:
    w: Web = web()
    _made(w)
    w.account("dee", admin=admin)
    w.sign_in("dee")
    page = w.client.get("/audit", params={"actor": "bob"})
    if not admin:
        assert page.status_code == 403
        assert w.client.get("/audit/export?format=csv").status_code == 403
        return
    assert page.status_code == 200, page.text
    assert check_page(page.text) == []
    assert page.text.count('<tr id="entry-') == 2
    assert (
        "incident.acknowledged" in page.text
        and "/audit/export?actor=bob&amp;format=csv" in page.text
    )
    export = w.client.get("/audit/export", params={"actor": "bob", "format": "jsonl"})
    assert export.status_code == 200
    assert [json.loads(line)["actor"] for line in export.text.splitlines()] == ["bob", "bob"]
    bad = w.client.get("/audit", params={"since": "soon"})
    assert bad.status_code == 400 and "since" in bad.text


def test_signing_in_and_acting_on_a_page_records_the_person_and_address(web: Any) -> None:
    w: Web = web()
    incident = w.runtime.incidents.declare(title="Slow", severity="SEV3", actor="ann")
    w.sign_in("bob")
    response = w.post(f"/incidents/{incident.id}/acknowledge")
    assert response.status_code in (200, 303), response.text
    ack = only(w.runtime, "incident.acknowledged")
    assert (ack.actor, ack.via, ack.address) == ("bob", "web", "testclient")
    assert len(entries(w.runtime, "incident")) == 2
