"""Reports over 10,000 incidents: how long the incident metrics (MTTD/MTTA/MTTM/MTTR by
group, and volume) and the alert review take, reads and arithmetic together.

    .venv/bin/python bench/report.py [--incidents 10000] [--days 90] [--repeats 7]
                                     [--postgres URL]

The database (SQLite in a temporary directory, synchronous=FULL as Tocsin ships, or with
``--postgres`` a throwaway database on that server) gets ``--incidents`` incidents spread
over ``--days`` days, written straight into the tables: 85 % opened from alerts (one to
three alerts each, from 300 alert rules over 40 services; a fifth of the alerts flap, firing
again minutes after resolving) and 15 % declared by hand; their timelines (opened, alerts
fired and resolved, paged, acknowledged, notes, mitigated, resolved: about nine entries
each), pages (one or two each), postmortems for SEV1 and SEV2, and action items for one
incident in ten. Besides, 10,000 firings that opened no incident (silenced, grouped or
low severity).

Each report runs over the whole period once to warm up, then ``--repeats`` times; the
figure is the median (p50) and the slowest. Target (issue 9): under 1 s for 10,000
incidents. There is no other incident-response tool packaged in Debian to run the same
report beside it; the floor printed is one ``SELECT count(*)`` of the incidents table.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select

from peers import each_database
from tocsin.domain.incident_metrics import Grouping
from tocsin.engine.clock import FakeClock
from tocsin.services.runtime import Runtime
from tocsin.settings import Settings
from tocsin.store.learning_tables import action_items, postmortems
from tocsin.store.tables import alerts, incident_alerts, incident_events, incidents, messages

TARGET_S = 1.0
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SEVERITIES = ["SEV1", "SEV2", "SEV3", "SEV4"]
PEOPLE = ["ann", "bob", "cat", "dan", "eve", "fay"]


class Filler:
    """Rows for the tables, made in memory, inserted in batches."""

    def __init__(self, count: int, days: int) -> None:
        self.rnd = random.Random(9)
        self.count = count
        self.start = NOW - timedelta(days=days)
        self.span = timedelta(days=days).total_seconds()
        self.rows: dict[str, list[dict[str, Any]]] = {
            name: []
            for name in ("alerts", "links", "incidents", "events", "messages", "pms", "items")
        }
        self.heads: dict[str, int] = {}  # fingerprint -> its latest alert row (index)
        self.last_start: dict[str, datetime] = {}

    def firing(
        self, rule: int, service: int, instance: int, start: datetime
    ) -> tuple[str, dict[str, Any]]:
        fp = f"{rule:04x}{service:04x}{instance:08x}"
        length = timedelta(minutes=self.rnd.choice([3, 5, 10, 20, 45, 90, 240]))
        ended = start + length
        row = {
            "id": len(self.rows["alerts"]) + 1,
            "uid": str(uuid.UUID(int=self.rnd.getrandbits(128))),
            "fingerprint": fp,
            "head_key": None,
            "integration_id": None,
            "status": "resolved" if ended <= NOW else "firing",
            "labels": {
                "alertname": f"Rule{rule:03d}",
                "service": f"svc-{service:02d}",
                "instance": f"i-{instance}",
                "severity": "critical",
            },
            "annotations": {"summary": "Something is wrong"},
            "starts_at": start,
            "ends_at": ended if ended <= NOW else None,
            "ends_at_is_timeout": False,
            "generator_url": "",
            "dedup_key": None,
            "details": None,
            "created_at": start,
            "updated_at": min(ended, NOW),
            "last_received_at": min(ended, NOW),
            "receive_count": 3,
            "acknowledged_at": None,
            "resolved_at": ended if ended <= NOW else None,
            "resolution": "source" if ended <= NOW else None,
        }
        self.rows["alerts"].append(row)
        self.heads[fp] = len(self.rows["alerts"]) - 1
        return fp, row

    def event(
        self, incident: int, at: datetime, kind: str, actor: str, text: str, **data: Any
    ) -> None:
        self.rows["events"].append(
            {
                "incident_id": incident,
                "at": at,
                "kind": kind,
                "actor": actor,
                "text": text,
                "data": data,
            }
        )

    def incident(self, n: int) -> None:
        rnd = self.rnd
        opened = self.start + timedelta(seconds=rnd.uniform(0, self.span - 6 * 3600))
        severity = rnd.choices(SEVERITIES, weights=[1, 3, 4, 2])[0]
        service = rnd.randrange(40)
        by_hand = rnd.random() < 0.15
        acked = None if rnd.random() < 0.3 else opened + timedelta(seconds=rnd.expovariate(1 / 300))
        mitigated = (
            None
            if rnd.random() < 0.7
            else (acked or opened) + timedelta(minutes=rnd.randint(2, 60))
        )
        resolved = (
            None
            if rnd.random() < 0.1
            else (mitigated or acked or opened) + timedelta(minutes=rnd.randint(5, 300))
        )
        merged = n - 1 if n > 1 and rnd.random() < 0.02 else None
        self.rows["incidents"].append(
            {
                "id": n,
                "title": f"Incident {n}",
                "summary": "",
                "status": "resolved" if resolved else ("acknowledged" if acked else "triggered"),
                "severity": severity,
                "urgency": "high" if severity in ("SEV1", "SEV2") else "low",
                "service": f"svc-{service:02d}",
                "team": f"team-{service % 8}",
                "policy": None if by_hand else "platform",
                "policy_snapshot": None,
                "group_ident": None,
                "created_at": opened,
                "updated_at": resolved or opened,
                "acknowledged_at": acked,
                "acknowledged_by": rnd.choice(PEOPLE) if acked else None,
                "mitigated_at": mitigated,
                "resolved_at": resolved,
                "resolved_by": "tocsin" if resolved and rnd.random() < 0.4 else rnd.choice(PEOPLE),
                "snoozed_until": None,
                "roles": {},
                "assignees": [],
                "previous_id": None,
                "merged_into": merged,
                "level": 1,
                "loop": 0,
                "epoch": 0,
                "reply_code": f"C{n:05d}",
                "next_update_at": None,
            }
        )
        self.event(n, opened, "opened", "tocsin" if not by_hand else "ann", "Opened")
        if not by_hand:
            rule = rnd.randrange(300)
            for k in range(rnd.choice([1, 1, 2, 3])):
                fp, row = self.firing(
                    rule,
                    service,
                    rnd.randrange(6) + 10 * k,
                    opened - timedelta(seconds=rnd.randint(0, 600)),
                )
                self.rows["links"].append(
                    {
                        "incident_id": n,
                        "fingerprint": fp,
                        "firing": row["status"] == "firing",
                        "added_at": opened,
                        "resolved_at": row["resolved_at"],
                        "alertname": row["labels"]["alertname"],
                    }
                )
                self.event(n, opened, "alert-fired", "tocsin", "Alert fired", fingerprint=fp)
                if row["resolved_at"]:
                    self.event(n, row["resolved_at"], "alert-resolved", "tocsin", "Alert resolved")
                if rnd.random() < 0.2 and row["resolved_at"]:  # flaps
                    self.firing(
                        rule,
                        service,
                        rnd.randrange(6) + 10 * k,
                        row["resolved_at"] + timedelta(minutes=3),
                    )
        for p in range(rnd.choice([1, 1, 2])):
            who = PEOPLE[(n + p) % len(PEOPLE)]
            self.rows["messages"].append(
                {
                    "dedup_key": f"bench-{n}-{p}",
                    "user_id": who,
                    "kind": "page",
                    "subject": "Page",
                    "body": "Incident",
                    "address": None,
                    "status": "sent",
                    "attempts": 1,
                    "last_error": None,
                    "created_at": opened,
                    "sent_at": opened,
                    "method": "sms",
                    "incident_id": n,
                    "details": None,
                }
            )
            self.event(n, opened, "paged", "tocsin", f"Paged {who}")
        if acked:
            self.event(n, acked, "acknowledged", "ann", "Acknowledged by ann (api)", via="api")
        if rnd.random() < 0.2:
            self.event(n, acked or opened, "note", "bob", "Looking at the dashboards")
        if mitigated:
            self.event(n, mitigated, "mitigated", "ann", "Mitigated by ann: rolled back")
        if resolved:
            self.event(n, resolved, "resolved", "ann", "Resolved by ann (api)", via="api")
        if resolved and severity in ("SEV1", "SEV2") and not merged:
            done = rnd.random() < 0.6
            self.rows["pms"].append(
                {
                    "incident_id": n,
                    "state": "published" if done else "draft",
                    "title": f"Postmortem {n}",
                    "body": "# Summary\n",
                    "root_cause_category": None,
                    "authors": ["ann"],
                    "reviewers": [],
                    "timeline_selection": None,
                    "required": True,
                    "due_at": resolved + timedelta(days=7),
                    "version": 1,
                    "created_at": resolved,
                    "created_by": "tocsin",
                    "updated_at": resolved,
                    "updated_by": "tocsin",
                    "submitted_at": None,
                    "published_at": resolved + timedelta(days=3) if done else None,
                }
            )
        if rnd.random() < 0.1:
            due = opened + timedelta(days=rnd.randint(3, 20))
            done = rnd.random() < 0.6
            self.rows["items"].append(
                {
                    "incident_id": n,
                    "postmortem_id": None,
                    "title": "Fix it",
                    "owner": rnd.choice(PEOPLE),
                    "due_at": due,
                    "status": "done" if done else "open",
                    "ticket_url": None,
                    "created_at": opened,
                    "created_by": "ann",
                    "updated_at": opened,
                    "closed_at": due + timedelta(days=rnd.randint(-3, 2)) if done else None,
                }
            )

    def noise(self, count: int) -> None:
        """Firings that opened no incident."""
        for _ in range(count):
            start = self.start + timedelta(seconds=self.rnd.uniform(0, self.span))
            self.firing(
                300 + self.rnd.randrange(60), self.rnd.randrange(40), self.rnd.randrange(20), start
            )

    def write(self, runtime: Runtime) -> None:
        for n in range(1, self.count + 1):
            self.incident(n)
        self.noise(10_000)
        for i in self.heads.values():
            self.rows["alerts"][i]["head_key"] = self.rows["alerts"][i]["fingerprint"]
        tables = [
            (incidents, "incidents"),
            (alerts, "alerts"),
            (incident_alerts, "links"),
            (incident_events, "events"),
            (messages, "messages"),
            (postmortems, "pms"),
            (action_items, "items"),
        ]
        with runtime.db.write() as conn:
            for table, name in tables:
                rows = self.rows[name]
                for i in range(0, len(rows), 5000):
                    conn.execute(insert(table), rows[i : i + 5000])
            if conn.dialect.name == "postgresql":  # as autovacuum would after such a load
                conn.exec_driver_sql("ANALYZE")
                for name in ("incidents", "alerts"):
                    conn.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT max(id) FROM {name}))"
                    )


def timed(work: Callable[[], object], repeats: int) -> tuple[float, float]:
    work()  # warm-up
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), max(seconds)


def run(db_url: str, args: argparse.Namespace) -> bool:
    runtime = Runtime.build(Settings(database_url=db_url), clock=FakeClock(NOW), run_engine=False)
    runtime.start()
    try:
        started = time.perf_counter()
        filler = Filler(args.incidents, args.days)
        filler.write(runtime)
        sizes = {k: len(v) for k, v in filler.rows.items()}
        del filler  # its rows are in the database now
        gc.collect()
        gc.freeze()  # as the server does once started (api/app.py)
        print(
            f"  filled in {time.perf_counter() - started:.1f} s: {sizes['incidents']:,} incidents,"
            f" {sizes['alerts']:,} alert firings, {sizes['events']:,} timeline entries,"
            f" {sizes['messages']:,} pages, {sizes['pms']:,} postmortems,"
            f" {sizes['items']:,} action items"
        )
        start, end = NOW - timedelta(days=args.days), NOW
        reports = runtime.reports
        berlin = ZoneInfo("Europe/Berlin")
        clock = runtime.clock
        assert isinstance(clock, FakeClock)

        def fresh_headline() -> object:
            clock.advance(timedelta(seconds=61))  # past the minute it is kept for
            return reports.headline()

        checks: list[tuple[str, Callable[[], object], bool]] = [
            ("incidents by severity", lambda: reports.incidents(start, end), True),
            (
                "incidents by month, Berlin",
                lambda: reports.incidents(start, end, by=Grouping.MONTH, zone=berlin),
                True,
            ),
            ("incidents of one team", lambda: reports.incidents(start, end, team="team-3"), True),
            ("alert review", lambda: reports.alerts(start, end), True),
            ("headline gauges (uncached)", fresh_headline, True),
        ]
        report = reports.incidents(start, end)
        review = reports.alerts(start, end)
        print(
            f"  the period holds {report.metrics.overall.incidents:,} incidents (merged ones left"
            f" out), {sum(r.fired for r in review.rows):,} firings of {len(review.rows)} alerts"
        )
        print(f"  {'report':<28} {'p50':>9} {'max':>9}")
        ok = True
        for label, work, target in checks:
            p50, slowest = timed(work, args.repeats)
            over = target and p50 >= TARGET_S
            ok &= not over
            print(
                f"  {label:<28} {p50 * 1000:>7.0f}ms {slowest * 1000:>7.0f}ms"
                + ("  OVER TARGET" if over else "")
            )

        def floor() -> None:
            with runtime.db.read() as conn:
                conn.execute(select(func.count()).select_from(incidents)).scalar_one()

        p50, slowest = timed(floor, args.repeats)
        print(f"  {'floor: count(*) incidents':<28} {p50 * 1000:>7.1f}ms {slowest * 1000:>7.1f}ms")
        return ok
    finally:
        runtime.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--postgres", metavar="URL", help="also run on this PostgreSQL server")
    args = parser.parse_args()
    ok = True
    for label, db_url, _ in each_database(args.postgres):
        print(f"Reports over {args.incidents:,} incidents in {args.days} days, {label}")
        ok &= run(db_url, args)
    print("No peer tool to run beside it: no incident-response tool is packaged in Debian.")
    print(f"target: each report under {TARGET_S:.0f} s (p50): {'met' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
