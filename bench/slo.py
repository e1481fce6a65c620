"""SLO evaluation every minute: what one pass over every SLO costs, beside the real
Prometheus evaluating the same SLOs' Sloth-compatible rules on the same data.

    .venv/bin/python bench/slo.py [--slos 20] [--days 30] [--passes 10] [--postgres URL]

The same traffic for ``--slos`` SLOs over ``--days`` days, one point a minute (600
requests, about 0.05 % failing; a fifth of the SLOs in an error burst for the last 40
minutes, so their page alerts fire):

* **Tocsin, built-in events**: written straight into ``slo_events`` (one row per SLO and
  minute, SQLite with synchronous=FULL as Tocsin ships, or ``--postgres``); the figure is
  the engine's ``slo.evaluate`` pass (every SLO's seven alert windows summed from the
  minute rows, alerts raised or renewed, committed), ``--passes`` times. Also one
  ``status`` (period, windows, 1 h burn) and one 120-point burn-down per SLO.
* **Prometheus** (Debian's package): the same counters backfilled with ``promtool tsdb
  create-blocks-from openmetrics`` (a sample a minute), running the rules
  ``tocsin slo rules`` writes for the SLOs as ``events`` SLIs, every 15 s. Its figure is
  ``prometheus_rule_group_last_duration_seconds`` summed over the SLOs' groups (the work of
  one evaluation; Prometheus runs groups side by side, so its wall time can be lower).
  The period series (``sum_over_time`` of the 5-minute ratio over 30 days) only has the
  minutes since start, so that one rule costs Prometheus less than it would in production.
* **Tocsin reading Prometheus**: the ``slo.prometheus`` job's reads for the same SLOs as
  ``events`` SLIs (14 instant queries each, over HTTP) against that Prometheus.

No target is named by the issue; the aim is a pass well inside the minute between passes
(and inside the timer's lease) for a few hundred SLOs. This machine has 2 cores.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert

from peers import database, free_port, process
from tocsin.engine.clock import FakeClock
from tocsin.integrations.prometheus_api import PrometheusApi
from tocsin.integrations.prometheus_sli import PrometheusSliReader
from tocsin.integrations.prometheus_slo_rules import slo_rules_yaml
from tocsin.notify.slo_prometheus import PrometheusSloWatch
from tocsin.notify.slo_watch import EVALUATE, SloAlerts
from tocsin.services.configuration import load_configuration
from tocsin.services.runtime import Runtime
from tocsin.settings import Settings
from tocsin.store import alerts as alert_store
from tocsin.store import timers as timer_store
from tocsin.store.slo_tables import slo_events

HEAD = "route:\n  receiver: r\nreceivers:\n  - name: r\n"


def builtin_config(n: int) -> str:
    slos = "".join(
        f"  - {{service: svc{i}, name: requests, objective: 99.9, sli: {{builtin: {{}}}}}}\n"
        for i in range(n)
    )
    return HEAD + "slos:\n" + slos


def prometheus_config(n: int, url: str) -> str:
    slos = "".join(
        f"  - service: svc{i}\n    name: requests\n    objective: 99.9\n    sli:\n"
        "      events:\n"
        f'        error_query: sum(rate(bench_errors_total{{slo="{i}"}}[{{{{.window}}}}]))\n'
        f'        total_query: sum(rate(bench_requests_total{{slo="{i}"}}[{{{{.window}}}}]))\n'
        for i in range(n)
    )
    return HEAD + f"prometheus: {{url: '{url}'}}\nslos:\n" + slos


def traffic(n: int, days: int, seed: int = 7) -> list[list[int]]:
    """Per SLO, the bad requests of each minute (600 requests a minute)."""
    rnd = random.Random(seed)
    minutes = days * 1440
    out = []
    for i in range(n):
        bad = [1 if rnd.random() < 0.3 else 0 for _ in range(minutes)]
        if i % 5 == 0:
            for m in range(minutes - 40, minutes):
                bad[m] = 18  # 3 %
        out.append(bad)
    return out


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def bench_builtin(
    n: int, start: datetime, now: datetime, bad: list[list[int]], url: str, folder: Path
) -> dict[str, float]:
    config = folder / "builtin.yaml"
    config.write_text(builtin_config(n))
    clock = FakeClock(now)
    settings = Settings(database_url=url, config=str(config))
    runtime = Runtime.build(settings, clock=clock, run_engine=False)
    runtime.start()
    try:
        t0 = time.perf_counter()
        rows = [
            {
                "slo_id": f"svc{i}-requests",
                "minute": start + timedelta(minutes=m),
                "good": 600 - b,
                "total": 600,
            }
            for i, per in enumerate(bad)
            for m, b in enumerate(per)
        ]
        with runtime.db.write() as conn:
            for chunk in range(0, len(rows), 20_000):
                conn.execute(insert(slo_events), rows[chunk : chunk + 20_000])
        print(f"  wrote {len(rows):,} minute rows in {time.perf_counter() - t0:.1f} s")
        runtime.runner.run_due()  # the first pass, and everything else due at start
        passes = []
        for _ in range(ARGS.passes):
            with runtime.db.write() as conn:
                timer_store.schedule(conn, EVALUATE, "all", clock.now())
            t0 = time.perf_counter()
            runtime.runner.run_due()
            passes.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        for spec in runtime.slos.specs():
            runtime.slos.status(spec.id)
        status = time.perf_counter() - t0
        t0 = time.perf_counter()
        for spec in runtime.slos.specs():
            runtime.slos.burn_down(spec.id)
        down = time.perf_counter() - t0
        with runtime.db.read() as conn:
            firing = [a for a in alert_store.list_heads(conn, open_at=now) if "slo" in a.labels]
    finally:
        runtime.stop()
    return {
        "pass_p50": statistics.median(passes),
        "pass_max": max(passes),
        "status": status,
        "burn_down": down,
        "firing": len(firing),
    }


def openmetrics(path: Path, start: datetime, bad: list[list[int]]) -> None:
    first = int(start.timestamp())
    with path.open("w") as out:
        for family, pick in (("bench_requests", lambda b: 600), ("bench_errors", lambda b: b)):
            out.write(f"# TYPE {family} counter\n")
            for i, per in enumerate(bad):
                total = 0
                lines = []
                for m, b in enumerate(per):
                    total += pick(b)
                    lines.append(f'{family}_total{{slo="{i}"}} {total} {first + 60 * m}\n')
                out.writelines(lines)
        out.write("# EOF\n")


def group_durations(url: str) -> dict[str, float]:
    text = httpx.get(f"{url}/metrics", timeout=10).text
    out = {}
    for line in text.splitlines():
        if line.startswith("prometheus_rule_group_last_duration_seconds{"):
            name = line.split('rule_group="', 1)[1].split('"', 1)[0]
            out[name] = float(line.rsplit(" ", 1)[1])
    return out


def bench_prometheus(
    n: int, start: datetime, now: datetime, bad: list[list[int]], folder: Path
) -> dict[str, float] | None:
    binary, promtool = shutil.which("prometheus"), shutil.which("promtool")
    if binary is None or promtool is None:
        print("  Prometheus is not installed (apt-get install prometheus): no peer figures")
        return None
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    config = folder / "prom-slos.yaml"
    config.write_text(prometheus_config(n, url))
    routing = load_configuration(str(config))
    rules = folder / "rules.yml"
    rules.write_text(slo_rules_yaml(routing.slos))
    data = folder / "prom-data"
    samples = folder / "samples.om"
    t0 = time.perf_counter()
    openmetrics(samples, start, bad)
    subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", "-q", str(samples), str(data)],
        check=True,
        capture_output=True,
    )
    samples.unlink()
    print(f"  backfilled {2 * n * len(bad[0]):,} samples in {time.perf_counter() - t0:.1f} s")
    (folder / "prometheus.yml").write_text(
        f"global: {{evaluation_interval: 15s}}\nrule_files: ['{rules}']\n"
    )
    cmd = [
        binary,
        f"--config.file={folder / 'prometheus.yml'}",
        f"--storage.tsdb.path={data}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--storage.tsdb.retention.time=60d",
    ]
    with process(cmd, folder / "prometheus.log", f"{url}/-/ready", env={}):
        sums: list[float] = []
        for _ in range(4):
            time.sleep(16)
            found = group_durations(url)
            slo_groups = {k: v for k, v in found.items() if "sloth-slo-" in k}
            if len(slo_groups) == 3 * n:
                sums.append(sum(slo_groups.values()))
        reader = PrometheusSliReader(PrometheusApi(url))
        watch = PrometheusSloWatch(
            lambda: routing, SloAlerts(lambda *a: None, ""), lambda: reader, time.monotonic
        )
        reads = []
        for _ in range(3):
            work = watch.prepare(None, None, datetime.now(UTC))  # type: ignore[arg-type]
            t0 = time.perf_counter()
            read = watch.perform(work)
            reads.append(time.perf_counter() - t0)
            if read.failed:
                sys.exit(f"reads failed: {read.failed}")
    return {
        "rules_p50": statistics.median(sums) if sums else float("nan"),
        "reads_p50": statistics.median(reads),
    }


def main() -> None:
    n, days = ARGS.slos, ARGS.days
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    start = now - timedelta(days=days)
    bad = traffic(n, days)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(f"{n} SLOs, {days} days of minutes, {ARGS.passes} passes")
        with database(ARGS.postgres, folder) as url:
            kind = "PostgreSQL" if ARGS.postgres else "SQLite"
            print(f"Tocsin, built-in events ({kind}):")
            t = bench_builtin(n, start, now, bad, url, folder)
        print(
            f"  slo.evaluate pass: p50 {ms(t['pass_p50'])}, max {ms(t['pass_max'])} "
            f"({ms(t['pass_p50'] / n)} an SLO); {t['firing']:.0f} burn alerts firing"
        )
        print(f"  status of every SLO: {ms(t['status'])}; burn-downs: {ms(t['burn_down'])}")
        print("Prometheus, the same SLOs' Sloth rules over the same counters:")
        p = bench_prometheus(n, start, now, bad, folder)
        if p is not None:
            print(f"  rule evaluation (sum of the SLO groups): p50 {ms(p['rules_p50'])}")
            print(f"  Tocsin reading these SLOs from it (slo.prometheus): {ms(p['reads_p50'])}")
            print(
                f"ratio Tocsin built-in pass / Prometheus rules: "
                f"{t['pass_p50'] / p['rules_p50']:.2f}"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slos", type=int, default=20)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--passes", type=int, default=10)
    parser.add_argument("--postgres", default=None)
    ARGS = parser.parse_args()
    main()
