"""``tocsin cluster status``: the nodes on the database and the configuration versions
they run (docs/cluster.md), read from the database."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from tocsin.cli.context import console, settings_with, tocsin_errors
from tocsin.cli.schedules import DatabaseUrl
from tocsin.engine.clock import SystemClock
from tocsin.services.cluster import read_status, status_json
from tocsin.store.database import Database

__all__ = ["cluster_app"]

cluster_app = typer.Typer(help="Several nodes on one database.", no_args_is_help=True)


@cluster_app.command("status")
@tocsin_errors
def status(
    database_url: DatabaseUrl = None,
    as_json: Annotated[bool, typer.Option("--json", help="As JSON.")] = False,
) -> None:
    """The nodes running against the database, and the configuration versions."""
    settings = settings_with(database_url)
    db = Database(settings.database_url)
    try:
        found = read_status(db, SystemClock().now(), settings.cluster_poll)
    finally:
        db.dispose()
    if as_json:
        console.print_json(json.dumps(status_json(found)))
        return
    console.print(f"schema at revision {found.schema} (this Tocsin knows up to {found.head})")
    nodes = Table("node", "address", "version", "schema", "config", "started", "last seen")
    for view in found.nodes:
        n = view.node
        seen = f"{n.seen_at:%Y-%m-%d %H:%M:%S}" + ("" if view.alive else " [red](gone)[/]")
        nodes.add_row(
            escape(n.id),
            escape(f"{n.host} {n.address}"),
            escape(n.version),
            escape(n.schema_revision or "-"),
            str(n.config_version or "-"),
            f"{n.started_at:%Y-%m-%d %H:%M:%S}",
            seen,
        )
    console.print(nodes if found.nodes else "no node is running")
    if found.versions:
        versions = Table("config version", "applied", "by", "why", "from")
        for v in found.versions:
            versions.add_row(
                str(v.version),
                f"{v.applied_at:%Y-%m-%d %H:%M:%S}",
                escape(v.applied_by),
                v.reason,
                escape(v.source),
            )
        console.print(versions)
