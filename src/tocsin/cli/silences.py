"""``tocsin silence add|list|expire`` (on the database, like the other admin commands)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from tocsin.cli.context import console, open_runtime, settings_with, tocsin_errors
from tocsin.config.durations import parse_duration
from tocsin.domain.matchers import parse_matchers
from tocsin.domain.silences import SilenceState
from tocsin.errors import InputError

__all__ = ["app"]

app = typer.Typer(help="Silences: mute matching alerts for a while.", no_args_is_help=True)

DatabaseUrl = Annotated[
    str | None, typer.Option("--database-url", envvar="TOCSIN_DATABASE_URL", show_default=False)
]


@app.command("add")
@tocsin_errors
def add(
    matchers: Annotated[list[str], typer.Argument(help='Matchers: name=value, name=~"re" ...')],
    comment: Annotated[str, typer.Option("--comment", "-c", help="Why.")],
    author: Annotated[str, typer.Option("--author", "-a", envvar="USER", help="Who.")],
    duration: Annotated[str, typer.Option("--duration", "-d", help="e.g. 2h, 30m")] = "1h",
    database_url: DatabaseUrl = None,
) -> None:
    """Silence the alerts matching every matcher, from now for --duration; print its id."""
    try:
        parsed = tuple(m for text in matchers for m in parse_matchers(text))
        length = parse_duration(duration)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    runtime = open_runtime(settings_with(database_url))
    try:
        now = runtime.clock.now()
        silence_id = runtime.silences.save(parsed, now, now + length, author, comment)
    finally:
        runtime.db.dispose()
    console.print(silence_id)


@app.command("list")
@tocsin_errors
def list_(
    expired: Annotated[bool, typer.Option(help="Show expired silences too.")] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """List silences: active and pending (and expired with --expired)."""
    runtime = open_runtime(settings_with(database_url))
    try:
        found = runtime.silences.with_state(runtime.silences.all())
    finally:
        runtime.db.dispose()
    table = Table("ID", "State", "Matchers", "Starts", "Ends", "By", "Comment")
    for silence, state in found:
        if state is SilenceState.EXPIRED and not expired:
            continue
        table.add_row(
            silence.id,
            state.value,
            ", ".join(str(m) for m in silence.matchers),
            silence.starts_at.strftime("%Y-%m-%d %H:%M"),
            silence.ends_at.strftime("%Y-%m-%d %H:%M"),
            silence.created_by,
            silence.comment,
        )
    console.print(table)


@app.command("expire")
@tocsin_errors
def expire(silence_ids: list[str], database_url: DatabaseUrl = None) -> None:
    """Expire silences now."""
    runtime = open_runtime(settings_with(database_url))
    try:
        for silence_id in silence_ids:
            runtime.silences.expire(silence_id)
            console.print(f"expired {silence_id}")
    finally:
        runtime.db.dispose()
