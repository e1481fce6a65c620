"""Postmortems as code: ``tocsin postmortem export`` writes a Markdown file with front
matter into a real directory, ``tocsin postmortem sync`` reads edits back: saved at the
stored version, a conflict (nothing written) when the file is older than what is stored,
unchanged files left alone, bad front matter named by file and line."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tests.postmortems.conftest import api, declare
from tests.web.conftest import Web
from tocsin.cli.main import app


def cli(w: Web, *args: str) -> tuple[int, str]:
    where = ["--config", str(w.harness.config), "--database-url", w.harness.db_url]
    done = CliRunner().invoke(app, ["postmortem", *args, *where], env={"COLUMNS": "200"})
    return done.exit_code, done.output


def test_export_edit_sync_and_conflict(w: Web, tmp_path: Path) -> None:
    declare(w, "Checkout errors after the deploy", "SEV2")
    api(w, "POST", "/api/incidents/1/postmortem", {"user": "ann"}, 201)
    folder = tmp_path / "postmortems"

    code, out = cli(w, "export", "1", "--to", str(folder))
    assert code == 0, out
    path = folder / "1-checkout-errors-after-the-deploy.md"
    assert [p.name for p in folder.iterdir()] == [path.name]
    text = path.read_text()
    stored = api(w, "GET", "/api/incidents/1/postmortem")
    assert text.startswith(
        "---\nincident: 1\nstate: draft\nversion: 1\ntitle: Checkout errors after the deploy\n"
        "root_cause_category: null\nauthors:\n- ann\nreviewers: []\nupdated_at: "
    )
    assert text.endswith("---\n" + stored["body"])

    # Edit the file as one would in an editor, and sync it back.
    edited = (
        text.replace("reviewers: []", "reviewers: [bob]").replace(
            "root_cause_category: null", "root_cause_category: deploy"
        )
        + "\nThe deploy had no canary.\n"
    )
    path.write_text(edited)
    code, out = cli(w, "sync", str(folder), "--as", "ann")
    assert code == 0, out
    assert f"saved {path}: saved as version 2" in " ".join(out.split())
    stored = api(w, "GET", "/api/incidents/1/postmortem")
    assert (stored["version"], stored["rootCauseCategory"], stored["updatedBy"]) == (
        2,
        "deploy",
        "ann",
    )
    assert [r["user"] for r in stored["reviewers"]] == ["bob"]
    assert stored["body"].endswith("-\n\nThe deploy had no canary.\n")
    assert "\nversion: 2\n" in path.read_text()  # the file now says what it is based on

    code, out = cli(w, "sync", str(folder))
    assert code == 0 and "unchanged" in out and "version 2" in out, out

    # Someone edits in Tocsin meanwhile; the file, based on version 2, is edited too.
    api(
        w,
        "PATCH",
        "/api/incidents/1/postmortem",
        {"version": 2, "user": "bob", "title": "Bad deploy"},
    )
    mine = path.read_text() + "\nMy late thought.\n"
    path.write_text(mine)
    code, out = cli(w, "sync", str(folder), "--as", "ann")
    assert code == 1
    assert "CONFLICT" in out and "stored version 3, file version 2" in " ".join(out.split())
    assert path.read_text() == mine  # the file is left as it is
    after = api(w, "GET", "/api/incidents/1/postmortem")
    assert (after["version"], after["title"]) == (3, "Bad deploy")
    assert "My late thought" not in after["body"]  # nothing written

    # Exporting again gives the stored version; the old file is named, not deleted.
    code, out = cli(w, "export", "1", "--to", str(folder))
    assert code == 0 and "1-checkout-errors-after-the-deploy.md is an older file" in " ".join(
        out.split()
    )
    assert (
        (folder / "1-bad-deploy.md")
        .read_text()
        .startswith("---\nincident: 1\nstate: draft\nversion: 3\n")
    )

    code, out = cli(w, "list")
    assert code == 0 and "Bad deploy" in out and "#1" in out


def test_bad_front_matter_and_unknown_postmortems_are_reported(w: Web, tmp_path: Path) -> None:
    declare(w, "Checkout errors", "SEV2")
    api(w, "POST", "/api/incidents/1/postmortem", {"user": "ann"}, 201)
    (tmp_path / "1-bad.md").write_text("---\nincident: 1\nversion: two\ntitle: T\n---\nBody\n")
    (tmp_path / "7-none.md").write_text("---\nincident: 7\nversion: 1\ntitle: T\n---\nBody\n")
    (tmp_path / "1-ahead.md").write_text("---\nincident: 1\nversion: 5\ntitle: T\n---\nNew\n")
    code, out = cli(w, "sync", str(tmp_path))
    flat = " ".join(out.split())
    assert code == 1
    assert f"bad front matter {tmp_path / '1-bad.md'}:3: version must be a whole number" in flat
    assert "no incident 7" in flat
    assert "the file says version 5, but Tocsin has only version 1" in flat
    assert api(w, "GET", "/api/incidents/1/postmortem")["version"] == 1
    code, out = cli(w, "export", "9", "--to", str(tmp_path))
    assert code == 1 and "no incident 9" in out
