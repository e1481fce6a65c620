"""The public status page: how long the server takes for ``/status``, ``/status/history``
and ``/status/api/v2/summary.json`` with a year of history.

    .venv/bin/python bench/status_page.py [--components 50] [--changes 300] [--requests 40]
                                          [--postgres URL] [--profile PATH]

The database (SQLite in a temporary directory, synchronous=FULL as Tocsin ships, or with
``--postgres`` a throwaway database on that server) gets ``--components`` components in
groups of five, each with ``--changes`` status changes spread over the last year (every
outage and its recovery in the history table that uptime is computed from), and a year of
public incidents (one every day, three updates each) and maintenances (one a week), written
straight into the tables. The engine does not run, but its ``status.days`` job does once
(as after a midnight): the finished days of every component are kept, as in production.

Each path is requested ``--requests`` times (after 3 warm-ups) by an anonymous client in
this process (``/status`` three times: as most views find it; with a component changing
status before each view, so its bars are computed afresh; and with nothing kept, as the
first view of a day or after a restart); the figure is the
server's own time, measured by an ASGI wrapper around the
application (the handler, the database reads, the rendering, the JSON encoding), with the
client's round trip beside it. Target: p95 under 50 ms. No other status page is packaged
in Debian to run beside it; the floor printed beside the figures is the same server
answering ``/healthz`` (no database) and a static file: the cost of the framework alone.
``--profile /status`` prints a CPU profile of one path (yappi).
"""

from __future__ import annotations

import argparse
import gc
import random
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import insert
from starlette.types import ASGIApp, Receive, Scope, Send

from peers import each_database
from tocsin.api.app import create_app
from tocsin.domain.status_page import ComponentStatus
from tocsin.engine.clock import SystemClock
from tocsin.engine.status_days import keep
from tocsin.services.runtime import Runtime
from tocsin.settings import Settings
from tocsin.store import status_tables as t

TARGET_MS = 50.0
BAD = [ComponentStatus.DEGRADED, ComponentStatus.PARTIAL, ComponentStatus.MAJOR]


class Timed:
    """An ASGI wrapper that records how long the application took for each request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.last = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            self.last = (time.perf_counter() - started) * 1000


def fill(runtime: Runtime, components: int, changes: int) -> None:
    rnd = random.Random(7)
    now = runtime.clock.now()
    year_ago = now - timedelta(days=365)
    with runtime.db.write() as conn:
        groups = [
            {
                "id": g + 1,
                "name": f"Group {g + 1}",
                "description": None,
                "position": g + 1,
                "created_at": year_ago,
                "updated_at": year_ago,
            }
            for g in range((components + 4) // 5)
        ]
        conn.execute(insert(t.status_groups), groups)
        rows, history = [], []
        for c in range(1, components + 1):
            rows.append(
                {
                    "id": c,
                    "group_id": (c - 1) // 5 + 1,
                    "name": f"Component {c}",
                    "description": "A part of the service" if c % 3 == 0 else None,
                    "position": c,
                    "status": "operational",
                    "only_show_if_degraded": False,
                    "showcase": True,
                    "created_at": year_ago,
                    "updated_at": now,
                }
            )
            history.append({"component_id": c, "status": "operational", "since": year_ago})
            # Outages and their recoveries: ``changes`` rows over the year.
            for _ in range(changes // 2):
                start = year_ago + timedelta(seconds=rnd.uniform(0, 365 * 86400))
                length = timedelta(minutes=rnd.randint(5, 240))
                history.append({"component_id": c, "status": rnd.choice(BAD).value, "since": start})
                history.append(
                    {"component_id": c, "status": "operational", "since": start + length}
                )
        conn.execute(insert(t.status_components), rows)
        conn.execute(insert(t.status_component_history), history)
        incidents, updates, links = [], [], []
        for day in range(365):
            began = year_ago + timedelta(days=day, hours=rnd.randint(0, 23))
            maintenance = day % 7 == 3
            public_id = day + 1
            done = began + timedelta(hours=rnd.randint(1, 6))
            incidents.append(
                {
                    "id": public_id,
                    "kind": "maintenance" if maintenance else "incident",
                    "incident_id": None,
                    "name": f"{'Planned work' if maintenance else 'Elevated errors'} {day}",
                    "status": "completed" if maintenance else "resolved",
                    "impact": "maintenance" if maintenance else rnd.choice(["minor", "major"]),
                    "created_at": began,
                    "updated_at": done,
                    "started_at": began,
                    "monitoring_at": None,
                    "resolved_at": done,
                    "scheduled_for": began if maintenance else None,
                    "scheduled_until": done if maintenance else None,
                    "auto_start": maintenance,
                    "auto_complete": maintenance,
                    "created_by": "bench",
                }
            )
            words = (
                ["scheduled", "in_progress", "completed"]
                if maintenance
                else [
                    "investigating",
                    "monitoring",
                    "resolved",
                ]
            )
            for n, word in enumerate(words):
                updates.append(
                    {
                        "public_id": public_id,
                        "status": word,
                        "body": f"Update {n} of {day}: what we know and what we do next.",
                        "created_at": began + (done - began) * n / 2,
                        "created_by": "bench",
                        "affected_components": [],
                    }
                )
            links.append({"public_id": public_id, "component_id": rnd.randint(1, components)})
        conn.execute(insert(t.public_incidents), incidents)
        conn.execute(insert(t.public_incident_updates), updates)
        conn.execute(insert(t.public_incident_components), links)
        if conn.dialect.name == "postgresql":
            for table, column in [
                ("status_groups", "id"),
                ("status_components", "id"),
                ("public_incidents", "id"),
            ]:
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                    f"(SELECT max({column}) FROM {table}))"
                )
    # One incident going on now, so the page has something to show.
    runtime.status_page.publish(
        None,
        "Elevated API errors",
        "identified",
        "Rolling back.",
        None,
        {1: "major_outage"},
        "bench",
    )


def measure(
    client: TestClient,
    timed: Timed,
    path: str,
    requests: int,
    before: Callable[[int], None] | None = None,
) -> tuple[list[float], list[float]]:
    server, total = [], []
    for n in range(requests + 3):
        if before is not None:
            before(n)
        started = time.perf_counter()
        r = client.get(path)
        elapsed = (time.perf_counter() - started) * 1000
        if r.status_code != 200:
            raise RuntimeError(f"{path}: HTTP {r.status_code}: {r.text[:300]}")
        if n >= 3:
            server.append(timed.last)
            total.append(elapsed)
    return server, total


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def profiled(client: TestClient, timed: Timed, path: str, requests: int) -> None:
    try:
        import yappi  # type: ignore[import-not-found]
    except ImportError:
        print("  --profile needs yappi: .venv/bin/pip install yappi")
        return
    yappi.set_clock_type("cpu")
    yappi.start(builtins=False)
    measure(client, timed, path, requests)
    yappi.stop()
    print(f"  CPU profile of {path} ({requests + 3} requests), by own time:")
    stats = yappi.get_func_stats()
    stats.sort("tsub")
    for row in list(stats)[:30]:
        where = f"{Path(row.module).name}:{row.lineno} {row.name}"
        print(f"    {row.ttot:8.3f}s {row.tsub:8.3f}s {row.ncall:8d}  {where}")
    yappi.clear_stats()


def run(db_url: str, args: argparse.Namespace) -> bool:
    settings = Settings(database_url=db_url)
    runtime = Runtime.build(settings, clock=SystemClock(), run_engine=False)
    runtime.start()
    timed = Timed(create_app(runtime, manage_runtime=False))
    client = TestClient(timed)
    try:
        started = time.perf_counter()
        fill(runtime, args.components, args.changes)
        print(
            f"  filled in {time.perf_counter() - started:.1f} s: {args.components} components,"
            f" {args.components * (args.changes // 2 * 2 + 1):,} status changes, 365 incidents"
        )
        started = time.perf_counter()
        now = runtime.clock.now()
        with runtime.db.write() as conn:
            kept = keep(conn, now.date(), now)
        print(f"  kept {kept:,} finished days in {time.perf_counter() - started:.1f} s")
        gc.collect()
        gc.freeze()  # as the server does once started (api/app.py)

        def change(n: int) -> None:
            """A component changes status: the next view computes its bars afresh."""
            runtime.status_page.set_component_status(2, BAD[n % 3].value)

        def forget(n: int) -> None:
            """Nothing kept: as the first view of a day, or after a restart."""
            runtime.status_page._days.clear()

        paths: list[tuple[str, str, bool, Callable[[int], None] | None]] = [
            ("/status", "/status", True, None),
            ("/status after a change", "/status", True, change),
            ("/status, nothing kept", "/status", True, forget),
            ("/status/history", "/status/history", True, None),
            ("summary.json", "/status/api/v2/summary.json", True, None),
            ("floor: /healthz", "/healthz", False, None),
            ("floor: static CSS", "/static/status.css", False, None),
        ]
        print(f"  {'path':<22} {'server p50':>10} {'p95':>8} {'max':>8} {'client p50':>11}")
        ok = True
        for label, path, target, before in paths:
            server, total = measure(client, timed, path, args.requests, before)
            p95 = pct(server, 0.95)
            if target:
                ok &= p95 < TARGET_MS
            flag = "" if not target or p95 < TARGET_MS else "  OVER TARGET"
            print(
                f"  {label:<22} {pct(server, 0.5):>8.1f}ms {p95:>6.1f}ms {max(server):>6.1f}ms"
                f" {pct(total, 0.5):>9.1f}ms{flag}"
            )
        if args.profile:
            profiled(client, timed, args.profile, args.requests)
        return ok
    finally:
        client.close()
        runtime.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--components", type=int, default=50)
    parser.add_argument("--changes", type=int, default=300, help="status changes a component")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--postgres", metavar="URL", help="also run on this PostgreSQL server")
    parser.add_argument("--profile", metavar="PATH", help="profile one path (yappi)")
    args = parser.parse_args()
    ok = True
    for label, db_url, _ in each_database(args.postgres):
        print(f"Status page, a year of history, {label}: server time per request")
        ok &= run(db_url, args)
    print(f"target: p95 under {TARGET_MS:.0f} ms: {'met' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
