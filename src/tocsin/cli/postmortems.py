"""``tocsin postmortem list|export|sync``: postmortems as code.

``export ID --to DIR`` writes the incident's postmortem to ``DIR/<incident>-<slug>.md``,
Markdown with YAML front matter. Edit it, commit it, review it as you like; ``sync DIR``
reads every ``.md`` file of the directory back: an edit of the stored version is saved
(and its file rewritten with the new version), an edit of an older version is a conflict
(reported, nothing written), a file that says what is stored is unchanged, and a file
with bad front matter is reported with its line. The exit code is 1 when any file was not
synced."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from tocsin.cli.context import configured_runtime, console, fail, tocsin_errors
from tocsin.cli.incidents import As, IncidentId, actor_of
from tocsin.cli.routing import ConfigFile
from tocsin.cli.schedules import DatabaseUrl
from tocsin.config.postmortem_files import FrontMatterError, file_name, parse, write
from tocsin.services.postmortem_sync import Outcome, sync

__all__ = ["postmortem_app"]

postmortem_app = typer.Typer(
    help="Postmortems: list them, export them as Markdown files, sync edited files back.",
    no_args_is_help=True,
)

Directory = Annotated[Path, typer.Argument(help="The directory of postmortem files.")]


def _when(at: object) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if hasattr(at, "strftime") else ""


@postmortem_app.command("list")
@tocsin_errors
def list_postmortems(
    state: Annotated[
        str | None, typer.Option("--state", help="draft, in_review or published.")
    ] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only overdue ones.")] = False,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Postmortems, the soonest due first."""
    with configured_runtime(config, database_url) as runtime:
        now = runtime.clock.now()
        rows = runtime.postmortems.listing(state=state, overdue=True if overdue else None)
    table = Table("Incident", "Sev", "Title", "State", "Version", "Due", "Waiting for")
    for row in rows:
        pm = row.postmortem
        due = _when(pm.due_at) + (" OVERDUE" if pm.overdue(now) else "")
        table.add_row(
            f"#{pm.incident_id}",
            row.severity,
            escape(pm.title),
            pm.state.words,
            str(pm.version),
            due,
            ", ".join(pm.waiting_for),
        )
    console.print(table)


@postmortem_app.command("export")
@tocsin_errors
def export(
    incident_id: IncidentId,
    to: Annotated[Path, typer.Option("--to", help="The directory to write the file to.")],
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Write the incident's postmortem as DIR/<incident>-<slug>.md."""
    with configured_runtime(config, database_url) as runtime:
        pm = runtime.postmortems.get(incident_id)
    to.mkdir(parents=True, exist_ok=True)
    path = to / file_name(pm)
    others = [p for p in to.glob(f"{incident_id}-*.md") if p.name != path.name]
    path.write_text(write(pm), encoding="utf-8")
    console.print(f"wrote {escape(str(path))} (version {pm.version}, {pm.state.words})")
    for other in others:
        console.print(
            f"[yellow]note:[/] {escape(str(other))} is an older file of this postmortem "
            "(its title changed): delete it once its edits are synced"
        )


@postmortem_app.command("sync")
@tocsin_errors
def sync_directory(
    directory: Directory,
    who: As = None,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Read edited postmortem files back: save edits of the stored version, report the rest."""
    if not directory.is_dir():
        raise fail(f"{directory}: no such directory")
    files = sorted(directory.glob("*.md"))
    if not files:
        console.print(f"no .md files in {escape(str(directory))}")
        return
    trouble = 0
    with configured_runtime(config, database_url) as runtime:
        actor = actor_of(runtime, who)
        for path in files:
            name = escape(str(path))
            try:
                doc = parse(path.read_text(encoding="utf-8"))
            except FrontMatterError as exc:
                console.print(f"[red]bad front matter[/] {name}:{exc.line}: {escape(exc.problem)}")
                trouble += 1
                continue
            done = sync(runtime.postmortems, doc, actor)
            if done.outcome is Outcome.SAVED and done.postmortem is not None:
                path.write_text(write(done.postmortem), encoding="utf-8")
                console.print(f"[green]saved[/] {name}: {escape(done.message)}")
            elif done.outcome is Outcome.UNCHANGED:
                console.print(f"unchanged {name} (version {done.stored_version})")
            elif done.outcome is Outcome.CONFLICT:
                console.print(
                    f"[red]CONFLICT[/] {name}: stored version {done.stored_version}, file "
                    f"version {done.file_version}: {escape(done.message)}"
                )
                trouble += 1
            else:
                console.print(f"[red]not synced[/] {name}: {escape(done.message)}")
                trouble += 1
    if trouble:
        raise typer.Exit(1)
