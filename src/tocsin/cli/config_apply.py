"""``tocsin config diff`` and ``tocsin config apply``: a configuration file compared with the
one every node runs, like a Terraform plan; and applied, as a new version every node follows
(docs/config-as-code.md)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.markup import escape

from tocsin import origin
from tocsin.cli.context import console, err_console, open_runtime, settings_with, tocsin_errors
from tocsin.cli.routing import ConfigFile, config_app
from tocsin.cli.schedules import DatabaseUrl
from tocsin.config.plan import Change, plan, summary
from tocsin.errors import ConfigError
from tocsin.services.config_versions import Loaded, bundle_text, read_file
from tocsin.services.runtime import Runtime

__all__ = ["apply", "diff"]

File = Annotated[str | None, typer.Argument(help="Default: --config / TOCSIN_CONFIG")]
ExitCode = Annotated[
    bool,
    typer.Option("--exit-code", help="Exit 2 when there are changes (0: none, 1: an error)."),
]


def _print(changes: list[Change]) -> None:
    styles = {"create": "green", "change": "yellow", "delete": "red"}
    for change in changes:
        console.print(
            f"[{styles[change.action]}]{escape(str(change))}[/]", highlight=False, soft_wrap=True
        )
        for detail in change.details:
            console.print(f"    {escape(detail)}", highlight=False, soft_wrap=True)
    console.print(summary(changes), highlight=False)


def _planned(
    file: str | None, config: str | None, database_url: str | None
) -> tuple[Runtime, Loaded, list[Change], str, int | None]:
    path = file or config
    if not path:
        raise ConfigError("give the configuration file (or --config, TOCSIN_CONFIG)")
    runtime = open_runtime(settings_with(database_url))
    try:
        # ConfigError with every problem (file:line: key) before anything is compared
        loaded = read_file(path, lambda: runtime.signing_key.site.box)
        found = runtime.config_versions.in_force()
        in_force = found[1] if found is not None else None
    except BaseException:
        runtime.db.dispose()
        raise
    before = bundle_text(in_force) if in_force is not None else ""
    version = found[0] if found is not None else None
    return runtime, loaded, plan(in_force, loaded.bundle), before, version


@config_app.command("diff")
@tocsin_errors
def diff(
    file: File = None,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
    exit_code: ExitCode = False,
) -> None:
    """What applying the file would create, change and delete, against the configuration
    every node runs now."""
    runtime, _, changes, _, _ = _planned(file, config, database_url)
    runtime.db.dispose()
    _print(changes)
    if exit_code and changes:
        raise typer.Exit(2)


@config_app.command("apply")
@tocsin_errors
def apply(
    file: File = None,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Apply without asking.")] = False,
) -> None:
    """Check the file, show the plan, and apply it as a new configuration version: every
    node runs it within moments, all of it or (on any error) none of it; audited."""
    runtime, loaded, changes, before, planned = _planned(file, config, database_url)
    try:
        _print(changes)
        if not changes:
            return
        if not yes:
            if not sys.stdin.isatty():
                raise ConfigError("not applied: give --yes to apply without a terminal to ask")
            if not typer.confirm("Apply these changes?"):
                err_console.print("not applied")
                raise typer.Exit(1)
        who = origin.cli_origin()
        runtime.config_versions.node = f"{who.actor} ({who.address})"[:200]
        stored = runtime.store_config(loaded, "apply", "config.applied", before, planned)
        console.print(
            f"applied as configuration version {stored.version}: every node runs it within "
            "moments (tocsin cluster status)",
            highlight=False,
            soft_wrap=True,
        )
    finally:
        runtime.db.dispose()
