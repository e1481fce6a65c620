"""Web UI: how long the server takes to render each main page with 10,000 incidents stored.

    .venv/bin/python bench/web.py [--incidents 10000] [--requests 40] [--postgres URL]
                                  [--profile PAGE|slowest]

The database (SQLite in a temporary directory, WAL and synchronous=FULL as Tocsin ships, or
with ``--postgres`` a throwaway database on that server) gets the demo's configuration
(six people, two schedules, an escalation policy) and, written straight into the tables:
``--incidents`` incidents over the last 90 days (97% resolved; each with 8 timeline entries,
a linked alert and 2 pages sent), 20,000 receiver deliveries; then through the real
Alertmanager API 300 firing alerts, and 20 silences through the service.

Each page is requested ``--requests`` times (after 3 warm-ups) by a signed-in client in
this process; the figure is the server's own time from the page's ``Server-Timing`` header
(the handler: the database reads and the rendering), with the client's round trip beside
it. Target: every page under 100 ms. There is no peer to run side by side: Alertmanager's
UI is a browser application over its JSON API, GoAlert and Grafana OnCall are not packaged
in Debian; the target is absolute. ``--profile /alerts`` (or ``slowest``) prints a CPU
profile of that page across threads (needs yappi: ``.venv/bin/pip install yappi``).
"""

from __future__ import annotations

import argparse
import gc
import random
import re
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import insert, text

from peers import each_database
from tocsin.api.app import create_app
from tocsin.cli.demo_sink import demo_config
from tocsin.domain.integrations import IntegrationKind
from tocsin.domain.matchers import parse_matchers
from tocsin.engine.clock import SystemClock
from tocsin.services.runtime import Runtime
from tocsin.settings import Settings
from tocsin.store import tables as t

PASSWORD = "bench password 1"
SERVICES = [f"svc-{i:02d}" for i in range(20)]
PEOPLE = ["akiko", "kenji", "jonas", "lena", "maria", "sam"]
NAMES = ["HighErrorRate", "HighLatency", "InstanceDown", "DiskWillFillIn4Hours", "OOMKilled"]
TARGET_MS = 100.0


def fill(runtime: Runtime, count: int) -> int:
    """Incidents, their timelines, alerts and pages, and deliveries, in bulk; returns the
    id of an incident in the middle (the one whose page is measured)."""
    rnd = random.Random(1)
    now = runtime.clock.now()
    incidents, events, links, pages = [], [], [], []
    for i in range(1, count + 1):
        opened = now - timedelta(days=90) * (1 - i / count) - timedelta(minutes=rnd.randint(5, 60))
        service, name = rnd.choice(SERVICES), rnd.choice(NAMES)
        who = rnd.choice(PEOPLE)
        open_ = i > count * 0.97
        status = rnd.choice(["triggered", "acknowledged", "mitigated"]) if open_ else "resolved"
        acked = opened + timedelta(minutes=rnd.randint(1, 9))
        resolved = acked + timedelta(minutes=rnd.randint(10, 240))
        incidents.append(
            {
                "id": i,
                "title": f"{name}: {service}: bench incident {i}",
                "summary": "",
                "status": status,
                "severity": rnd.choice(["SEV1", "SEV2", "SEV3", "SEV4"]),
                "urgency": "high",
                "service": service,
                "team": "sre",
                "policy": "sre",
                "policy_snapshot": None,
                "group_ident": None,
                "created_at": opened,
                "updated_at": resolved if not open_ else acked,
                "acknowledged_at": acked if status != "triggered" else None,
                "acknowledged_by": who if status != "triggered" else None,
                "mitigated_at": None,
                "resolved_at": resolved if not open_ else None,
                "resolved_by": who if not open_ else None,
                "snoozed_until": None,
                "roles": {},
                "assignees": [],
                "previous_id": None,
                "merged_into": None,
                "level": 1,
                "loop": 0,
                "epoch": 0,
                "reply_code": f"B{i}",
            }
        )
        fingerprint = f"{i:016x}"
        links.append(
            {
                "incident_id": i,
                "fingerprint": fingerprint,
                "firing": open_,
                "added_at": opened,
                "resolved_at": None if open_ else resolved,
                "alertname": name,
            }
        )
        timeline = [
            (opened, "opened", "tocsin", "Opened from alerts: SEV2, high urgency, policy sre"),
            (opened, "alert-fired", "tocsin", f'Alert fired: {name} {{service="{service}"}}'),
            (opened, "paged", "tocsin", f"Level 1 of sre: paging {who}"),
            (opened, "notified", "tocsin", f"Sent webhook to {who}"),
            (acked, "acknowledged", who, f"Acknowledged by {who} (web)"),
            (acked, "note", who, "Looking into it; dashboards show a deploy at the start."),
            (resolved, "alert-resolved", "tocsin", f"Alert resolved: {name}"),
            (resolved, "resolved", "tocsin", "Resolved: every alert has resolved"),
        ]
        for at, kind, actor, words in timeline:
            events.append(
                {
                    "incident_id": i,
                    "at": at,
                    "kind": kind,
                    "actor": actor,
                    "text": words,
                    "data": {},
                }
            )
        for method in ("webhook", "push"):
            pages.append(
                {
                    "dedup_key": f"bench-{i}-{method}",
                    "user_id": who,
                    "kind": "page",
                    "subject": f"[SEV2] {name}: {service}",
                    "body": "",
                    "address": f"http://127.0.0.1:9/{who}",
                    "status": "sent",
                    "attempts": 1,
                    "last_error": None,
                    "created_at": opened,
                    "sent_at": opened,
                    "method": method,
                    "incident_id": i,
                    "details": {},
                }
            )
    deliveries = [
        {
            "group_id": None,
            "log_ident": f"bench-{k}",
            "group_key": '{}:{alertname="HighLatency"}',
            "receiver": "team",
            "integration": "webhook[0]",
            "status": "sent" if k % 50 else "failed",
            "reason": "new_alerts",
            "content": {"groupLabels": {"alertname": "HighLatency"}, "alerts": []},
            "created_at": now - timedelta(minutes=k),
            "updated_at": now - timedelta(minutes=k),
            "attempts": 1,
            "next_attempt_at": None,
            "last_error": None if k % 50 else "HTTP 500",
            "sent_at": now - timedelta(minutes=k),
        }
        for k in range(20_000)
    ]
    with runtime.db.write() as conn:
        for table, rows in (
            (t.incidents, incidents),
            (t.incident_events, events),
            (t.incident_alerts, links),
            (t.messages, pages),
            (t.deliveries, deliveries),
        ):
            for start in range(0, len(rows), 5000):
                conn.execute(insert(table), rows[start : start + 5000])
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT setval('incidents_id_seq', :n)"), {"n": count})
            conn.execute(text("ANALYZE"))
    return count // 2


def alerts_and_silences(runtime: Runtime, client: TestClient, token: str) -> None:
    rnd = random.Random(2)
    now = runtime.clock.now()
    batch = [
        {
            "labels": {
                "alertname": rnd.choice(NAMES),
                "service": rnd.choice(SERVICES),
                "instance": f"host-{n}:9100",
                "severity": "warning",
            },
            "annotations": {"summary": "bench", "runbook_url": "https://runbooks.example.com"},
            "startsAt": (now - timedelta(minutes=rnd.randint(1, 600))).isoformat(),
            "endsAt": (now + timedelta(hours=2)).isoformat(),
        }
        for n in range(300)
    ]
    r = client.post("/api/v2/alerts", json=batch, headers={"Authorization": f"Bearer {token}"})
    r.raise_for_status()
    for n in range(20):
        runtime.silences.save(
            tuple(parse_matchers(f'service="{SERVICES[n]}", instance=~"host-{n}.*"')),
            now,
            now + timedelta(hours=4),
            "sam",
            f"bench maintenance {n}",
        )


def sign_in(client: TestClient) -> None:
    form = client.get("/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form)
    assert csrf, form
    r = client.post(
        "/login",
        data={"login": "sam", "password": PASSWORD, "csrf": csrf.group(1)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


def server_ms(response: Any) -> float:
    timing = response.headers.get("server-timing", "")
    found = re.search(r"dur=([0-9.]+)", timing)
    if not found:
        raise RuntimeError(f"{response.url}: no Server-Timing ({response.status_code})")
    return float(found.group(1))


def measure(client: TestClient, path: str, requests: int) -> tuple[list[float], list[float]]:
    server, total = [], []
    for n in range(requests + 3):
        started = time.perf_counter()
        r = client.get(path)
        elapsed = (time.perf_counter() - started) * 1000
        if r.status_code != 200:
            raise RuntimeError(f"{path}: HTTP {r.status_code}: {r.text[:300]}")
        if n >= 3:
            server.append(server_ms(r))
            total.append(elapsed)
    return server, total


def profiled(client: TestClient, path: str, args: argparse.Namespace) -> None:
    """CPU profile of ``path``'s requests in every thread (the page is built in the event
    loop's thread and in the threadpool, which cProfile alone would not see)."""
    try:
        import yappi  # type: ignore[import-not-found]
    except ImportError:
        print("  --profile needs yappi: .venv/bin/pip install yappi")
        return
    yappi.set_clock_type("cpu")
    yappi.start(builtins=False)
    measure(client, path, args.requests)
    yappi.stop()
    print(f"  CPU profile of {path} ({args.requests + 3} requests), by own time:")
    stats = yappi.get_func_stats()
    stats.sort("tsub")
    for row in list(stats)[:40]:
        where = f"{Path(row.module).name}:{row.lineno} {row.name}"
        print(f"    {row.ttot:8.3f}s {row.tsub:8.3f}s {row.ncall:8d}  {where}")
    yappi.clear_stats()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(db_url: str, folder: Path, args: argparse.Namespace) -> bool:
    config = demo_config(folder / "tocsin.yaml", "http://127.0.0.1:9")
    settings = Settings(database_url=db_url, config=str(config))
    runtime = Runtime.build(settings, clock=SystemClock(), run_engine=False)
    runtime.start()
    client = TestClient(create_app(runtime, manage_runtime=False))
    try:
        started = time.perf_counter()
        middle = fill(runtime, args.incidents)
        _, token = runtime.integrations.create("bench", IntegrationKind.ALERTMANAGER)
        alerts_and_silences(runtime, client, token)
        runtime.accounts.create("sam", PASSWORD, admin=True)
        print(f"  filled in {time.perf_counter() - started:.1f} s")
        sign_in(client)
        gc.collect()
        gc.freeze()  # as the server does once started (api/app.py)
        pages = [
            ("home", "/"),
            ("incidents", "/incidents"),
            ("incidents, filtered", "/incidents?status=resolved&severity=SEV2&service=svc-03"),
            ("incidents, search", "/incidents?q=bench+incident+77"),
            ("incidents, page 40", f"/incidents?before={args.incidents * 4 // 5}"),
            ("incident page", f"/incidents/{middle}"),
            ("alerts", "/alerts"),
            ("alerts, grouped", "/alerts?group_by=alertname,service"),
            ("silences", "/silences"),
            ("on-call (14 days)", "/oncall"),
            ("on-call (28 days)", "/oncall?days=28"),
            ("policies", "/oncall/policies"),
            ("integrations", "/integrations"),
            ("deliveries", "/deliveries"),
            ("people", "/people"),
            ("a person", "/people/sam"),
        ]
        print(f"  {'page':<24} {'server p50':>10} {'p95':>8} {'max':>8} {'client p50':>11}")
        ok, slowest = True, ("", 0.0)
        for label, path in pages:
            server, total = measure(client, path, args.requests)
            p95 = pct(server, 0.95)
            ok &= p95 < TARGET_MS
            if p95 > slowest[1]:
                slowest = (path, p95)
            print(
                f"  {label:<24} {pct(server, 0.5):>8.1f}ms {p95:>6.1f}ms {max(server):>6.1f}ms"
                f" {pct(total, 0.5):>9.1f}ms{'' if p95 < TARGET_MS else '  OVER TARGET'}"
            )
        if args.profile:
            profiled(client, slowest[0] if args.profile == "slowest" else args.profile, args)
        return ok
    finally:
        client.close()
        runtime.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--postgres", metavar="URL", help="also run on this PostgreSQL server")
    parser.add_argument(
        "--profile", metavar="PAGE", help='profile a page ("/alerts") or "slowest" (yappi)'
    )
    args = parser.parse_args()
    ok = True
    for label, db_url, tmp in each_database(args.postgres):
        print(f"Web UI, {args.incidents:,} incidents, {label}: server time per page")
        ok &= run(db_url, tmp, args)
    print(f"target: p95 under {TARGET_MS:.0f} ms on every page: {'met' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
