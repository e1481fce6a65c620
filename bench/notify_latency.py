"""Notification latency: alert posted -> webhook received, Tocsin against the real Alertmanager.

    .venv/bin/python bench/notify_latency.py [--quick] [--json out.json]

Both get the same routing configuration (``group_by: ['...']`` and ``group_wait: 0s``, so every
alert is its own group and is notified at once) and the same load: alerts posted to
``POST /api/v2/alerts`` one per request at a steady rate (100/s, then 1,000/s), on an
open-loop schedule, so a server that falls behind is charged for the queue it causes. A
webhook receiver in this process timestamps each notification; latency is receive time minus
the alert's scheduled send time. Prints p50/p99/max per rate and server, how many arrived,
and Tocsin's p99 over Alertmanager's. Target: Tocsin's p99 <= Alertmanager's.

Tocsin runs as it ships: embedded SQLite, WAL, synchronous=FULL, so each alert is committed
before the 200 and each notification is in the outbox before it is sent. Alertmanager keeps
alerts and groups in memory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from peers import free_port, process, tocsin_token

RATES = (100, 1000)
CONNECTIONS = 16

CONFIG = """route:
  receiver: hook
  group_by: ['...']
  group_wait: 0s
  group_interval: 1h
  repeat_interval: 24h
receivers:
  - name: hook
    webhook_configs:
      - url: http://127.0.0.1:{port}/{name}
        send_resolved: false
"""


@dataclass
class Receiver:
    """An HTTP/1.1 webhook endpoint that records when each alert's notification arrived."""

    arrived: dict[str, float] = field(default_factory=dict)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                at = time.monotonic()
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                body = await reader.readexactly(length)
                for alert in json.loads(body)["alerts"]:
                    self.arrived.setdefault(alert["labels"]["seq"], at)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            writer.close()


@dataclass
class Result:
    server: str
    rate: int
    sent: int
    received: int
    post_failures: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    #: Scheduled send to the POST's 200 (the alert stored), for telling intake from delivery.
    post_p99_ms: float


def _alert(run: str, seq: int) -> bytes:
    now = datetime.now(UTC)
    body = [
        {
            "labels": {
                "alertname": "BenchNotify",
                "job": "bench",
                "instance": f"host-{seq}:9100",
                "severity": "critical",
                "bench_run": run,
                "seq": f"{run}-{seq}",
            },
            "annotations": {"summary": f"bench alert {seq}"},
            "startsAt": now.isoformat().replace("+00:00", "Z"),
            "endsAt": (now + timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
        }
    ]
    return json.dumps(body, separators=(",", ":")).encode()


async def _worker(
    port: int,
    headers: str,
    queue: asyncio.Queue[tuple[float, bytes] | None],
    answered: list[float],
) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    failures = 0
    while (item := await queue.get()) is not None:
        at, body = item
        writer.write(
            (
                f"POST /api/v2/alerts HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n{headers}\r\n"
            ).encode()
            + body
        )
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        await reader.readexactly(length)
        answered.append((time.monotonic() - at) * 1000)
        if not head.startswith(b"HTTP/1.1 200"):
            failures += 1
    writer.close()
    return failures


async def _run(
    port: int,
    headers: str,
    receiver: Receiver,
    run: str,
    rate: int,
    seconds: float,
    answered: list[float],
) -> tuple[dict[str, float], int]:
    """Post ``rate`` alerts/s for ``seconds``; return each alert's scheduled time by seq."""
    count = int(rate * seconds)
    bodies = [_alert(run, i) for i in range(count)]
    queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()
    workers = [
        asyncio.create_task(_worker(port, headers, queue, answered)) for _ in range(CONNECTIONS)
    ]
    scheduled: dict[str, float] = {}
    start = time.monotonic() + 0.05
    for i, body in enumerate(bodies):
        at = start + i / rate
        delay = at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        scheduled[f"{run}-{i}"] = at
        queue.put_nowait((at, body))
    for _ in workers:
        queue.put_nowait(None)
    failures = sum(await asyncio.gather(*workers))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(s not in receiver.arrived for s in scheduled):
        await asyncio.sleep(0.05)
    return scheduled, failures


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _measure(
    name: str, port: int, headers: str, receiver: Receiver, rate: int, seconds: float
) -> Result:
    run = f"{name}-{rate}-{time.time_ns()}"
    await _run(port, headers, receiver, f"warm-{run}", rate, min(1.0, seconds), [])
    answered: list[float] = []
    scheduled, failures = await _run(port, headers, receiver, run, rate, seconds, answered)
    latencies = [
        (receiver.arrived[s] - at) * 1000 for s, at in scheduled.items() if s in receiver.arrived
    ]
    return Result(
        server=name,
        rate=rate,
        sent=len(scheduled),
        received=len(latencies),
        post_failures=failures,
        p50_ms=statistics.median(latencies) if latencies else float("nan"),
        p99_ms=_percentile(latencies, 0.99),
        max_ms=max(latencies, default=float("nan")),
        post_p99_ms=_percentile(answered, 0.99),
    )


async def _main(args: argparse.Namespace) -> list[Result]:
    alertmanager = shutil.which(args.alertmanager)
    if alertmanager is None:
        sys.exit("Alertmanager not found: apt-get install prometheus-alertmanager")
    receiver = Receiver()
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0)
    hook_port = server.sockets[0].getsockname()[1]
    work = Path(tempfile.mkdtemp(prefix="tocsin-bench-notify-"))
    (work / "am.yml").write_text(CONFIG.format(port=hook_port, name="alertmanager"))
    (work / "tocsin.yaml").write_text(CONFIG.format(port=hook_port, name="tocsin"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOCSIN_")}
    env["TOCSIN_DATABASE_URL"] = f"sqlite:///{work}/tocsin.db"
    env["TOCSIN_SQLITE_SYNCHRONOUS"] = args.sync
    token = tocsin_token(env)
    env["TOCSIN_CONFIG"] = str(work / "tocsin.yaml")
    am_port, tocsin_port = free_port(), free_port()
    results = []
    with (
        process(
            [sys.executable, "-m", "tocsin", "serve", "--port", str(tocsin_port)],
            work / "tocsin.log",
            f"http://127.0.0.1:{tocsin_port}/readyz",
            env,
        ) as tocsin_pid,
        process(
            [
                alertmanager,
                f"--config.file={work}/am.yml",
                f"--storage.path={work}/am",
                f"--web.listen-address=127.0.0.1:{am_port}",
                "--cluster.listen-address=",
                "--log.level=warn",
            ],
            work / "alertmanager.log",
            f"http://127.0.0.1:{am_port}/-/ready",
            env,
        ),
    ):
        for rate in RATES:
            for name, port, headers in (
                ("alertmanager", am_port, ""),
                ("tocsin", tocsin_port, f"Authorization: Bearer {token}\r\n"),
            ):
                spy = None
                if args.profile and name == "tocsin":
                    spy = subprocess.Popen(
                        [
                            "py-spy",
                            "record",
                            "-p",
                            str(tocsin_pid),
                            "-r",
                            "200",
                            "-f",
                            "raw",
                            "-o",
                            f"{args.profile}.{rate}",
                            "--nonblocking",
                        ],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                result = await _measure(name, port, headers, receiver, rate, args.seconds)
                if spy is not None:
                    spy.send_signal(signal.SIGINT)
                    spy.wait(30)
                results.append(result)
                print(
                    f"  {rate:>5}/s {name:<12} p99 {result.p99_ms:8.1f} ms, "
                    f"{result.received}/{result.sent} arrived",
                    file=sys.stderr,
                )
    server.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="load duration per run")
    parser.add_argument("--quick", action="store_true", help="2 s per run, for a smoke run")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--alertmanager", default="prometheus-alertmanager")
    parser.add_argument(
        "--sync",
        default="FULL",
        choices=["FULL", "NORMAL"],
        help="Tocsin's SQLite synchronous mode (FULL: fsync at every commit, the default)",
    )
    parser.add_argument(
        "--profile", type=Path, help="py-spy Tocsin during its runs (collapsed stacks here)"
    )
    args = parser.parse_args()
    if args.quick:
        args.seconds = 2.0
    results = asyncio.run(_main(args))
    print()
    print(
        "alert posted -> webhook received; group_by ['...'], group_wait 0s; open-loop load; "
        f"Tocsin on SQLite, synchronous={args.sync}"
    )
    print(
        f"{'rate':>6} {'server':<13}{'sent':>7}{'arrived':>9}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'max ms':>9}{'post p99':>9}{'post fails':>11}{'p99 ratio':>10}"
    )
    by_key = {(r.server, r.rate): r for r in results}
    for rate in RATES:
        for server in ("alertmanager", "tocsin"):
            r = by_key[(server, rate)]
            ratio = ""
            if server == "tocsin":
                ratio = f"{r.p99_ms / by_key[('alertmanager', rate)].p99_ms:.2f}"
            print(
                f"{rate:>5}/s {server:<13}{r.sent:>7}{r.received:>9}{r.p50_ms:>9.1f}"
                f"{r.p99_ms:>9.1f}{r.max_ms:>9.1f}{r.post_p99_ms:>9.1f}{r.post_failures:>11}"
                f"{ratio:>10}"
            )
    print("target: Tocsin p99 / Alertmanager p99 <= 1.0")
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2))


if __name__ == "__main__":
    main()
