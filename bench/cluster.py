"""Scale-out: ingest and escalation throughput of 1, 2 and 3 Tocsin nodes on one PostgreSQL
database, side by side with one node on SQLite (the default deployment), in the same run.

    .venv/bin/python bench/cluster.py [--quick] [--postgres URL] [--nodes 1,2,3] [--json F]

Each setup gets a fresh database (SQLite in a temporary folder; on PostgreSQL a throwaway
database on the server at ``--postgres``, dropped afterwards) and its own ``python -m tocsin
serve`` processes, each with its own ``TOCSIN_NODE_NAME``, started together (the database
migrated first), each ready when ``/readyz`` answers 200, stopped with SIGTERM at the end
(or on error). The client stands in for a load balancer: its connections are spread
round-robin over the nodes and take requests from one shared queue, so a faster node gets
more of them.

1. Ingest: ``--alerts`` distinct alerts, ``--batch`` per ``POST /api/v2/alerts`` (an
   Alertmanager integration token), over ``--connections`` keep-alive connections, after a
   warm-up of 5 %. A 2xx means committed (SQLite WAL with synchronous=FULL; PostgreSQL
   commit); anything else is counted as a failure. alerts/s and p50/p99 request latency;
   then a node is asked how many of the run's alerts it holds. The ingest alerts are routed
   to a receiver with no integrations, in one group whose first flush (``group_wait: 1h``)
   falls after the run.
2. Escalation: ``--pages`` alerts, each its own group (``group_wait: 0s``), ``--page-batch``
   per POST, routed to a policy whose one level pages one person by their webhook; a
   recording HTTP server on loopback is that webhook (``TOCSIN_OUTBOUND_ALLOW=127.0.0.1``).
   Measured from the first POST to the last page's arrival: pages/s, and per alert its
   POST's start -> its page's arrival (p50/p99). Every page must arrive exactly once:
   repeats of an ``Idempotency-Key`` are counted and reported.

Between the phases the bench waits until the nodes are idle (their CPU time stops growing),
so one phase's leftovers do not count against the next. The cores busy during each phase
are printed with the figures: the whole machine (``/proc/stat``), and of that the nodes,
the PostgreSQL server's processes (whoever they serve), this process (load and receiver)
and the rest (anything else running on the machine).

All nodes, PostgreSQL, the load generator and the receiver share this machine's cores, so
more nodes cannot add CPU here: the figures show what coordinating through PostgreSQL costs
or gains, not the capacity of a cluster on more machines.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from cpu_usage import Usage, settle
from http_load import percentile, post_alerts, send
from peers import database, free_port, stored_alerts, tocsin_token, wait_ready
from tocsin.settings import Settings

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
FOREVER = "2099-01-01T00:00:00Z"
CONFIG = """\
route:
  receiver: none
  group_by: [alertname]
  group_wait: 1h
  group_interval: 1h
  routes:
    - matchers: ['alertname="BenchPage"']
      receiver: pager
      group_by: [alertname, case]
      group_wait: 0s
      group_interval: 1h
      repeat_interval: 4h
receivers:
  - name: none
  - name: pager
    escalation_policy: bench
users:
  - id: ann
    webhook_url: {url}/hook/ann
    notification_rules:
      high: [{{method: webhook}}]
      low: [{{method: webhook}}]
escalation_policies:
  - name: bench
    levels:
      - delay: 1h
        targets: [{{user: ann}}]
paging:
  webhook: {{timeout: 10s}}
"""


# -- the load -----------------------------------------------------------------------------


def ingest_requests(run: str, count: int, batch: int, token: str) -> list[bytes]:
    """``count`` requests of ``batch`` distinct alerts each, as Prometheus sends them."""
    return [
        post_alerts(
            [
                {
                    "labels": {
                        "alertname": "BenchIngest",
                        "job": "bench",
                        "instance": f"host-{i}-{k}:9100",
                        "severity": "warning",
                        "bench_run": run,
                    },
                    "annotations": {"summary": f"p99 latency above 500ms on host-{i}-{k}"},
                    "endsAt": FOREVER,
                    "generatorURL": "http://prometheus:9090/graph?g0.expr=latency%3E0.5",
                }
                for k in range(batch)
            ],
            token,
        )
        for i in range(count)
    ]


def page_requests(count: int, batch: int) -> list[list[int]]:
    """Which alerts (their ``case``) each request carries: ``count`` alerts, ``batch`` a POST."""
    return [list(range(i, min(i + batch, count))) for i in range(0, count, batch)]


def page_body(cases: list[int], token: str) -> bytes:
    return post_alerts(
        [
            {
                "labels": {"alertname": "BenchPage", "case": str(c), "severity": "critical"},
                "annotations": {"summary": f"case {c}"},
                "endsAt": FOREVER,
            }
            for c in cases
        ],
        token,
    )


# -- the pages ----------------------------------------------------------------------------


@dataclass
class Receiver:
    """Each page's arrival: (time.monotonic(), Idempotency-Key, the alert's case or -1)."""

    arrived: list[tuple[float, str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver
            # The head and the body go out as two writes: without TCP_NODELAY the body waits
            # for the client's delayed ACK (40 ms on Linux), a cost no real receiver adds.
            disable_nagle_algorithm = True

            def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
                at = time.monotonic()
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                key = self.headers.get("Idempotency-Key", "")
                try:
                    found = re.search(r"\bcase (\d+)\b", json.loads(raw).get("subject", ""))
                except (ValueError, AttributeError):
                    found = None
                with receiver.lock:
                    receiver.arrived.append((at, key, int(found.group(1)) if found else -1))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    def distinct(self) -> int:
        with self.lock:
            return len({key for _, key, _ in self.arrived})


@contextmanager
def receiving() -> Iterator[tuple[Receiver, str]]:
    receiver = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), receiver.handler())
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="receiver", daemon=True)
    thread.start()
    try:
        yield receiver, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# -- one setup ----------------------------------------------------------------------------


@dataclass
class Result:
    setup: str
    nodes: int
    started_s: float = 0.0
    ingest_alerts: int = 0
    ingest_seconds: float = 0.0
    ingest_p50_ms: float = 0.0
    ingest_p99_ms: float = 0.0
    ingest_failures: dict[str, int] = field(default_factory=dict)
    ingest_stored: int = 0
    ingest_cores: dict[str, float] = field(default_factory=dict)
    pages_expected: int = 0
    pages_arrived: int = 0
    page_repeats: int = 0
    page_strays: int = 0
    page_seconds: float = 0.0
    page_p50_ms: float = 0.0
    page_p99_ms: float = 0.0
    page_post_failures: int = 0
    page_cores: dict[str, float] = field(default_factory=dict)
    tracebacks: int = 0
    #: The first traceback, and where the node logs were kept when there was one.
    traceback: str = ""
    #: PostgreSQL sessions opened on the setup's database (the CLI's that migrated it too).
    sessions: int | None = None
    #: Nodes that did not stop within 15 s of SIGTERM (then killed).
    killed: int = 0

    @property
    def ingest_rate(self) -> float:
        return self.ingest_alerts / self.ingest_seconds if self.ingest_seconds else 0.0

    @property
    def page_rate(self) -> float:
        return self.pages_arrived / self.page_seconds if self.page_seconds else 0.0


def node_env(db_url: str, config: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOCSIN_")}
    env |= {
        "TOCSIN_DATABASE_URL": db_url,
        "TOCSIN_CONFIG": str(config),
        "TOCSIN_OUTBOUND_ALLOW": "127.0.0.1",  # the receiver is on loopback
    }
    return env


def measure_ingest(
    result: Result, ports: list[int], pids: list[int], token: str, args: argparse.Namespace
) -> None:
    count = args.alerts // args.batch
    send(ports, ingest_requests("warmup", max(args.connections, count // 20), args.batch, token), 8)
    requests = ingest_requests("measured", count, args.batch, token)
    before = Usage.now(pids)
    load = send(ports, requests, args.connections)
    result.ingest_cores = Usage.now(pids).cores_since(before)
    failed = sum(load.failures.values())
    result.ingest_alerts = (count - failed) * args.batch
    result.ingest_seconds = load.seconds
    result.ingest_p50_ms = percentile(load.latencies, 0.5) * 1000
    result.ingest_p99_ms = percentile(load.latencies, 0.99) * 1000
    result.ingest_failures = dict(load.failures)
    result.ingest_stored = stored_alerts(ports[0], token, "measured")


def measure_pages(
    result: Result,
    ports: list[int],
    pids: list[int],
    token: str,
    receiver: Receiver,
    args: argparse.Namespace,
) -> None:
    batches = page_requests(args.pages, args.page_batch)
    requests = [page_body(cases, token) for cases in batches]
    result.pages_expected = args.pages
    before = Usage.now(pids)
    load = send(ports, requests, args.connections)
    began = min(load.started.values())
    deadline, seen = time.monotonic() + 60, 0
    while receiver.distinct() < args.pages and time.monotonic() < deadline:
        time.sleep(0.05)
        if (now := receiver.distinct()) > seen:  # pages still coming: keep waiting
            seen, deadline = now, time.monotonic() + 60
    result.page_cores = Usage.now(pids).cores_since(before)
    time.sleep(2)  # a late repeat would arrive now
    with receiver.lock:
        arrived = list(receiver.arrived)
    sent_at = {c: load.started[i] for i, cases in enumerate(batches) for c in cases}
    first: dict[str, tuple[float, int]] = {}
    for at, key, case in arrived:
        first.setdefault(key, (at, case))
    latencies = [(at - sent_at[c]) * 1000 for at, c in first.values() if c in sent_at]
    result.pages_arrived = len(first)
    result.page_repeats = len(arrived) - len(first)
    result.page_strays = sum(1 for _, c in first.values() if c not in sent_at)
    result.page_seconds = max((at for at, _ in first.values()), default=began) - began
    result.page_p50_ms = percentile(latencies, 0.5)
    result.page_p99_ms = percentile(latencies, 0.99)
    result.page_post_failures = sum(load.failures.values())


def sessions(db_url: str) -> int:
    """Sessions opened on the database so far (``pg_stat_database``; this one not yet)."""
    engine = create_engine(Settings(database_url=db_url).database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            query = "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
            return int(conn.execute(text(query)).scalar_one())
    finally:
        engine.dispose()


def tracebacks(logs: list[Path]) -> tuple[int, str]:
    """How many tracebacks the node logs hold, and the first with its lines."""
    count, example = 0, ""
    for log in logs:
        lines = log.read_text(errors="replace").splitlines()
        for i, line in enumerate(lines):
            if line.startswith("Traceback"):
                count += 1
                example = example or f"{log.name}:\n" + "\n".join(lines[max(0, i - 1) : i + 25])
    return count, example


@contextmanager
def started(
    env: dict[str, str], ports: list[int], logs: list[Path], result: Result
) -> Iterator[list[int]]:
    """Start a node on each port (``node1``, ``node2``, ...) at once, wait until each is
    ready; at the end SIGTERM them all and wait (15 s, then SIGKILL, counted in ``result``)."""
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for i, (port, log) in enumerate(zip(ports, logs, strict=True)):
            with log.open("wb") as out:
                procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "tocsin", "serve", "--port", str(port)],
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        env=env | {"TOCSIN_NODE_NAME": f"node{i + 1}"},
                    )
                )
        for proc, port, log in zip(procs, ports, logs, strict=True):
            wait_ready(f"http://127.0.0.1:{port}/readyz", proc, log)
        yield [proc.pid for proc in procs]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                result.killed += 1


def run_setup(backend: str, server: str | None, nodes: int, args: argparse.Namespace) -> Result:
    result = Result(backend, nodes)
    print(f"{backend}, {nodes} node(s):", file=sys.stderr)
    with (
        tempfile.TemporaryDirectory(prefix="tocsin-bench-cluster-") as tmp,
        receiving() as (receiver, url),
        database(server, Path(tmp)) as db_url,
        ExitStack() as stack,
    ):
        folder = Path(tmp)
        config = folder / "tocsin.yaml"
        config.write_text(CONFIG.format(url=url))
        env = node_env(db_url, config)
        token = tocsin_token(env)  # migrates the database first
        ports = [free_port() for _ in range(nodes)]
        logs = [folder / f"node{i + 1}.log" for i in range(nodes)]
        began = time.monotonic()
        pids = stack.enter_context(started(env, ports, logs, result))
        result.started_s = time.monotonic() - began
        settle(pids)
        measure_ingest(result, ports, pids, token, args)
        print(f"  ingest: {result.ingest_rate:,.0f} alerts/s", file=sys.stderr)
        settle(pids)
        measure_pages(result, ports, pids, token, receiver, args)
        print(f"  pages: {result.page_rate:,.1f}/s", file=sys.stderr)
        stack.close()  # SIGTERM the nodes before reading their logs
        result.sessions = sessions(db_url) if server else None
        result.tracebacks, example = tracebacks(logs)
        if example:
            kept = Path(tempfile.mkdtemp(prefix="tocsin-bench-cluster-logs-"))
            for log in logs:
                shutil.copy(log, kept / log.name)
            result.traceback = f"(node logs kept in {kept}) {example}"
    return result


# -- the report ---------------------------------------------------------------------------


def ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}" if base else "-"


def report(results: list[Result], args: argparse.Namespace) -> None:
    cores = os.cpu_count()
    base = results[0]
    print()
    print(
        f"This machine has {cores} cores (os.cpu_count()). All nodes, PostgreSQL, the load "
        "generator and the webhook receiver share these cores, so more nodes cannot add CPU "
        "here: the figures show what coordinating through PostgreSQL costs or gains, not "
        "the capacity of a cluster on more machines."
    )
    print(
        f"ingest: {args.alerts:,} distinct alerts, {args.batch} a POST, {args.connections} "
        f"connections round-robin over the nodes; pages: {args.pages:,} alerts, one group and "
        f"one webhook page each, {args.page_batch} a POST, all at once (a page's latency, "
        f"its alert's POST to its arrival, includes the queue); ratio: x {base.setup} 1 node"
    )
    print(
        f"{'setup':<12}{'nodes':>6}{'alerts/s':>10}{'p50 ms':>8}{'p99 ms':>8}{'ratio':>7}"
        f"{'pages/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'ratio':>7}"
    )
    for r in results:
        print(
            f"{r.setup:<12}{r.nodes:>6}{r.ingest_rate:>10,.0f}{r.ingest_p50_ms:>8.1f}"
            f"{r.ingest_p99_ms:>8.1f}{ratio(r.ingest_rate, base.ingest_rate):>7}"
            f"{r.page_rate:>9.1f}{r.page_p50_ms:>9.0f}{r.page_p99_ms:>9.0f}"
            f"{ratio(r.page_rate, base.page_rate):>7}"
        )
    print()
    for r in results:
        failures = sum(r.ingest_failures.values())
        print(
            f"{r.setup} x{r.nodes}: started in {r.started_s:.1f} s; ingest {failures} failed "
            f"POSTs, {r.ingest_stored:,}/{r.ingest_alerts:,} acknowledged alerts stored; pages "
            f"{r.pages_arrived}/{r.pages_expected} arrived, {r.page_repeats} repeats, "
            f"{r.page_strays} strays, {r.page_post_failures} failed POSTs; {r.tracebacks} "
            f"tracebacks in the node logs; {r.killed} nodes killed after SIGTERM"
            + (f"; {r.sessions} PostgreSQL sessions opened" if r.sessions is not None else "")
        )
        for phase, used in (("ingest", r.ingest_cores), ("pages", r.page_cores)):
            print(f"  {phase:<7}cores busy: " + ", ".join(f"{k} {v:.2f}" for k, v in used.items()))
        for line, n in r.ingest_failures.items():
            print(f"  {n} x {line}")
        if r.traceback:
            print(f"  the first traceback {r.traceback}")
    bad = [
        r
        for r in results
        if r.ingest_stored != r.ingest_alerts
        or r.ingest_failures
        or r.pages_arrived != r.pages_expected
        or r.page_repeats
        or r.page_strays
        or r.page_post_failures
        or r.tracebacks
        or r.killed
    ]
    print(
        "every acknowledged alert stored, every page arrived exactly once"
        if not bad
        else "PROBLEMS (see above) in: " + ", ".join(f"{r.setup} x{r.nodes}" for r in bad)
    )
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", default=POSTGRES, metavar="URL", help="a server to use")
    parser.add_argument("--nodes", default="1,2,3", help="PostgreSQL cluster sizes")
    parser.add_argument("--alerts", type=int, default=50_000, help="ingest: alerts a setup")
    parser.add_argument("--batch", type=int, default=50, help="ingest: alerts a POST")
    parser.add_argument("--connections", type=int, default=16, help="client connections")
    parser.add_argument("--pages", type=int, default=2_000, help="escalation: alerts a setup")
    parser.add_argument("--page-batch", type=int, default=10, help="escalation: alerts a POST")
    parser.add_argument(
        "--quick", action="store_true", help="8,000 alerts, 300 pages: about a minute"
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if args.quick:
        args.alerts, args.pages = 8_000, 300
    sizes = [int(n) for n in args.nodes.split(",") if n.strip()]
    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}", file=sys.stderr)
    results = [run_setup("SQLite", None, 1, args)]
    try:
        results += [run_setup("PostgreSQL", args.postgres, n, args) for n in sizes]
    except OperationalError as exc:
        sys.exit(f"--postgres {args.postgres}: {str(exc.orig or exc).strip()}")
    report(results, args)
    if args.json:
        rows = [
            asdict(r) | {"ingest_alerts_per_s": r.ingest_rate, "pages_per_s": r.page_rate}
            for r in results
        ]
        args.json.write_text(json.dumps({"cores": os.cpu_count(), "results": rows}, indent=2))


if __name__ == "__main__":
    main()
