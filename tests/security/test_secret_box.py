"""The keys secrets are kept with: where they come from, encrypting, rotating, refusing."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from tocsin.secret_box import SecretBox, SecretKeyError, key_file_beside, keys_for, new_key
from tocsin.settings import Settings

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def settings(tmp_path: Path, **values: object) -> Settings:
    values.setdefault("database_url", f"sqlite:///{tmp_path}/tocsin.db")
    return Settings(**values)  # type: ignore[arg-type]


def test_sealed_values_open_with_any_key_and_reseal_with_the_first() -> None:
    old, new = new_key(), new_key()
    before = SecretBox([old.encode()], "old")
    sealed = before.seal("xoxb-planted-1", NOW)
    assert sealed.startswith("enc:") and "xoxb-planted-1" not in sealed
    both = SecretBox([new.encode(), old.encode()], "both")
    assert both.open(sealed, "it") == "xoxb-planted-1"
    assert both.key_of(sealed) == both.fingerprints[1]
    resealed = both.reseal(sealed, "it")
    only_new = SecretBox([new.encode()], "new")
    assert only_new.open(resealed, "it") == "xoxb-planted-1"
    assert only_new.key_of(resealed) == only_new.fingerprints[0]
    with pytest.raises(SecretKeyError, match="cannot decrypt the bot token with the key in new"):
        only_new.open(sealed, "the bot token")


def test_an_altered_value_is_refused_not_half_read() -> None:
    box = SecretBox([new_key().encode()], "k")
    sealed = box.seal("s3cret-value", NOW)
    altered = sealed[:-6] + ("A" if sealed[-6] != "A" else "B") + sealed[-5:]
    with pytest.raises(SecretKeyError, match="cannot decrypt"):
        box.open(altered, "x")
    with pytest.raises(SecretKeyError, match="not an encrypted value"):
        box.open("plain", "x")


def test_keys_from_the_environment_first_encrypts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = new_key(), new_key()
    monkeypatch.setenv("TOCSIN_SECRET_KEYS", f" {first} , {second} ")
    box = keys_for(Settings(database_url="postgresql+psycopg://x@127.0.0.1/db"))
    assert box is not None and box.source == "TOCSIN_SECRET_KEYS"
    assert len(box.fingerprints) == 2
    assert SecretBox([first.encode()], "1").key_of(box.seal("v-123456", NOW)) is not None
    assert not (tmp_path / "tocsin.db.key").exists()


def test_a_malformed_key_is_named_by_position_never_shown(tmp_path: Path) -> None:
    bad = "not-a-key-but-secret-looking-1234567890"
    with pytest.raises(SecretKeyError) as caught:
        keys_for(settings(tmp_path, secret_keys=SecretStr(f"{new_key()},{bad}")))
    assert "TOCSIN_SECRET_KEYS: key 2 is not a key" in str(caught.value)
    assert bad not in str(caught.value)


def test_keys_file_with_comments(tmp_path: Path) -> None:
    first, second = new_key(), new_key()
    path = tmp_path / "keys"
    path.write_text(f"# new\n{first}\n# old, until rotated\n{second}\n")
    path.chmod(0o600)
    box = keys_for(settings(tmp_path, secret_keys_file=str(path)))
    assert box is not None and box.source == str(path) and len(box.fingerprints) == 2
    with pytest.raises(SecretKeyError, match="not both"):
        keys_for(settings(tmp_path, secret_keys=SecretStr(first), secret_keys_file=str(path)))
    with pytest.raises(SecretKeyError, match="cannot read"):
        keys_for(settings(tmp_path, secret_keys_file=str(tmp_path / "missing")))


def test_sqlite_gets_a_key_file_of_its_own_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="tocsin.secrets")
    made = keys_for(settings(tmp_path))
    path = tmp_path / "tocsin.db.key"
    assert made is not None and made.source == str(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert f"made a key for the secrets stored in the database: {path}" in caplog.text
    again = keys_for(settings(tmp_path))
    assert again is not None and again.fingerprints == made.fingerprints
    assert again.open(made.seal("kept-123456", NOW), "x") == "kept-123456"
    # only reading: no file is made
    assert keys_for(settings(tmp_path / "other"), create=False) is None
    assert not (tmp_path / "other").exists()


def test_postgresql_without_a_key_gets_none_and_memory_a_passing_key(tmp_path: Path) -> None:
    assert keys_for(Settings(database_url="postgresql+psycopg://x@127.0.0.1/db")) is None
    assert key_file_beside("sqlite://") is None
    memory = keys_for(Settings(database_url="sqlite://"))
    assert memory is not None and "in-memory" in memory.source
