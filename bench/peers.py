"""What the benchmarks share: free ports, starting a server and waiting until it is ready,
a Tocsin integration token, and a throwaway database (on SQLite, then on PostgreSQL)."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import create_engine, make_url, text

from tocsin.settings import Settings

__all__ = ["database", "each_database", "free_port", "process", "tocsin_token", "wait_ready"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{url} exited early:\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    sys.exit(f"{url} not ready after {timeout}s:\n{log.read_text()[-2000:]}")


@contextmanager
def process(cmd: list[str], log: Path, ready: str, env: dict[str, str]) -> Iterator[int]:
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        wait_ready(ready, proc, log)
        yield proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


def stored_alerts(port: int, token: str, run: str) -> int:
    """How many alerts labelled ``bench_run=run`` the Tocsin on ``port`` has."""
    r = httpx.get(
        f"http://127.0.0.1:{port}/api/v2/alerts",
        params={"filter": f'bench_run="{run}"'},
        headers={"Authorization": f"Bearer {token}"},
        timeout=120,
    )
    r.raise_for_status()
    return len(r.json())


def tocsin_token(env: dict[str, str], kind: str = "alertmanager") -> str:
    """Create an integration in the database ``env`` points at; return its token."""
    created = subprocess.run(
        [sys.executable, "-m", "tocsin", "integration", "create", "bench", "--kind", kind],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"\b[0-9a-f]{32}\b", created.stdout)
    if found is None:
        sys.exit(f"no token in: {created.stdout}")
    return found.group(0)


@contextmanager
def database(postgres: str | None, folder: Path) -> Iterator[str]:
    """SQLite in ``folder``, or a throwaway database on the PostgreSQL server, dropped after."""
    if postgres is None:
        yield f"sqlite:///{folder}/tocsin.db"
        return
    admin = create_engine(
        Settings(database_url=postgres).database_url, isolation_level="AUTOCOMMIT"
    )
    name = f"tocsin_bench_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(str(admin.url)).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def each_database(postgres: str | None) -> Iterator[tuple[str, str, Path]]:
    """(its label, its URL, a scratch folder) of a throwaway SQLite database, then of one on
    the PostgreSQL server ``postgres`` when given; each gone when the next is made."""
    backends: list[tuple[str, str | None]] = [("SQLite (synchronous=FULL)", None)]
    if postgres:
        backends.append(("PostgreSQL", postgres))
    for label, server in backends:
        with tempfile.TemporaryDirectory() as tmp, database(server, Path(tmp)) as db_url:
            yield label, db_url, Path(tmp)
