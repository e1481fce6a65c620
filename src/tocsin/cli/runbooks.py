"""``tocsin runbook list|show|new|check``: runbooks as code (docs/runbooks.md).

``new SLUG --title ... --alert X`` writes ``SLUG.md`` from the template into the runbooks
directory (the configuration's, or ``--dir``); ``check DIR`` reads a directory of runbook
files as the server would and prints every problem with its file, line and key (exit 1),
without a server or a database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from tocsin.cli.context import configured_runtime, console, err_console, fail, tocsin_errors
from tocsin.cli.routing import ConfigFile
from tocsin.cli.schedules import DatabaseUrl
from tocsin.config.compile import load_config
from tocsin.config.runbooks import check_directory, file_text
from tocsin.domain.runbook_template import body_from
from tocsin.domain.runbooks import SLUG
from tocsin.engine.clock import SystemClock
from tocsin.errors import ConfigError

__all__ = ["runbook_app"]

runbook_app = typer.Typer(
    help="Runbooks: list them (stale ones flagged), show one, write a new one, check files.",
    no_args_is_help=True,
)

Slug = Annotated[str, typer.Argument(help="The runbook's slug (its file name without .md).")]


@runbook_app.command("list")
@tocsin_errors
def list_runbooks(
    stale: Annotated[bool, typer.Option("--stale", help="Only stale ones.")] = False,
    service: Annotated[str | None, typer.Option("--service", help="Only this service's.")] = None,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Runbooks by slug; stale ones (not reviewed in time) flagged."""
    with configured_runtime(config, database_url) as runtime:
        rows = runtime.runbooks.listing(stale=True if stale else None, service=service)
    table = Table("Slug", "Title", "Alerts", "Owner", "Last reviewed", "Stale", "Kept in")
    for row in rows:
        rb = row.runbook
        covers = [*rb.alerts, *(str(m) for m in rb.matchers)]
        table.add_row(
            rb.slug,
            escape(rb.title),
            escape(", ".join(covers)),
            rb.owner or "",
            rb.last_reviewed.isoformat() if rb.last_reviewed else "never",
            "STALE" if row.stale else "",
            rb.path or ("database (hidden by a file)" if row.hidden else "database"),
        )
    console.print(table)


@runbook_app.command("show")
@tocsin_errors
def show(slug: Slug, config: ConfigFile = None, database_url: DatabaseUrl = None) -> None:
    """A runbook: its facts and Markdown, with the incidents that used it."""
    with configured_runtime(config, database_url) as runtime:
        found = runtime.runbooks.page(slug)
    rb = found.runbook
    console.print(f"[bold]{escape(rb.title)}[/] ({rb.slug})", highlight=False)
    facts = {
        "Alerts": ", ".join([*rb.alerts, *(str(m) for m in rb.matchers)]) or "none",
        "Service": rb.service or "",
        "Owner": rb.owner or "nobody",
        "Last reviewed": rb.last_reviewed.isoformat() if rb.last_reviewed else "never",
        "Stale": "yes" if found.stale else "no",
        "Kept in": rb.path or f"the database, version {rb.version}",
    }
    for name, value in facts.items():
        console.print(f"{name}: {escape(value)}", highlight=False)
    console.print()
    console.print(found.body, markup=False, highlight=False)


@runbook_app.command("new")
@tocsin_errors
def new(
    slug: Slug,
    title: Annotated[str, typer.Option("--title", help="What it is about.")],
    alert: Annotated[
        list[str] | None, typer.Option("--alert", help="An alert name it covers (repeatable).")
    ] = None,
    matcher: Annotated[
        list[str] | None,
        typer.Option("--matcher", help='A matcher alerts must match, e.g. service="api".'),
    ] = None,
    service: Annotated[str | None, typer.Option("--service")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="A user id or team name.")] = None,
    directory: Annotated[
        Path | None, typer.Option("--dir", help="Default: the configuration's runbooks directory.")
    ] = None,
    config: ConfigFile = None,
) -> None:
    """Write DIR/SLUG.md from the runbook template, reviewed today."""
    if not SLUG.match(slug):
        raise fail("the slug must be lower case letters, digits, - and _ (at most 100)")
    template = None
    if directory is None:
        path = Path(config or "tocsin.yaml")
        if not path.exists():
            raise ConfigError(f"{path}: no such file (give --dir, --config or TOCSIN_CONFIG)")
        policy = load_config(str(path)).runbooks
        directory = Path(policy.directory) if policy.directory else path.parent / "runbooks"
        template = policy.template
    target = directory / f"{slug}.md"
    if target.exists():
        raise fail(f"{target} exists already")
    directory.mkdir(parents=True, exist_ok=True)
    text = file_text(
        title=title,
        body=body_from(template, title),
        alerts=alert or (),
        matchers=matcher or (),
        service=service,
        owner=owner,
        last_reviewed=SystemClock().now().date(),
    )
    target.write_text(text, encoding="utf-8")
    console.print(f"Wrote {target}", highlight=False)


@runbook_app.command("check")
def check(
    directory: Annotated[Path, typer.Argument(help="The directory of runbook files.")],
    config: Annotated[
        str | None,
        typer.Option("--config", help="Check owners against this configuration's people."),
    ] = None,
) -> None:
    """Read every runbook file as the server would; print each problem (exit 1 if any)."""
    people = None
    if config:
        try:
            loaded = load_config(config)
        except ConfigError as exc:
            raise fail(str(exc)) from None
        people = {*loaded.users, *loaded.teams}
    found, problems = check_directory(directory, people)
    for problem in problems:
        err_console.print(escape(problem), highlight=False, soft_wrap=True)
    if problems:
        raise typer.Exit(1)
    console.print(f"{len(found)} runbook{'' if len(found) == 1 else 's'} OK", highlight=False)
