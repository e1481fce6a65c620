"""Escalation timers: 10,000 open incidents whose levels and page steps come due over 10 minutes.

    .venv/bin/python bench/escalation.py [--incidents 10000] [--span 600] [--postgres URL]
                                         [--profile]

Tocsin's engine runs in this process on the real clock (lateness is real time), on SQLite in
a temporary directory (WAL, synchronous=FULL, as it ships) or, with ``--postgres``, in a
throwaway database on that server. A loopback HTTP server (stdlib ``ThreadingHTTPServer``,
a 200 with ntfy's JSON answer) stands in for ntfy and for the people's webhooks and records
when each page arrived.

50 users, each with high-urgency rules push at once and webhook after ``R``; a policy of two
levels: round robin over users 0-24, then the on-call of an hourly rotation over users 25-49,
``D`` apart. So every incident makes 4 pages (2 levels x 2 steps). The incidents are opened
first, with the engine stopped; then their first level's timer is moved to a time drawn
uniformly from [t0, t0 + span] and the engine starts. Level 1, its steps, level 2 (``D``
later: inside the span for three quarters of them) and its steps come due as the policy
says; the run ends when every page has arrived (late ones are waited for while pages keep
coming). D = span/4 (at least 60 s, Tocsin's floor) and R = span/20: 150 s and 30 s for the
default span of 600 s, so the run takes about 13 minutes after a minute or so of opening
incidents; ``--incidents 2000 --span 60`` takes about 2.

Lateness is measured per timer from what the engine recorded: a level firing (the
``escalated`` timeline entry's time - its timer's due time), a page step (the message's
``created_at`` - the level's firing - the rule's delay), a send (arrival at the receiver - the
message's ``created_at``, when its send timer was due; includes the HTTP request). And per
page, end to end: arrival (and the recorded ``sent_at``) minus when the policy says it is due
(the planned first firing + level x D + rule x R), which adds up the lateness of every timer
before it. Every page must arrive exactly once: the receiver's requests are counted against
the messages.

Target: timer lateness p99 under 1 s. There is no peer to run side by side (Alertmanager has
no escalations; GoAlert is not packaged in Debian): the target is absolute. ``--profile``
prints a cProfile summary of the engine thread.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from peers import database
from tocsin.domain.incidents import Severity, Urgency
from tocsin.notify.incident_desk import Opening
from tocsin.notify.messages import MESSAGE
from tocsin.notify.paging import ESCALATE, PAGE_STEP
from tocsin.services.runtime import Runtime
from tocsin.settings import Settings
from tocsin.store import timers as timer_store
from tocsin.store.tables import incident_events, messages, timers

USERS = 50
BATCH = 500  # incidents opened per transaction
TARGET_P99_MS = 1000.0


@dataclass
class Receiver:
    """Every request's arrival time, keyed by the page it carries (incident, user, method)."""

    arrived: list[tuple[float, int, str, str]] = field(default_factory=list)
    odd: list[str] = field(default_factory=list)

    def handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            # Head and body in one go: no 40 ms wait for the client's delayed ACK (Nagle).
            disable_nagle_algorithm = True

            protocol_version = "HTTP/1.1"  # keep-alive, as a real ntfy server

            def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
                at = time.time()
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                try:
                    page = _page(self.path, json.loads(raw))
                except (ValueError, KeyError, IndexError, TypeError):
                    page = None  # answered 200 all the same: counted, never retried
                if page is None:
                    receiver.odd.append(f"{self.path} {raw[:200]!r}")
                    page = (0, self.path, "?")
                receiver.arrived.append((at, *page))
                answer = b'{"id":"bench","event":"message"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def _page(path: str, body: dict[str, Any]) -> tuple[int, str, str] | None:
    """(incident, user, method) of a page request; the incident from the title "... (#id)"
    (push) or ``incidentId`` (webhook)."""
    if path == "/ntfy/":
        return int(body["title"].rsplit("(#", 1)[1].rstrip(")")), body["topic"], "push"
    if path.startswith("/hook/"):
        return int(body["incidentId"]), path.removeprefix("/hook/"), "webhook"
    return None


def configuration(url: str, level_delay: int, rule_delay: int) -> str:
    users = "\n".join(
        f"  - {{id: u{i:02}, ntfy_topic: u{i:02}, webhook_url: {url}/hook/u{i:02}, "
        f"notification_rules: {{high: [{{method: push}}, "
        f"{{method: webhook, delay: {rule_delay}s}}]}}}}"
        for i in range(USERS)
    )
    half = USERS // 2
    first = ", ".join(f"{{user: u{i:02}}}" for i in range(half))
    second = ", ".join(f"u{i:02}" for i in range(half, USERS))
    return f"""route: {{receiver: none}}
receivers: [{{name: none}}]
users:
{users}
schedules:
  - name: secondary
    time_zone: UTC
    layers:
      - {{start: 2026-01-05T00:00:00, rotation: {{type: hourly}}, users: [{second}]}}
escalation_policies:
  - name: bench
    levels:
      - {{delay: {level_delay}s, mode: round_robin, targets: [{first}]}}
      - {{delay: {level_delay}s, targets: [{{schedule: secondary}}]}}
paging:
  ntfy: {{base_url: {url}/ntfy, timeout: 5s}}
  webhook: {{timeout: 5s}}
"""


def open_incidents(runtime: Runtime, count: int) -> list[int]:
    """Open ``count`` incidents on the bench policy (the engine is not running yet)."""
    opening = Opening(
        title="Bench incident", severity=Severity.SEV1, urgency=Urgency.HIGH, policy="bench"
    )
    ids: list[int] = []
    while len(ids) < count:
        with runtime.db.write() as conn:
            now = runtime.clock.now()
            for _ in range(min(BATCH, count - len(ids))):
                ids.append(runtime.incidents.desk.open(conn, opening, "bench", now).id)
    return ids


def percentiles(values: list[float]) -> tuple[int, float, float, float]:
    if not values:
        return 0, float("nan"), float("nan"), float("nan")
    ordered = sorted(values)
    n = len(ordered)
    return n, ordered[n // 2], ordered[min(n - 1, int(0.99 * n))], ordered[-1]


def overdue(runtime: Runtime) -> int:
    """Timers of the bench's kinds more than 1 s past due and not yet done."""
    late = runtime.clock.now() - timedelta(seconds=1)
    with runtime.db.read() as conn:
        query = select(func.count()).where(
            timers.c.kind.in_([ESCALATE, PAGE_STEP, MESSAGE]), timers.c.due_at <= late
        )
        return int(conn.execute(query).scalar_one())


def profiled(loop: Callable[[float], None], profile: cProfile.Profile) -> Callable[[float], None]:
    def run(poll: float) -> None:
        profile.runcall(loop, poll)

    return run


@dataclass(frozen=True)
class Plan:
    """When the policy says each incident's pages are due."""

    t0: datetime
    first: dict[int, datetime]  # incident -> its first level's due time
    level_delay: timedelta
    rule_delay: timedelta
    end: datetime  # the last page's due time, at the latest

    def due(self, incident: int, level: int, rule: int) -> datetime:
        return self.first[incident] + level * self.level_delay + rule * self.rule_delay


def prepare(
    runtime: Runtime, n: int, span: float, lead: float, level: timedelta, rule: timedelta
) -> Plan:
    """Open the incidents, then move their first levels into [t0, t0 + span]."""
    ids = open_incidents(runtime, n)
    rng = random.Random(42)
    t0 = runtime.clock.now() + timedelta(seconds=lead)
    first = {i: t0 + timedelta(seconds=rng.uniform(0, span)) for i in ids}
    with runtime.db.write() as conn:
        for i, due in first.items():
            timer_store.schedule(conn, ESCALATE, str(i), due)
    if runtime.clock.now() > t0:
        sys.exit(f"setup ran past t0: raise --lead (now {lead:.0f} s)")
    return Plan(t0, first, level, rule, end=t0 + timedelta(seconds=span) + level + rule)


def wait_for_pages(runtime: Runtime, receiver: Receiver, plan: Plan, expected: int) -> int:
    """Until every page has arrived and is recorded sent; past ``plan.end``, as long as pages
    keep coming. Returns the largest backlog seen (timers more than 1 s late)."""
    deadline = plan.end + timedelta(seconds=60)
    worst, reported, seen = 0, 0.0, 0
    while True:
        time.sleep(1)
        now = runtime.clock.now()
        backlog = overdue(runtime)
        worst = max(worst, backlog)
        if len(receiver.arrived) > seen:
            seen = len(receiver.arrived)
            deadline = max(deadline, now + timedelta(seconds=60))
        if time.monotonic() - reported >= 30:
            reported = time.monotonic()
            print(
                f"  t0{(now - plan.t0).total_seconds():+6.0f}s: "
                f"{seen}/{expected} pages, {backlog} timers >1 s late",
                file=sys.stderr,
            )
        if now > deadline:
            return worst
        if seen >= expected and now > plan.end:
            with runtime.db.read() as conn:
                unsent = conn.execute(
                    select(func.count()).where(
                        messages.c.kind == "page", messages.c.sent_at.is_(None)
                    )
                ).scalar_one()
            if unsent == 0:
                return worst


def recorded(runtime: Runtime) -> tuple[list[Any], list[Any]]:
    """The levels fired (incident, at, data) and the pages (incident, user, method,
    created_at, sent_at, details), as the engine recorded them."""
    with runtime.db.read() as conn:
        fired = conn.execute(
            select(
                incident_events.c.incident_id, incident_events.c.at, incident_events.c.data
            ).where(incident_events.c.kind == "escalated")
        ).all()
        pages = conn.execute(
            select(
                messages.c.incident_id,
                messages.c.user_id,
                messages.c.method,
                messages.c.created_at,
                messages.c.sent_at,
                messages.c.details,
            ).where(messages.c.kind == "page")
        ).all()
    return list(fired), list(pages)


@dataclass
class Figures:
    level_ms: list[float] = field(default_factory=list)
    step_ms: list[float] = field(default_factory=list)
    send_ms: list[float] = field(default_factory=list)
    arrived_ms: list[float] = field(default_factory=list)
    sent_ms: list[float] = field(default_factory=list)
    levels: int = 0
    messages: int = 0
    arrived: int = 0
    duplicates: int = 0
    arrivals: list[float] = field(default_factory=list)

    @property
    def timer_ms(self) -> list[float]:
        return self.level_ms + self.step_ms + self.send_ms


def measure(plan: Plan, fired: list[Any], pages: list[Any], receiver: Receiver) -> Figures:
    """Each timer's lateness against its own due time, each page's against the plan."""
    f = Figures(levels=len(fired), messages=len(pages))
    fire_at = {(incident, int(data["level"]) - 1): at for incident, at, data in fired}
    for (incident, level), at in fire_at.items():
        due = plan.first[incident] if level == 0 else fire_at[(incident, 0)] + plan.level_delay
        f.level_ms.append((at - due).total_seconds() * 1000)
    paged = [a for a in receiver.arrived if a[3] != "?"]
    copies = Counter((i, u, m) for _, i, u, m in paged)
    first_arrival: dict[tuple[int, str, str], float] = {}
    for at, incident, user, method in paged:
        first_arrival.setdefault((incident, user, method), at)
    f.arrived, f.duplicates = len(first_arrival), sum(c - 1 for c in copies.values())
    f.arrivals = sorted(at for at, *_ in paged)
    for incident, user, method, created, sent, details in pages:
        # The idempotency key: tocsin-<incident>-<epoch>-<loop>/<level>/<rule>-<user>-<method>
        _, level, rule = (int(x) for x in details["idempotency_key"].split("-")[3].split("/"))
        step_due = fire_at[(incident, level)] + rule * plan.rule_delay
        f.step_ms.append((created - step_due).total_seconds() * 1000)
        planned = plan.due(incident, level, rule)
        if sent is not None:
            f.sent_ms.append((sent - planned).total_seconds() * 1000)
        arrived = first_arrival.get((incident, user, method))
        if arrived is not None:
            f.send_ms.append((arrived - created.timestamp()) * 1000)
            f.arrived_ms.append((arrived - planned.timestamp()) * 1000)
    return f


def busiest(stamps: list[float]) -> float:
    """Pages per second in the busiest 10 s."""
    per = Counter(int(s // 10) for s in stamps)
    return max(per.values(), default=0) / 10


def report(f: Figures, plan: Plan, receiver: Receiver, expected: int, setup: str) -> bool:
    """Print the table and the figures around it; True when the target is met."""
    print(f"{'lateness':<44}{'count':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    rows = [
        ("timers: level fires (incident.escalate)", f.level_ms),
        ("timers: page steps (incident.page)", f.step_ms),
        ("timers: sends (message, to arrival)", f.send_ms),
        ("timers: all", f.timer_ms),
        ("page arrived - due by the policy", f.arrived_ms),
        ("page recorded sent - due by the policy", f.sent_ms),
    ]
    for name, values in rows:
        count, p50, p99, worst = percentiles(values)
        print(f"{name:<44}{count:>8}{p50:>9.1f}{p99:>9.1f}{worst:>9.1f}")
    print(
        f"pages: {f.messages} messages, {f.arrived} arrived of {expected} expected, "
        f"{f.duplicates} duplicates, {len(receiver.odd)} other requests; "
        f"{f.levels}/{expected // 2} levels fired"
    )
    times = f.arrivals
    duration = times[-1] - times[0] if len(times) > 1 else float("nan")
    due = [
        plan.due(i, level, rule).timestamp()
        for i in plan.first
        for level in (0, 1)
        for rule in (0, 1)
    ]
    print(
        f"pages/s: {len(times) / duration:.1f} sustained over {duration:.0f} s; busiest 10 s "
        f"{busiest(times):.1f}/s (due by the policy then: {busiest(due):.1f}/s)"
    )
    print(setup)
    p99 = percentiles(f.timer_ms)[2]
    complete = f.arrived == expected and f.duplicates == 0 and not receiver.odd
    met = p99 < TARGET_P99_MS and complete
    missing = "" if f.arrived == expected else f", {expected - f.arrived} pages never arrived"
    twice = f", {f.duplicates} pages twice" if f.duplicates else ""
    print(
        f"target: timer lateness p99 < {TARGET_P99_MS:.0f} ms, every page exactly once: "
        f"{'met' if met else 'MISSED'} (p99 {p99:.1f} ms{missing}{twice}); "
        "no peer (Alertmanager has no escalations, GoAlert is not packaged in Debian)"
    )
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--span", type=float, default=600.0, help="seconds the first levels span")
    parser.add_argument("--postgres", metavar="URL", help="run on this PostgreSQL server")
    parser.add_argument(
        "--lead", type=float, help="seconds from opening to t0 (default 5 + 1 per 1,000 incidents)"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the engine thread")
    args = parser.parse_args()
    level_delay = max(60, round(args.span / 4))  # Tocsin's floor for a level's delay: 1m
    rule_delay = max(1, round(args.span / 20))
    n = args.incidents
    lead = args.lead if args.lead is not None else 5 + n / 1000  # time to move the timers
    expected = 4 * n
    backend = "PostgreSQL" if args.postgres else "SQLite (synchronous=FULL)"

    receiver = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), receiver.handler())
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="receiver", daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    profile = cProfile.Profile() if args.profile else None

    with tempfile.TemporaryDirectory(prefix="tocsin-bench-escalation-") as tmp:
        folder = Path(tmp)
        (folder / "tocsin.yaml").write_text(configuration(url, level_delay, rule_delay))
        with database(args.postgres, folder) as db_url:
            settings = Settings(database_url=db_url, config=str(folder / "tocsin.yaml"))
            runtime = Runtime.build(settings, run_engine=False)
            runtime.start()
            started = time.monotonic()
            plan = prepare(
                runtime,
                n,
                args.span,
                lead,
                timedelta(seconds=level_delay),
                timedelta(seconds=rule_delay),
            )
            opened_s = time.monotonic() - started
            print(f"opened {n} incidents in {opened_s:.1f} s on {backend}", file=sys.stderr)
            if profile is not None:
                runtime.runner._loop = profiled(runtime.runner._loop, profile)  # type: ignore[method-assign, assignment]
            cpu, wall = time.process_time(), time.monotonic()
            runtime.runner.start()
            backlog = wait_for_pages(runtime, receiver, plan, expected)
            time.sleep(2)  # any late duplicate would arrive now
            cores = (time.process_time() - cpu) / (time.monotonic() - wall)
            fired, pages = recorded(runtime)
            runtime.stop()
    server.shutdown()

    print()
    print(
        f"{n} incidents, first levels over {args.span:.0f} s; level delay {level_delay} s, "
        f"push then webhook {rule_delay} s later; {backend}; real clock, 2 levels x 2 steps"
    )
    setup = (
        f"setup: opened {n} incidents in {opened_s:.1f} s; run: {cores:.2f} cores of CPU "
        f"(this process, receiver included); worst backlog {backlog} timers >1 s late"
    )
    met = report(measure(plan, fired, pages, receiver), plan, receiver, expected, setup)
    if profile is not None:
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out).strip_dirs()
        stats.sort_stats("cumulative").print_stats(25)
        stats.sort_stats("tottime").print_stats(15)
        print("\nengine thread, cProfile:")
        print(out.getvalue())
    elif not met:
        print("to see where the engine thread spends its time, run again with --profile")


if __name__ == "__main__":
    main()
