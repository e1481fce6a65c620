"""Secrets at rest (docs/security.md#secrets): encrypted with keys from the environment.

A stored secret is ``enc:`` followed by a Fernet token (AES-128-CBC with an HMAC-SHA256: an
altered or foreign value is refused, never half-read). The keys are Fernet keys (32 random
bytes, URL-safe base64), from ``TOCSIN_SECRET_KEYS`` (comma-separated) or the file named by
``TOCSIN_SECRET_KEYS_FILE`` (one or more, by commas or lines; ``#`` comments): the first
encrypts, every one decrypts, so a new key goes first and the old one stays until
``tocsin secrets rotate`` has re-encrypted everything with the new one.

Without either, a SQLite database gets a key file of its own beside it
(``<database>.key``, mode 0600), made on first start and said so in the log; an in-memory
database a key that dies with it. PostgreSQL gets no key made for it: every node of a
cluster must share one, so it comes from the environment (``keys_for`` answers None and
the caller warns that the database's secrets are stored as they are).

Nothing here prints a key or a secret: errors name where the keys came from and what could
not be decrypted.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import stat
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy.engine import make_url

from tocsin.errors import TocsinError
from tocsin.settings import Settings

__all__ = [
    "PREFIX",
    "SecretBox",
    "SecretKeyError",
    "is_sealed",
    "key_file_beside",
    "keys_for",
    "new_key",
    "parse_keys",
]

log = logging.getLogger("tocsin.secrets")

#: What an encrypted value starts with, in the database and in tocsin.yaml.
PREFIX = "enc:"
ENV_KEYS = "TOCSIN_SECRET_KEYS"
ENV_FILE = "TOCSIN_SECRET_KEYS_FILE"
HOW_TO_MAKE = "`tocsin secrets new-key` makes one"


class SecretKeyError(TocsinError):
    """The keys are missing or malformed, or a stored secret cannot be decrypted with them."""


def new_key() -> str:
    """A fresh random key, as TOCSIN_SECRET_KEYS takes it."""
    return Fernet.generate_key().decode("ascii")


def is_sealed(value: str) -> bool:
    return value.startswith(PREFIX)


def _fingerprint(key: bytes) -> str:
    """A short name for a key (not the key): the first 8 hex digits of its SHA-256."""
    return hashlib.sha256(key).hexdigest()[:8]


class SecretBox:
    """Encrypts with the first key, decrypts with any; ``source`` says where the keys came
    from (an environment variable or a file), for error messages."""

    def __init__(self, keys: Sequence[bytes], source: str) -> None:
        if not keys:
            raise SecretKeyError(f"{source}: no key ({HOW_TO_MAKE})")
        self.source = source
        self._keys = [Fernet(k) for k in keys]
        self._all = MultiFernet(self._keys)
        #: Short names of the keys, first (the one that encrypts) first.
        self.fingerprints = [_fingerprint(k) for k in keys]

    def __repr__(self) -> str:
        return f"SecretBox({len(self._keys)} keys from {self.source})"

    def seal(self, plaintext: str, now: datetime) -> str:
        """``plaintext`` encrypted with the first key: ``enc:<token>``."""
        token = self._all.encrypt_at_time(plaintext.encode(), int(now.timestamp()))
        return PREFIX + token.decode("ascii")

    def open(self, value: str, what: str) -> str:
        """The plaintext of an ``enc:`` value; SecretKeyError naming ``what`` if no key
        decrypts it (a wrong or removed key, or an altered value)."""
        try:
            return self._all.decrypt(self._token(value, what)).decode()
        except (InvalidToken, UnicodeDecodeError):
            raise SecretKeyError(self._refusal(what)) from None

    def reseal(self, value: str, what: str) -> str:
        """The same secret encrypted with the first key (rotation)."""
        try:
            return PREFIX + self._all.rotate(self._token(value, what)).decode("ascii")
        except InvalidToken:
            raise SecretKeyError(self._refusal(what)) from None

    def key_of(self, value: str) -> str | None:
        """The fingerprint of the key that decrypts ``value`` (None: none does)."""
        token = value.removeprefix(PREFIX).encode()
        for fingerprint, key in zip(self.fingerprints, self._keys, strict=True):
            try:
                key.decrypt(token)
            except InvalidToken:
                continue
            return fingerprint
        return None

    def _token(self, value: str, what: str) -> bytes:
        if not is_sealed(value):
            raise SecretKeyError(f"{what} is not an encrypted value (it must start with enc:)")
        return value[len(PREFIX) :].encode()

    def _refusal(self, what: str) -> str:
        count = "the key" if len(self._keys) == 1 else f"any of the {len(self._keys)} keys"
        return (
            f"cannot decrypt {what} with {count} in {self.source}: it was encrypted with "
            "another key (or altered). Add the key it was encrypted with after the current "
            "one, then run `tocsin secrets rotate`"
        )


def parse_keys(text: str, source: str) -> list[bytes]:
    """Keys separated by commas or lines (``#`` starts a comment); SecretKeyError naming
    the key's position (never its text) for one that is not a Fernet key."""
    keys: list[bytes] = []
    words = [w.strip() for line in text.splitlines() for w in line.split("#")[0].split(",")]
    for i, word in enumerate((w for w in words if w), 1):
        try:
            Fernet(word.encode())
        except ValueError:
            raise SecretKeyError(
                f"{source}: key {i} is not a key (44 characters of URL-safe base64 holding "
                f"32 bytes; {HOW_TO_MAKE})"
            ) from None
        keys.append(word.encode())
    if not keys:
        raise SecretKeyError(f"{source}: no key given ({HOW_TO_MAKE})")
    return keys


def key_file_beside(database_url: str) -> Path | None:
    """Where a SQLite database's own key file is (``<file>.key``); None for an in-memory
    SQLite database or another database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    name = url.database or ""
    if not name or name == ":memory:" or name.startswith("file:") or url.query.get("mode"):
        return None
    return Path(name + ".key")


def keys_for(settings: Settings, *, create: bool = True) -> SecretBox | None:
    """The keys secrets are kept with under ``settings``: TOCSIN_SECRET_KEYS, else
    TOCSIN_SECRET_KEYS_FILE, else (SQLite) the database's own key file, made now if
    ``create``. None: PostgreSQL without a key, or no key file and not ``create``."""
    given = settings.secret_keys.get_secret_value() if settings.secret_keys else ""
    if given.strip() and settings.secret_keys_file:
        raise SecretKeyError(f"set one of {ENV_KEYS} and {ENV_FILE}, not both")
    if given.strip():
        return SecretBox(parse_keys(given, ENV_KEYS), ENV_KEYS)
    if settings.secret_keys_file:
        path = Path(settings.secret_keys_file)
        return SecretBox(parse_keys(_read(path, ENV_FILE), f"{ENV_FILE} {path}"), str(path))
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite":
        return None
    beside = key_file_beside(settings.database_url)
    if beside is None:  # in memory: the data dies with the process, and so may the key
        return SecretBox([Fernet.generate_key()], "a key made for this in-memory database")
    if not beside.exists():
        if not create:
            return None
        _make_key_file(beside)
    return SecretBox(parse_keys(_read(beside, str(beside)), str(beside)), str(beside))


def _read(path: Path, what: str) -> str:
    try:
        text = path.read_text()
        mode = path.stat().st_mode
    except OSError as exc:
        raise SecretKeyError(f"{what}: cannot read {path}: {exc.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning(
            "the key file %s can be read by others than its owner: chmod 600 %s", path, path
        )
    return text


def _make_key_file(path: Path) -> None:
    """Write a new key to ``path`` (mode 0600) unless another process just did: the key is
    written whole to a temporary file and linked into place, so nobody reads half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(
                "# Tocsin's key for the secrets in the database beside this file\n"
                "# (docs/security.md#secrets). Back it up apart from the database: "
                "without it\n# those secrets cannot be read.\n" + new_key() + "\n"
            )
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(temp, path)
        except FileExistsError:
            return  # another process made it first: theirs is the key
    finally:
        with contextlib.suppress(OSError):
            temp.unlink()
    log.warning(
        "made a key for the secrets stored in the database: %s (mode 0600). Back it up "
        "apart from the database, or set %s instead (docs/security.md#secrets)",
        path,
        ENV_KEYS,
    )
