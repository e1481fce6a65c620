"""``tocsin backup`` and ``tocsin restore``, in-process, on SQLite and on PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tocsin.cli.main import app
from tocsin.secret_box import key_file_beside
from tocsin.store import migrate
from tocsin.store.database import Database

runner = CliRunner()


def run(*args: str, db: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"TOCSIN_DATABASE_URL": db})
    return result.exit_code, result.output.replace("\n", " ")


@pytest.fixture
def fresh_url(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path}/restored.db"
    url: str = request.getfixturevalue("postgres").new()
    return url


def test_backup_then_restore_into_a_new_database(
    db_url: str, fresh_url: str, tmp_path: Path
) -> None:
    code, _ = run("integration", "create", "prom", "--kind", "alertmanager", db=db_url)
    assert code == 0
    out = tmp_path / "tocsin.backup"
    sqlite = db_url.startswith("sqlite")
    kind = "SQLite database file" if sqlite else "pg_dump custom archive"

    code, said = run("backup", str(out), db=db_url)
    assert code == 0, said
    assert "backup written" in said and str(out) in said and kind in said
    assert f"schema revision  {migrate.head_revision()}" in said
    if sqlite:  # the key file is named, to be kept too
        assert f"{key_file_beside(db_url)}, which is not in the backup" in said

    code, said = run("restore", str(out), db=fresh_url)
    assert code == 0, said
    assert "restored" in said and f"{migrate.head_revision()} (current)" in said
    if sqlite:  # restored elsewhere without its key: said before Tocsin refuses to start
        assert "warning: the restored database holds encrypted secrets and there is no " in said
        assert (
            f"until you copy the backed-up database's key file to {key_file_beside(fresh_url)}"
            in said
        )
        shutil.copyfile(key_file_beside(db_url), key_file_beside(fresh_url))  # type: ignore[arg-type]
    else:
        assert "warning" not in said
    code, said = run("integration", "list", db=fresh_url)
    assert code == 0 and "prom" in said

    code, said = run("restore", str(out), db=fresh_url)
    assert code == 1 and said.startswith("error: ") and "already holds Tocsin's tables" in said
    assert "--force" in said

    code, said = run("restore", "--force", str(out), db=fresh_url)
    assert code == 0 and "warning" not in said, said


def test_restore_names_a_file_that_is_not_a_backup(tmp_path: Path) -> None:
    garbage = tmp_path / "notes.txt"
    garbage.write_text("not a backup\n")
    code, said = run("restore", str(garbage), db=f"sqlite:///{tmp_path}/new.db")
    assert code == 1
    assert said.strip() == f"error: {garbage}: is not a Tocsin backup (neither a SQLite " + (
        "database file nor a pg_dump custom archive)"
    )


def test_a_failed_backup_is_one_line_and_leaves_no_file(tmp_path: Path) -> None:
    out = tmp_path / "tocsin.backup"
    code, said = run("backup", str(out), db=f"sqlite:///{tmp_path}/absent/tocsin.db")
    assert code == 1 and said.startswith("error: ") and "Traceback" not in said
    assert "cannot open the database" in said
    assert list(tmp_path.iterdir()) == []


def test_an_older_backup_says_how_to_migrate(tmp_path: Path) -> None:
    old = f"sqlite:///{tmp_path}/old.db"
    db = Database(old)
    migrate.upgrade(db, "0019")
    db.dispose()
    out = tmp_path / "old.backup"
    assert run("backup", str(out), db=old)[0] == 0
    code, said = run("restore", str(out), db=f"sqlite:///{tmp_path}/new.db")
    assert code == 0 and "0019 (older)" in said
    assert "`tocsin db upgrade`, or starting Tocsin, migrates it" in said


def test_restoring_over_a_database_with_another_key_warns(tmp_path: Path) -> None:
    a, b = f"sqlite:///{tmp_path}/a.db", f"sqlite:///{tmp_path}/b.db"
    for url in (a, b):  # each makes a key file of its own
        assert run("integration", "create", "prom", "--kind", "alertmanager", db=url)[0] == 0
    out = tmp_path / "a.backup"
    assert run("backup", str(out), db=a)[0] == 0
    code, said = run("restore", "--force", str(out), db=b)
    assert code == 0
    assert f"warning: the keys in {tmp_path}/b.db.key do not decrypt the restored" in said
