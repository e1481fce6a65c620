"""``tocsin secrets new-key|encrypt|rotate|status``: the keys secrets are kept with
(docs/security.md#secrets).

* ``new-key`` prints a fresh key for TOCSIN_SECRET_KEYS.
* ``encrypt`` reads a secret on standard input (never as an argument: it would stay in the
  shell's history and show in ``ps``) and prints it as ``enc:...`` for tocsin.yaml.
* ``rotate`` re-encrypts every secret stored in the database, and every ``enc:`` value of
  the configuration file, with the first key; then the old keys can be removed.
* ``status`` says where the keys come from and what each stored secret is encrypted with.

None of them prints a stored secret or a key other than the one ``new-key`` makes.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from tocsin.cli.context import console, settings_with, tocsin_errors
from tocsin.cli.routing import ConfigFile
from tocsin.cli.schedules import DatabaseUrl
from tocsin.config.secret_refs import resealed_text, sealed_values
from tocsin.engine.clock import SystemClock
from tocsin.errors import ConfigError
from tocsin.secret_box import ENV_KEYS, SecretBox, SecretKeyError, keys_for, new_key
from tocsin.store import config_versions as version_store
from tocsin.store import migrate
from tocsin.store.database import Database
from tocsin.store.site_secrets import Inventory, SiteSecrets

__all__ = ["secrets_app"]

secrets_app = typer.Typer(
    help="Keys for the secrets Tocsin keeps: make one, encrypt a value, rotate, status.",
    no_args_is_help=True,
)


def _keys(database_url: str | None) -> SecretBox:
    box = keys_for(settings_with(database_url))
    if box is None:
        raise SecretKeyError(
            f"no key: set {ENV_KEYS} (or TOCSIN_SECRET_KEYS_FILE) to a key made by "
            "`tocsin secrets new-key`; with PostgreSQL every node needs the same one"
        )
    return box


def _config_path(config: str | None) -> Path | None:
    """The configuration file named (--config, TOCSIN_CONFIG) or ./tocsin.yaml if it is
    there; None if neither."""
    if config:
        if not Path(config).exists():
            raise ConfigError(f"{config}: no such file")
        return Path(config)
    default = Path("tocsin.yaml")
    return default if default.exists() else None


@secrets_app.command("new-key")
def new_key_command() -> None:
    """Print a new random key (for TOCSIN_SECRET_KEYS: put it first to rotate to it)."""
    print(new_key())


@secrets_app.command("encrypt")
@tocsin_errors
def encrypt(database_url: DatabaseUrl = None) -> None:
    """Read a secret on standard input; print it encrypted (enc:...) for tocsin.yaml."""
    if sys.stdin.isatty():
        plain = typer.prompt("Secret", hide_input=True, confirmation_prompt=True)
    else:
        plain = sys.stdin.read().rstrip("\r\n")
    if not plain:
        raise ConfigError("standard input: no secret given")
    print(_keys(database_url).seal(plain, SystemClock().now()))


@secrets_app.command("rotate")
@tocsin_errors
def rotate(
    database_url: DatabaseUrl = None,
    config: ConfigFile = None,
    database_only: Annotated[
        bool, typer.Option("--database-only", help="Leave the configuration file as it is.")
    ] = False,
) -> None:
    """Re-encrypt every stored secret (and the configuration file's enc: values) with the
    first key. Nothing is changed unless every one of them can be decrypted."""
    box = _keys(database_url)
    now = SystemClock().now()
    path = None if database_only else _config_path(config)
    rewritten: dict[Path, tuple[str, int]] = {}
    for file in _yaml_files(path):

        def reseal(value: str, keys: Sequence[str | int], file: Path = file) -> str:
            return box.reseal(value, f"{file}: {'.'.join(map(str, keys))}")

        rewritten[file] = resealed_text(file.read_text(), reseal)
    db = Database(settings_with(database_url).database_url)
    try:
        migrate.upgrade(db)
        with db.write() as conn:
            done = SiteSecrets(box).rotate(conn, now)
            versions = version_store.seal(conn, box, now, rotate=True)
    finally:
        db.dispose()
    console.print(
        f"database: {len(done.current)} secrets now encrypted with key {box.fingerprints[0]}"
        f" ({len(done.older)} were encrypted with an older key, {len(done.plain)} plain); "
        f"{versions} configuration versions re-encrypted",
        highlight=False,
        soft_wrap=True,
    )
    for file, (text, count) in rewritten.items():
        if count:
            _replace(file, text)
        console.print(
            f"{escape(str(file))}: {count} enc: values re-encrypted",
            highlight=False,
            soft_wrap=True,
        )
    console.print(
        f"Keys other than the first ({box.fingerprints[0]}) can now be removed from "
        f"{escape(box.source)}; reload or restart Tocsin after changing them.",
        highlight=False,
        soft_wrap=True,
    )


@secrets_app.command("status")
@tocsin_errors
def status(database_url: DatabaseUrl = None, config: ConfigFile = None) -> None:
    """Where the keys come from, and what each stored secret is encrypted with."""
    settings = settings_with(database_url)
    box = keys_for(settings, create=False)
    if box is None:
        console.print(f"keys: none ({ENV_KEYS} is not set and there is no key file)")
    else:
        listed = ", ".join(
            f"{f} (encrypts)" if i == 0 else f for i, f in enumerate(box.fingerprints)
        )
        console.print(f"keys: {listed} from {escape(box.source)}", highlight=False, soft_wrap=True)
    db = Database(settings.database_url)
    try:
        migrate.upgrade(db)
        with db.read() as conn:
            found = SiteSecrets(box).count(conn)
    finally:
        db.dispose()
    console.print(f"database: {_counts(found)}", highlight=False, soft_wrap=True)
    for path in _yaml_files(_config_path(config)):
        values = sealed_values(path.read_text())
        if values and box is None:
            raise SecretKeyError(f"{path}: {len(values)} enc: values, and no key to read them")
        if box is not None:
            keys = [box.key_of(value) for _, value in values]
            unreadable = [
                ".".join(map(str, where))
                for (where, _), key in zip(values, keys, strict=True)
                if key is None
            ]
            if unreadable:
                raise SecretKeyError(
                    f"{path}: no key decrypts {', '.join(unreadable)} (encrypted with a "
                    "key that is not among the keys given)"
                )
            older = sum(1 for f in keys if f != box.fingerprints[0])
            console.print(
                f"{escape(str(path))}: {len(values)} enc: values, {older} with an older key",
                highlight=False,
                soft_wrap=True,
            )
    if found.plain or found.older:
        console.print("Run `tocsin secrets rotate` to encrypt them all with the first key.")


def _counts(found: Inventory) -> str:
    return (
        f"{len(found.current)} secrets encrypted with the first key, {len(found.older)} with "
        f"an older key, {len(found.plain)} not encrypted"
    )


def _yaml_files(path: Path | None) -> list[Path]:
    """The configuration's files: the file, or a configuration folder's *.yaml files."""
    if path is None:
        return []
    if path.is_dir():
        return sorted({*path.glob("*.yaml"), *path.glob("*.yml")})
    return [path]


def _replace(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all, keeping the file's mode."""
    mode = path.stat().st_mode & 0o7777
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
