"""``tocsin audit list`` and ``tocsin audit export``: the audit log from the command line,
read from the database the server uses (docs/security.md, "Audit log")."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from tocsin.cli.context import console, err_console, open_runtime, settings_with, tocsin_errors
from tocsin.cli.schedules import DatabaseUrl
from tocsin.services.audit import FORMATS, AuditService, entry_json
from tocsin.store.audit import Entry, Query

__all__ = ["audit_app"]

audit_app = typer.Typer(
    help="The audit log: who changed what, when, from where.", no_args_is_help=True
)

Actor = Annotated[str | None, typer.Option("--actor", help="Exactly this actor.")]
Action = Annotated[
    str | None,
    typer.Option("--action", help="An action or its prefix: incident, config.reloaded..."),
]
Kind = Annotated[str | None, typer.Option("--kind", help="The object's kind: incident...")]
ObjectId = Annotated[str | None, typer.Option("--object", help="The object's id.")]
Since = Annotated[
    str | None, typer.Option("--since", help="From this time on (2026-03-01T12:00:00Z or a date).")
]
Until = Annotated[str | None, typer.Option("--until", help="Before this time.")]


def _query(
    actor: str | None,
    action: str | None,
    kind: str | None,
    object_id: str | None,
    since: str | None,
    until: str | None,
) -> Query:
    return AuditService.query(
        actor=actor,
        action=action,
        object_kind=kind,
        object_id=object_id,
        since=since,
        until=until,
    )


def _value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value


def _change(entry: Entry) -> str:
    """``field: before -> after; ...`` (only after, or only before, when one is missing)."""
    before, after = entry.before or {}, entry.after or {}
    parts = []
    for key in dict.fromkeys([*before, *after]):
        if key in before and key in after:
            parts.append(f"{key}: {_value(before[key])} -> {_value(after[key])}")
        elif key in after:
            parts.append(f"{key}: {_value(after[key])}")
        else:
            parts.append(f"{key}: was {_value(before[key])}")
    text = "; ".join(parts)
    return text if len(text) <= 300 else text[:299] + "…"


def _show(found: list[Entry]) -> None:
    """Two lines an entry, whatever the terminal's width: what happened, then the change."""
    for e in found:
        target = e.object_kind + (f" {e.object_id}" if e.object_id else "")
        where = f" from {e.address}" if e.address else ""
        console.print(
            f"[bold]#{e.id}[/] {e.at:%Y-%m-%d %H:%M:%S} UTC  [bold]{escape(e.action)}[/] "
            f"{escape(target)}  by {escape(e.actor)} via {e.via}{escape(where)}",
            highlight=False,
            soft_wrap=True,
        )
        change = _change(e)
        if change:
            console.print(f"    {escape(change)}", highlight=False, soft_wrap=True)


@audit_app.command("list")
@tocsin_errors
def list_(
    actor: Actor = None,
    action: Action = None,
    kind: Kind = None,
    object_id: ObjectId = None,
    since: Since = None,
    until: Until = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="At most this many.")] = 50,
    cursor: Annotated[
        str | None, typer.Option("--cursor", help="Older entries: the cursor a list gave.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON, as the API answers.")] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Entries of the audit log, newest first."""
    query = _query(actor, action, kind, object_id, since, until)
    runtime = open_runtime(settings_with(database_url))
    try:
        found, following = runtime.audit.entries(query, cursor=cursor, limit=limit)
    finally:
        runtime.db.dispose()
    if as_json:
        document = {"entries": [entry_json(e) for e in found], "next_cursor": following}
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        return
    if not found:
        console.print("no entries")
        return
    _show(found)
    if following:
        err_console.print(f"older entries: --cursor {following}", highlight=False)


@audit_app.command("export")
@tocsin_errors
def export(
    format_: Annotated[
        str, typer.Option("--format", "-f", help="jsonl (one JSON object a line) or csv.")
    ] = "jsonl",
    since: Since = None,
    until: Until = None,
    actor: Actor = None,
    action: Action = None,
    kind: Kind = None,
    object_id: ObjectId = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here (default: stdout).")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Every entry (within the filters), oldest first, as JSON lines or CSV."""
    if format_ not in FORMATS:
        raise typer.BadParameter(f"must be one of {', '.join(FORMATS)}", param_hint="--format")
    query = _query(actor, action, kind, object_id, since, until)
    runtime = open_runtime(settings_with(database_url))
    try:
        if output is None:
            for chunk in runtime.audit.export(query, format_):
                sys.stdout.write(chunk)
            sys.stdout.flush()
            return
        with output.open("w", encoding="utf-8", newline="") as out:
            for chunk in runtime.audit.export(query, format_):
                out.write(chunk)
    finally:
        runtime.db.dispose()
    console.print(f"{escape(str(output))}: audit log exported ({format_})", highlight=False)
