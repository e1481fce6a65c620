"""Settings and a runtime for CLI commands, and the one-line error convention."""

from __future__ import annotations

import functools
import getpass
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from tocsin.config.compile import RoutingConfig
from tocsin.domain.access import Need, Principal, Role
from tocsin.errors import ConfigError, TocsinError
from tocsin.services.access import require_role
from tocsin.services.runtime import Runtime
from tocsin.settings import Settings
from tocsin.store import migrate

__all__ = [
    "configured_runtime",
    "console",
    "fail",
    "open_runtime",
    "operator",
    "settings_with",
    "tocsin_errors",
    "vouch",
]

console = Console()
err_console = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def tocsin_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn Tocsin's errors into one clear line on stderr and a non-zero exit."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except TocsinError as exc:
            raise fail(str(exc)) from None
        except KeyboardInterrupt:
            sys.exit(130)

    return wrapper


def operator(runtime: Runtime) -> Principal:
    """The person at the CLI: whoever holds the database's credentials may do anything
    (``--as`` names the person an action is recorded for, and their role is checked)."""
    return Principal(f"cli:{getpass.getuser()}", Role.ADMIN)


def vouch(config: RoutingConfig | None, person: str, need: Need = Need.RESPOND) -> str:
    """``person``, named as the one who acts (``--author``, ``--as``): refused when they are
    a configured person whose role does not allow it (docs/security.md, "The CLI")."""
    require_role(config, person, need)
    return person


def settings_with(database_url: str | None = None, **overrides: object) -> Settings:
    values = {k: v for k, v in overrides.items() if v is not None}
    if database_url:
        values["database_url"] = database_url
    return Settings(**values)  # type: ignore[arg-type]


def open_runtime(settings: Settings) -> Runtime:
    """A runtime for an administrative command: database migrated, no engine running."""
    runtime = Runtime.build(settings, run_engine=False)
    migrate.upgrade(runtime.db)
    runtime.signing_key.load(runtime.db, runtime.clock.now())
    runtime.accounts.load()
    return runtime


@contextmanager
def configured_runtime(config: str | None, database_url: str | None) -> Iterator[Runtime]:
    """A runtime over the configuration file (default ``tocsin.yaml``) and the database."""
    path = config or "tocsin.yaml"
    if not Path(path).exists():
        raise ConfigError(f"{path}: no such file (give --config or set TOCSIN_CONFIG)")
    runtime = open_runtime(settings_with(database_url, config=path))
    try:
        yield runtime
    finally:
        runtime.messages.close()
        runtime.db.dispose()
