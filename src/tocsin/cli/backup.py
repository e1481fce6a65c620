"""``tocsin backup OUT`` and ``tocsin restore FILE`` (docs/backup.md).

The backup is SQLite's online backup API or ``pg_dump --format=custom``, written whole or
not at all; the restore refuses a database that already holds Tocsin's tables unless
``--force``, and says what the restored schema needs and whether its secrets can be read
with the keys at hand.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from tocsin.cli.context import console, err_console, settings_with, tocsin_errors
from tocsin.cli.schedules import DatabaseUrl
from tocsin.secret_box import ENV_KEYS, SecretKeyError, key_file_beside, keys_for
from tocsin.settings import Settings
from tocsin.store import backup as store
from tocsin.store.database import Database
from tocsin.store.site_secrets import SiteSecrets

__all__ = ["backup", "restore"]


@tocsin_errors
def backup(
    out: Annotated[Path, typer.Argument(help="The backup file to write (replaced if there).")],
    database_url: DatabaseUrl = None,
) -> None:
    """Back up the database to one file, while Tocsin runs (SQLite: its backup API;
    PostgreSQL: pg_dump --format=custom)."""
    settings = settings_with(database_url)
    info = store.backup(settings.database_url, out)
    _summary(
        "backup written",
        [
            ("file", str(info.path)),
            ("size", _size(info.size)),
            ("kind", info.kind.value),
            ("schema revision", info.revision or "none"),
        ],
    )
    keys = _keys_note(settings)
    if keys:
        console.print(keys, highlight=False, soft_wrap=True)


@tocsin_errors
def restore(
    file: Annotated[Path, typer.Argument(help="A backup made by `tocsin backup`.")],
    database_url: DatabaseUrl = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Replace the Tocsin tables the database already holds (stop Tocsin)."
        ),
    ] = False,
) -> None:
    """Restore a backup into the database (a new, empty one unless --force)."""
    settings = settings_with(database_url)
    info = store.restore(settings.database_url, file, force=force)
    _summary(
        "restored",
        [
            ("file", str(info.source)),
            ("size", _size(info.source.stat().st_size)),
            ("kind", info.kind.value),
            ("into", info.database),
            ("schema revision", f"{info.revision or 'none'} ({info.state.value})"),
        ],
    )
    if info.state is store.SchemaState.OLDER:
        console.print(
            f"The schema is older than this Tocsin's ({info.head}): `tocsin db upgrade`, or "
            "starting Tocsin, migrates it.",
            highlight=False,
            soft_wrap=True,
        )
    elif info.state is store.SchemaState.UNKNOWN:
        _warn(
            f"schema revision {info.revision} is not one this Tocsin knows (its newest is "
            f"{info.head}): the backup was made by a newer Tocsin. Run that version or a newer "
            "one on this database; this one cannot migrate it."
        )
        return
    unreadable = _unreadable_secrets(settings)
    if unreadable:
        _warn(unreadable)


def _summary(title: str, rows: list[tuple[str, str]]) -> None:
    """``title``, then one ``name  value`` line per row (never cut: paths are copied)."""
    console.print(f"[green]{title}[/]")
    width = max(len(name) for name, _ in rows) + 2
    for name, value in rows:
        console.print(
            f"  [bold]{name.ljust(width)}[/]{escape(value)}", highlight=False, soft_wrap=True
        )


def _warn(message: str) -> None:
    err_console.print(
        f"[bold yellow]warning:[/] {escape(message)}", highlight=False, soft_wrap=True
    )


def _size(size: int) -> str:
    units = ["bytes", "KiB", "MiB", "GiB", "TiB"]
    value, unit = float(size), 0
    while value >= 1024 and unit < len(units) - 1:
        value, unit = value / 1024, unit + 1
    return f"{size} bytes" if unit == 0 else f"{value:.1f} {units[unit]}"


def _keys_note(settings: Settings) -> str | None:
    """What else must be kept for the backup's encrypted secrets to be readable."""
    if settings.secret_keys or settings.secret_keys_file:
        where = settings.secret_keys_file or ENV_KEYS
        return (
            f"Its secrets are encrypted with the keys in {where}, which are not in the "
            "backup: keep them too, apart from it."
        )
    beside = key_file_beside(settings.database_url)
    if beside is not None and beside.exists():
        return (
            f"Its secrets are encrypted with the key in {beside}, which is not in the backup: "
            "keep a copy of that file too, apart from it."
        )
    return None


def _unreadable_secrets(settings: Settings) -> str | None:
    """Why the restored database's encrypted secrets cannot be read with the keys here
    (None: they can); Tocsin would refuse to start on it."""
    try:
        box = keys_for(settings, create=False)
    except SecretKeyError as exc:
        return str(exc)
    db = Database(settings.database_url)
    try:
        with db.read() as conn:
            SiteSecrets(box).count(conn)
    except SecretKeyError:
        beside = key_file_beside(settings.database_url)
        remedy = (
            f"copy the backed-up database's key file to {beside}, or set {ENV_KEYS}"
            if beside is not None
            else f"set {ENV_KEYS} to the key they were encrypted with"
        )
        problem = (
            "the restored database holds encrypted secrets and there is no key here for them"
            if box is None
            else f"the keys in {box.source} do not decrypt the restored database's secrets "
            "(they were encrypted with another key)"
        )
        return f"{problem}. Tocsin will not start on it until you {remedy} (docs/backup.md)."
    finally:
        db.dispose()
    return None
