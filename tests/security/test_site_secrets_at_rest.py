"""The secrets Tocsin makes for itself are encrypted in the database, on SQLite and
PostgreSQL: plain rows from before are encrypted at start, a wrong key refuses to start
(naming the secret) rather than making new ones, and rotation moves them to the new key."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select, update

from tocsin.domain.action_tokens import ActionClaim, sign, verify
from tocsin.engine.clock import FakeClock
from tocsin.secret_box import SecretBox, SecretKeyError, new_key
from tocsin.services.runtime import Runtime
from tocsin.settings import Settings
from tocsin.store.database import Database
from tocsin.store.site_secrets import SiteSecrets
from tocsin.store.tables import site_secrets

OLD, NEW = new_key(), new_key()
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def rows(db_url: str) -> dict[str, str]:
    db = Database(db_url)
    try:
        with db.read() as conn:
            return {
                n: v for n, v in conn.execute(select(site_secrets.c.name, site_secrets.c.value))
            }
    finally:
        db.dispose()


Start = Callable[[str | None], Runtime]


@pytest.fixture
def start(db_url: str, clock: FakeClock) -> Iterator[Start]:
    made: list[Runtime] = []

    def run(keys: str | None) -> Runtime:
        settings = Settings(
            database_url=db_url,
            sqlite_synchronous="NORMAL",
            secret_keys=SecretStr(keys) if keys else None,
        )
        runtime = Runtime.build(settings, clock=clock, run_engine=False)
        made.append(runtime)
        runtime.start()
        return runtime

    yield run
    for runtime in made:
        runtime.stop()


def test_site_secrets_are_stored_encrypted(start: Start, db_url: str) -> None:
    runtime = start(OLD)
    key = runtime.signing_key()
    stored = rows(db_url)
    assert stored["action-links"].startswith("enc:")
    assert key.hex() not in stored["action-links"]
    assert SecretBox([OLD.encode()], "t").open(stored["action-links"], "x") == key.hex()
    # the heartbeat key is made (encrypted) when a heartbeat first needs it
    with runtime.db.write() as conn:
        made = runtime.heartbeats.site_secrets.get_or_create(conn, "heartbeat-tokens", NOW)
    stored = rows(db_url)
    assert stored["heartbeat-tokens"].startswith("enc:") and made not in stored["heartbeat-tokens"]


def test_plain_rows_from_before_are_encrypted_at_start_and_keep_their_value(
    start: Start, db_url: str, clock: FakeClock
) -> None:
    db = Database(db_url)
    with db.write() as conn:  # as Tocsin before 0020 left it
        plain = SiteSecrets(None).get_or_create(conn, "action-links", clock.now())
    db.dispose()
    assert rows(db_url)["action-links"] == plain
    claim = ActionClaim(1, "ann", "ack", clock.now() + timedelta(hours=1))
    signed = sign(claim, bytes.fromhex(plain))
    runtime = start(OLD)
    assert rows(db_url)["action-links"].startswith("enc:")
    assert runtime.signing_key().hex() == plain
    assert verify(signed, runtime.signing_key(), clock.now()).user == "ann"


def test_a_wrong_key_refuses_to_start_naming_the_secret_and_makes_none(
    start: Start, db_url: str
) -> None:
    start(OLD)
    before = rows(db_url)
    with pytest.raises(SecretKeyError, match="cannot decrypt site secret 'action-links'"):
        start(NEW)
    assert rows(db_url) == before


def test_rotation_moves_every_secret_to_the_first_key(
    start: Start, db_url: str, clock: FakeClock
) -> None:
    runtime = start(OLD)
    with runtime.db.write() as conn:
        runtime.heartbeats.site_secrets.get_or_create(conn, "heartbeat-tokens", clock.now())
    key = runtime.signing_key()
    both = SiteSecrets(SecretBox([NEW.encode(), OLD.encode()], "both"))
    db = Database(db_url)
    try:
        with db.read() as conn:
            counted = both.count(conn)
        assert (counted.current, counted.older) == ((), ("action-links", "heartbeat-tokens"))
        with db.write() as conn:
            done = both.rotate(conn, clock.now())
        assert done.older == ("action-links", "heartbeat-tokens")
        only_new = SiteSecrets(SecretBox([NEW.encode()], "new"))
        with db.read() as conn:
            assert only_new.get_or_create(conn, "action-links", clock.now()) == key.hex()
            assert only_new.count(conn).current == ("action-links", "heartbeat-tokens")
        with db.write() as conn, pytest.raises(SecretKeyError) as caught:
            SiteSecrets(SecretBox([OLD.encode()], "old")).rotate(conn, clock.now())
        assert "'action-links', 'heartbeat-tokens'" in str(caught.value)
        assert "nothing was changed" in str(caught.value)
    finally:
        db.dispose()
    assert start(NEW).signing_key() == key


def test_without_a_key_postgresql_keeps_them_plain_and_says_so(
    db_url: str, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite always has a key (its own key file)")
    runtime = Runtime.build(
        Settings(database_url=db_url, sqlite_synchronous="NORMAL"), clock=clock, run_engine=False
    )
    runtime.start()
    try:
        assert not rows(db_url)["action-links"].startswith("enc:")
        assert "no key is set for the secrets Tocsin stores" in caplog.text
    finally:
        runtime.stop()


def test_encrypted_rows_without_a_key_are_an_error_not_new_secrets(
    db_url: str, clock: FakeClock
) -> None:
    db = Database(db_url)
    try:
        with db.write() as conn:
            SiteSecrets(SecretBox([OLD.encode()], "k")).get_or_create(conn, "x", clock.now())
        with db.write() as conn, pytest.raises(SecretKeyError, match="no key is set"):
            SiteSecrets(None).get_or_create(conn, "x", clock.now())
    finally:
        db.dispose()


def test_sqlite_without_settings_uses_its_key_file(tmp_path: Path, clock: FakeClock) -> None:
    url = f"sqlite:///{tmp_path}/fresh.db"
    runtime = Runtime.build(Settings(database_url=url), clock=clock, run_engine=False)
    runtime.start()
    runtime.stop()
    assert (tmp_path / "fresh.db.key").exists()
    assert rows(url)["action-links"].startswith("enc:")
    db = Database(url)
    with db.write() as conn:
        conn.execute(update(site_secrets).values(value="enc:tampered"))
    db.dispose()
    with pytest.raises(SecretKeyError, match="action-links"):
        Runtime.build(Settings(database_url=url), clock=clock, run_engine=False).start()
