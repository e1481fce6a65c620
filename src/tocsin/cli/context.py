"""Settings and a runtime for CLI commands, and the one-line error convention."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from tocsin.errors import TocsinError
from tocsin.services.runtime import Runtime
from tocsin.settings import Settings
from tocsin.store import migrate

__all__ = ["console", "fail", "open_runtime", "settings_with", "tocsin_errors"]

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


def settings_with(database_url: str | None = None, **overrides: object) -> Settings:
    values = {k: v for k, v in overrides.items() if v is not None}
    if database_url:
        values["database_url"] = database_url
    return Settings(**values)  # type: ignore[arg-type]


def open_runtime(settings: Settings) -> Runtime:
    """A runtime for an administrative command: database migrated, no engine running."""
    runtime = Runtime.build(settings, run_engine=False)
    migrate.upgrade(runtime.db)
    return runtime
