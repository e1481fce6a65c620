"""``tocsin silence add|list|expire`` (on the database, like the other admin commands)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from tocsin.cli.context import console, open_runtime, settings_with, tocsin_errors, vouch
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
    recur: Annotated[
        str | None,
        typer.Option(
            "--recur",
            help="Recurring maintenance: mute only while this time interval (from the "
            "configuration's time_intervals) holds, e.g. --recur sunday-nights -d 90d.",
        ),
    ] = None,
    config: Annotated[
        str | None, typer.Option("--config", envvar="TOCSIN_CONFIG", show_default=False)
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Silence the alerts matching every matcher, from now for --duration; print its id."""
    try:
        parsed = tuple(m for text in matchers for m in parse_matchers(text))
        length = parse_duration(duration)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    runtime = open_runtime(settings_with(database_url, config=config))
    try:
        recurrence = None
        if recur is not None:
            named = runtime.routing.time_intervals if runtime.routing else {}
            if recur not in named:
                known = ", ".join(sorted(named)) or "none: give --config with time_intervals"
                raise InputError(f"--recur: unknown time interval {recur!r} (known: {known})")
            recurrence = named[recur]
        now = runtime.clock.now()
        silence_id = runtime.silences.save(
            parsed,
            now,
            now + length,
            vouch(runtime.routing, author),
            comment,
            recurrence=recurrence,
        )
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
    recurring = any(s.recurrence is not None for s, _ in found)
    columns = ["ID", "State", "Matchers", "Starts", "Ends", "Recurs", "By", "Comment"]
    table = Table(*(c for c in columns if recurring or c != "Recurs"))
    for silence, state in found:
        if state is SilenceState.EXPIRED and not expired:
            continue
        table.add_row(
            silence.id,
            state.value,
            ", ".join(str(m) for m in silence.matchers),
            silence.starts_at.strftime("%Y-%m-%d %H:%M"),
            silence.ends_at.strftime("%Y-%m-%d %H:%M"),
            *(
                [(silence.recurrence.name or "custom") if silence.recurrence else ""]
                if recurring
                else []
            ),
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
