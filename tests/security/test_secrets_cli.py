"""``tocsin secrets``: a new key, encrypting a value for tocsin.yaml, rotating what the
database and the configuration file hold, and the status of it all."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import select
from typer.testing import CliRunner

from tocsin.cli.main import app
from tocsin.secret_box import SecretBox, new_key
from tocsin.store import migrate
from tocsin.store.database import Database
from tocsin.store.site_secrets import SiteSecrets
from tocsin.store.tables import site_secrets

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
OLD, NEW = new_key(), new_key()
runner = CliRunner()


def run(*args: str, keys: str | None = None, db: str, stdin: str | None = None) -> tuple[int, str]:
    env = {"TOCSIN_DATABASE_URL": db, "TOCSIN_SECRET_KEYS": keys or "", "TOCSIN_CONFIG": ""}
    result = runner.invoke(app, ["secrets", *args], env=env, input=stdin)
    return result.exit_code, result.output


def test_new_key_is_a_key(tmp_path: Path) -> None:
    code, out = run("new-key", db=f"sqlite:///{tmp_path}/t.db")
    assert code == 0
    Fernet(out.strip().encode())  # raises if it is not one


def test_encrypt_reads_standard_input(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/t.db"
    code, out = run("encrypt", keys=OLD, db=db, stdin="xoxb-from-stdin-123\n")
    assert code == 0 and out.startswith("enc:") and "xoxb-from-stdin" not in out
    assert SecretBox([OLD.encode()], "k").open(out.strip(), "x") == "xoxb-from-stdin-123"
    # without TOCSIN_SECRET_KEYS, a SQLite database's own key file (made now)
    code, out = run("encrypt", db=db, stdin="pw-from-stdin-456")
    key_file = tmp_path / "t.db.key"
    assert code == 0 and key_file.exists()
    box = SecretBox([key_file.read_text().splitlines()[-1].encode()], "file")
    assert box.open(out.strip(), "x") == "pw-from-stdin-456"


def test_encrypt_without_any_key_on_postgresql_says_what_to_do() -> None:
    code, out = run("encrypt", db="postgresql+psycopg://nobody@127.0.0.1:1/none", stdin="x")
    assert code == 1
    assert "no key: set TOCSIN_SECRET_KEYS" in out and "tocsin secrets new-key" in out


def test_rotate_reencrypts_the_database_and_the_file(db_url: str, tmp_path: Path) -> None:
    old = SecretBox([OLD.encode()], "old")
    db = Database(db_url)
    migrate.upgrade(db)
    with db.write() as conn:
        made = SiteSecrets(old).get_or_create(conn, "action-links", NOW)
        conn.execute(site_secrets.insert().values(name="legacy", value="ab" * 32, created_at=NOW))
    db.dispose()
    config = tmp_path / "tocsin.yaml"
    config.write_text(
        "# the team's file\n"
        "paging:\n"
        f"  slack: {{bot_token: '{old.seal('xoxb-rotated-1', NOW)}', api_url: x}}\n"
        f"  twilio:\n    auth_token: {old.seal('twilio-rotated-2', NOW)}  # keep me\n"
    )
    config.chmod(0o640)

    code, out = run("status", "--config", str(config), keys=f"{NEW},{OLD}", db=db_url)
    assert code == 0, out
    assert "1 with an older key, 1 not encrypted" in out
    assert "2 enc: values, 2 with an older key" in out

    code, out = run("rotate", "--config", str(config), keys=f"{NEW},{OLD}", db=db_url)
    assert code == 0, out
    assert "2 secrets now encrypted with key" in out and "2 enc: values re-encrypted" in out

    new = SecretBox([NEW.encode()], "new")
    text = config.read_text()
    assert text.startswith("# the team's file\n") and "  # keep me\n" in text
    assert oct(config.stat().st_mode & 0o777) == "0o640"
    lines = text.splitlines()
    assert new.open(lines[2].split("'")[1], "x") == "xoxb-rotated-1"
    assert new.open(lines[4].split()[1], "x") == "twilio-rotated-2"
    db = Database(db_url)
    with db.read() as conn:
        assert SiteSecrets(new).get_or_create(conn, "action-links", NOW) == made
        assert SiteSecrets(new).get_or_create(conn, "legacy", NOW) == "ab" * 32
        stored = dict(conn.execute(select(site_secrets.c.name, site_secrets.c.value)).all())
    db.dispose()
    assert all(v.startswith("enc:") for v in stored.values())

    code, out = run("status", "--config", str(config), keys=NEW, db=db_url)
    assert code == 0 and "2 secrets encrypted with the first key, 0 with an older key" in out


def test_rotate_with_a_key_that_cannot_read_changes_nothing(db_url: str, tmp_path: Path) -> None:
    db = Database(db_url)
    migrate.upgrade(db)
    with db.write() as conn:
        SiteSecrets(SecretBox([OLD.encode()], "old")).get_or_create(conn, "action-links", NOW)
    db.dispose()
    config = tmp_path / "tocsin.yaml"
    before = f"global: {{smtp_auth_password: {SecretBox([OLD.encode()], 'o').seal('p', NOW)}}}\n"
    config.write_text(before)
    code, out = run("rotate", "--config", str(config), keys=NEW, db=db_url)
    assert code == 1
    assert "cannot decrypt" in out and "global.smtp_auth_password" in out
    assert config.read_text() == before
    code, out = run("rotate", "--database-only", keys=NEW, db=db_url)
    assert code == 1 and "'action-links'" in out and "nothing was changed" in out
