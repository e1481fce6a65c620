"""``tocsin config export``: the configuration every node runs, as files to keep in git,
with every secret written into them replaced by a ``${NAME}`` reference
(docs/config-as-code.md#export)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from tocsin.cli.context import console, err_console, open_runtime, settings_with, tocsin_errors
from tocsin.cli.routing import config_app
from tocsin.cli.schedules import DatabaseUrl
from tocsin.config.export import SECRETS_FILE, exported_files
from tocsin.errors import ConfigError

__all__ = ["export"]


@config_app.command("export")
@tocsin_errors
def export(
    to: Annotated[
        Path | None,
        typer.Option("--to", help="Write the files into this folder (default: print it)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Into a folder that is not empty.")
    ] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """The configuration every node runs now, as files: secrets never written, referenced."""
    runtime = open_runtime(settings_with(database_url))
    try:
        found = runtime.config_versions.in_force()
    finally:
        runtime.db.dispose()
    if found is None:
        raise ConfigError("no configuration has been applied yet: there is nothing to export")
    version, bundle = found
    files, names = exported_files(bundle)
    variables = "".join(f"# {where}\n{name}=\n" for name, where in names.items())
    if to is None:
        if len(files) != 1:
            raise ConfigError(
                f"the configuration is {len(files)} files: give --to FOLDER to write them"
            )
        sys.stdout.write(next(iter(files.values())))
        if names:
            err_console.print(
                "set these in the environment (their values are not exported):\n"
                + escape(variables),
                highlight=False,
            )
        return
    if to.exists() and any(to.iterdir()) and not force:
        raise ConfigError(f"{to}: not empty (give --force to write into it)")
    for relative, text in files.items():
        target = to / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    if names:
        (to / SECRETS_FILE).write_text(
            "# The secrets the exported configuration references: set each in the environment\n"
            "# of every node (and of the machine that runs tocsin config apply).\n" + variables
        )
    console.print(
        f"exported configuration version {version}: {len(files)} files into "
        f"{escape(str(to))}; {len(names)} secrets referenced"
        + (f" (listed in {SECRETS_FILE})" if names else ""),
        highlight=False,
        soft_wrap=True,
    )
