"""``tocsin import pagerduty|opsgenie|grafana-oncall``: another tool's users, teams,
schedules and escalation policies as tocsin.yaml, from its live API or from files saved
from it, with a report of what mapped and what did not (docs/importing.md)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from tocsin.cli.context import console, err_console, tocsin_errors
from tocsin.errors import ConfigError
from tocsin.integrations.importers.imported import Imported
from tocsin.integrations.importers.sources import ApiSource, FileSource, JsonSource

__all__ = ["import_app", "run_import"]

import_app = typer.Typer(
    help="Move from PagerDuty, Opsgenie or Grafana OnCall: their setup as tocsin.yaml.",
    no_args_is_help=True,
)

Url = Annotated[str | None, typer.Option("--url", help="The API's base URL.")]
Token = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar="TOCSIN_IMPORT_TOKEN",
        help="The API token (better: in TOCSIN_IMPORT_TOKEN, not on the command line).",
        show_envvar=True,
    ),
]
From = Annotated[
    Path | None, typer.Option("--from", help="A folder of JSON files saved from the API.")
]
Output = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write tocsin.yaml here (default: print it)."),
]
DryRun = Annotated[
    bool, typer.Option("--dry-run", help="Only the report: what maps and what does not.")
]


def source_of(
    url: str | None,
    token: str | None,
    folder: Path | None,
    headers: Callable[[str], dict[str, str]],
) -> JsonSource:
    """The live API (``url`` and ``token``) or saved files (``folder``): exactly one."""
    if (url is None) == (folder is None):
        raise ConfigError("give either --url (with a token) or --from FOLDER")
    if folder is not None:
        return FileSource(folder)
    token = (token or "").strip()  # a file with Windows line ends leaves a \r
    if not token:
        raise ConfigError("--url needs a token: set TOCSIN_IMPORT_TOKEN (or give --token)")
    if not token.isprintable():
        raise ConfigError("the token holds characters a header cannot carry")
    assert url is not None
    return ApiSource(url, headers(token))


def run_import(imported: Imported, output: Path | None, dry_run: bool) -> None:
    """Print the report (stderr) and the configuration (stdout, or ``output``)."""
    err_console.print(escape(imported.report()), highlight=False, soft_wrap=True)
    if dry_run:
        return
    text = imported.yaml_text()
    if output is None:
        sys.stdout.write(text)
        return
    if output.exists():
        raise ConfigError(f"{output}: exists; give another path (nothing was written)")
    output.write_text(text)
    console.print(
        f"wrote {escape(str(output))}: check it with `tocsin config check {escape(str(output))}`",
        highlight=False,
        soft_wrap=True,
    )


@import_app.callback()
@tocsin_errors
def _main() -> None:
    """Each importer reads its tool's API or saved files; none of them changes anything
    there or in Tocsin: it writes a configuration to check, diff and apply."""
