"""Ingest benchmark: Tocsin against the real Alertmanager, side by side, same load.

    make bench     # or: .venv/bin/python bench/ingest.py [--quick] [--json out.json]

Starts Tocsin (embedded SQLite, durable: WAL with synchronous=FULL, every 2xx committed) and
the real Alertmanager from Debian's ``prometheus-alertmanager`` package (127.0.0.1, clustering
off, alerts in memory), then sends both the same load to ``POST /api/v2/alerts``: batches of
1, 10 and 100 distinct alerts shaped as Prometheus sends them, over 32 keep-alive
connections, a fixed number of requests. It prints alerts/s and p50/p99 request latency for
each, and the ratio Tocsin/Alertmanager. Targets: >= 1.0 at batch 100, >= 0.5 at batch 1.

The client is deliberately lean (raw asyncio streams, requests serialised before the clock
starts) because it shares the machine's cores with the server it measures. Every response
must be a 200; anything else is counted and reported as a failure. Afterwards it checks that
Tocsin holds every alert it acknowledged.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from http_load import read_answer
from peers import free_port, process, stored_alerts, tocsin_token

CONCURRENCY = 32
BATCHES = (1, 10, 100)


@dataclass
class Target:
    name: str
    port: int
    headers: str  # extra request header lines, CRLF-terminated


@dataclass
class Result:
    server: str
    batch: int
    scenario: str  # "distinct": every alert new; "re-sent": the same alerts again
    requests: int
    alerts: int
    seconds: float
    failures: int
    p50_ms: float
    p99_ms: float

    @property
    def alerts_per_second(self) -> float:
        return self.alerts / self.seconds


def requests_for(target: Target, run: str, batch: int, count: int) -> list[bytes]:
    """Pre-serialised HTTP/1.1 requests, every alert distinct, shaped as Prometheus sends."""
    now = datetime.now(UTC)
    starts = (now - timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
    ends = (now + timedelta(hours=2)).isoformat().replace("+00:00", "Z")
    out = []
    for i in range(count):
        alerts = [
            {
                "labels": {
                    "alertname": "BenchHighLatency",
                    "job": "bench",
                    "instance": f"host-{i}-{k}:9100",
                    "severity": "warning",
                    "bench_run": run,
                },
                "annotations": {
                    "summary": f"p99 latency above 500ms on host-{i}-{k}",
                    "runbook_url": "https://runbooks.example.com/BenchHighLatency",
                },
                "startsAt": starts,
                "endsAt": ends,
                "generatorURL": "http://prometheus:9090/graph?g0.expr=latency%3E0.5",
            }
            for k in range(batch)
        ]
        body = json.dumps(alerts, separators=(",", ":")).encode()
        head = (
            f"POST /api/v2/alerts HTTP/1.1\r\nHost: 127.0.0.1:{target.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"{target.headers}\r\n"
        )
        out.append(head.encode() + body)
    return out


async def _connection(port: int, queue: list[bytes], latencies: list[float]) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    failures = 0
    try:
        while queue:
            request = queue.pop()
            started = time.perf_counter()
            writer.write(request)
            head, _ = await read_answer(reader)
            latencies.append(time.perf_counter() - started)
            if not head.startswith(b"HTTP/1.1 200"):
                failures += 1
    finally:
        writer.close()
    return failures


async def _load(port: int, requests: list[bytes]) -> tuple[float, list[float], int]:
    queue = list(reversed(requests))
    latencies: list[float] = []
    started = time.perf_counter()
    failures = await asyncio.gather(
        *(_connection(port, queue, latencies) for _ in range(CONCURRENCY))
    )
    return time.perf_counter() - started, latencies, sum(failures)


def measure(
    target: Target, batch: int, requests: list[bytes], scenario: str = "distinct"
) -> Result:
    count = len(requests)
    seconds, latencies, failures = asyncio.run(_load(target.port, requests))
    latencies.sort()
    return Result(
        server=target.name,
        batch=batch,
        scenario=scenario,
        requests=count,
        alerts=(count - failures) * batch,
        seconds=seconds,
        failures=failures,
        p50_ms=latencies[len(latencies) // 2] * 1000,
        p99_ms=latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests-1", type=int, default=6000, help="requests at batch 1")
    parser.add_argument("--requests-10", type=int, default=2000, help="requests at batch 10")
    parser.add_argument("--requests-100", type=int, default=400, help="requests at batch 100")
    parser.add_argument("--quick", action="store_true", help="small counts, for a smoke run")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--alertmanager", default="prometheus-alertmanager")
    args = parser.parse_args()
    counts = {1: args.requests_1, 10: args.requests_10, 100: args.requests_100}
    if args.quick:
        counts = {1: 500, 10: 200, 100: 40}
    alertmanager = shutil.which(args.alertmanager)
    if alertmanager is None:
        sys.exit("Alertmanager not found: apt-get install prometheus-alertmanager")

    work = Path(tempfile.mkdtemp(prefix="tocsin-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOCSIN_")}
    env["TOCSIN_DATABASE_URL"] = f"sqlite:///{work}/tocsin.db"
    token = tocsin_token(env)
    (work / "am.yml").write_text("route:\n  receiver: 'null'\nreceivers:\n  - name: 'null'\n")
    tocsin = Target("tocsin", free_port(), f"Authorization: Bearer {token}\r\n")
    am = Target("alertmanager", free_port(), "")

    results: list[Result] = []
    with (
        process(
            [sys.executable, "-m", "tocsin", "serve", "--port", str(tocsin.port)],
            work / "tocsin.log",
            f"http://127.0.0.1:{tocsin.port}/readyz",
            env,
        ),
        process(
            [
                alertmanager,
                f"--config.file={work}/am.yml",
                f"--storage.path={work}/am",
                f"--web.listen-address=127.0.0.1:{am.port}",
                "--cluster.listen-address=",
                "--log.level=warn",
            ],
            work / "alertmanager.log",
            f"http://127.0.0.1:{am.port}/-/ready",
            env,
        ),
    ):
        sent: dict[str, int] = {}
        for batch in BATCHES:
            for target in (am, tocsin):
                warmup = requests_for(
                    target, f"warmup-{batch}", batch, max(20, counts[batch] // 20)
                )
                measure(target, batch, warmup)
                run = f"b{batch}-{time.time_ns()}"
                requests = requests_for(target, run, batch, counts[batch])
                result = measure(target, batch, requests)
                results.append(result)
                if target is tocsin:
                    sent[run] = result.alerts
                if batch == BATCHES[-1]:
                    # What Prometheus mostly sends: the same firing alerts again, each interval.
                    results.append(measure(target, batch, requests, "re-sent"))
                for r in results[-2:] if batch == BATCHES[-1] else results[-1:]:
                    print(
                        f"  batch {batch:>3} {r.scenario:<9} {target.name:<12} "
                        f"{r.alerts_per_second:>9,.0f} alerts/s",
                        file=sys.stderr,
                    )
        stored = {run: stored_alerts(tocsin.port, token, run) for run in sent}

    print()
    print(f"POST /api/v2/alerts, {CONCURRENCY} connections; Tocsin durable (SQLite, FULL sync)")
    print(
        f"{'batch':>5} {'alerts':<9} {'server':<13}{'requests':>9}{'alerts':>9}{'seconds':>9}"
        f"{'alerts/s':>11}{'p50 ms':>9}{'p99 ms':>9}{'fails':>7}{'ratio':>8}"
    )
    by_key = {(r.server, r.batch, r.scenario): r for r in results}
    rows = [(b, "distinct") for b in BATCHES] + [(BATCHES[-1], "re-sent")]
    for batch, scenario in rows:
        for server in ("alertmanager", "tocsin"):
            r = by_key[(server, batch, scenario)]
            ratio = ""
            if server == "tocsin":
                base = by_key[("alertmanager", batch, scenario)].alerts_per_second
                ratio = f"{r.alerts_per_second / base:.2f}"
            print(
                f"{batch:>5} {scenario:<9} {server:<13}{r.requests:>9}{r.alerts:>9}"
                f"{r.seconds:>9.2f}{r.alerts_per_second:>11,.0f}{r.p50_ms:>9.1f}{r.p99_ms:>9.1f}"
                f"{r.failures:>7}{ratio:>8}"
            )
    print("targets: ratio >= 1.0 at batch 100, >= 0.5 at batch 1")
    lost = {run: (sent[run], stored[run]) for run in sent if stored[run] != sent[run]}
    print(
        "durability: every acknowledged alert is stored in Tocsin"
        if not lost
        else f"durability: MISMATCH (sent, stored) per run: {lost}"
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "results": [
                        asdict(r) | {"alerts_per_second": r.alerts_per_second} for r in results
                    ]
                },
                indent=2,
            )
        )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
