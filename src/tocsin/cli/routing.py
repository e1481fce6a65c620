"""``tocsin config check``, ``tocsin config schema``, ``tocsin route test`` and ``tocsin route
show``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.tree import Tree

from tocsin.cli.context import console, tocsin_errors
from tocsin.config.compile import RoutingConfig
from tocsin.config.json_schema import json_schema
from tocsin.domain.labels import label_name_problem
from tocsin.domain.routing import Route, match_routes, walk
from tocsin.errors import ConfigError, InputError
from tocsin.services.configuration import load_configuration

__all__ = ["ConfigFile", "config_app", "load", "route_app"]

config_app = typer.Typer(help="Configuration files.", no_args_is_help=True)
route_app = typer.Typer(help="The routing tree.", no_args_is_help=True)

ConfigFile = Annotated[
    str | None,
    typer.Option("--config", envvar="TOCSIN_CONFIG", help="Default: ./tocsin.yaml"),
]


def load(path: str | None) -> RoutingConfig:
    """The configuration file the command names (--config, TOCSIN_CONFIG, ./tocsin.yaml)."""
    path = path or "tocsin.yaml"
    if not Path(path).exists():
        raise ConfigError(f"{path}: no such file (give --config or set TOCSIN_CONFIG)")
    return load_configuration(path)


@config_app.command("schema")
@tocsin_errors
def schema(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write it here (default: print it).")
    ] = None,
) -> None:
    """Print the JSON Schema of tocsin.yaml, for completion and checking in an editor."""
    text = json.dumps(json_schema(), indent=2, sort_keys=False) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text)
        console.print(f"wrote {escape(str(output))}", highlight=False)


@config_app.command("check")
@tocsin_errors
def check(
    file: Annotated[str | None, typer.Argument(help="Default: --config / TOCSIN_CONFIG")] = None,
    config: ConfigFile = None,
) -> None:
    """Validate a configuration; print every problem with file, line and key."""
    loaded = load(file or config)
    routes = sum(1 for _ in walk(loaded.route))
    for warning in loaded.warnings:
        console.print(f"warning: {warning}", style="yellow", soft_wrap=True, highlight=False)
    console.print(
        f"{loaded.source}: OK: {routes} route(s), {len(loaded.receivers)} receiver(s), "
        f"{len(loaded.inhibit_rules)} inhibit rule(s), "
        f"{len(loaded.time_intervals)} time interval(s)",
        soft_wrap=True,
    )


@route_app.command("test")
@tocsin_errors
def test(
    labels: Annotated[list[str], typer.Argument(help="The alert's labels as name=value.")],
    config: ConfigFile = None,
) -> None:
    """Print the receivers an alert with these labels reaches, in order (like amtool)."""
    label_set: dict[str, str] = {}
    for item in labels:
        name, sep, value = item.partition("=")
        problem = label_name_problem(name) if sep else "expected name=value"
        if problem:
            raise InputError(f"label {item!r}: {problem}")
        label_set[name] = value.strip('"')
    matched = match_routes(load(config).route, label_set)
    console.print(",".join(r.receiver for r in matched), highlight=False)


@route_app.command("show")
@tocsin_errors
def show(config: ConfigFile = None) -> None:
    """Print the routing tree."""
    root = load(config).route
    tree = Tree(_describe(root, root=True))

    def add(node: Tree, route: Route) -> None:
        for child in route.routes:
            add(node.add(_describe(child)), child)

    add(tree, root)
    console.print(tree, highlight=False)


def _describe(route: Route, *, root: bool = False) -> str:
    parts = ["default-route" if root else "{" + ",".join(str(m) for m in route.matchers) + "}"]
    if route.continue_:
        parts.append("continue: true")
    parts.append(f"receiver: {route.receiver}")
    if route.group_by.everything:
        parts.append("group_by: [...]")
    elif route.group_by.labels:
        parts.append(f"group_by: [{', '.join(route.group_by.labels)}]")
    return "  ".join(parts).replace("[", "\\[")
