"""SLIs read from a real Prometheus through its HTTP API.

A small exporter run by the test serves counters and a histogram whose shares are fixed
(5 % of requests fail; 90 % are faster than 0.1 s, 95 % than 1 s), Prometheus scrapes it
every second, and Tocsin, on a fake clock set to the wall time, reads every kind of SLI
from it: events (error and good queries), latency thresholds on the histogram (its
``le="1.0"`` bucket matched by the threshold 1), Sloth's raw ratio, and timeslices. The
figures are the spec's: 5 % errors at 99.9 % is a burn rate of 50."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client import start_http_server
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily
from prometheus_client.registry import CollectorRegistry

from tests.live_server import free_port
from tests.peers.conftest import require_binary, running, tail, wait_for
from tocsin.engine.clock import FakeClock
from tocsin.store import alerts as alert_store

pytestmark = pytest.mark.peer


class Shop:
    """The exporter's state: every tick, 100 requests (5 failing) with fixed latencies."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests = 0
        self.errors = 0
        self.buckets = {"0.1": 0, "0.3": 0, "1.0": 0, "+Inf": 0}

    def tick(self) -> None:
        with self.lock:
            self.requests += 100
            self.errors += 5
            for le, more in (("0.1", 90), ("0.3", 90), ("1.0", 95), ("+Inf", 100)):
                self.buckets[le] += more

    def collect(self) -> Iterator[Any]:
        with self.lock:
            requests = CounterMetricFamily("shop_requests", "Requests", labels=["code"])
            requests.add_metric(["200"], self.requests - self.errors)
            requests.add_metric(["500"], self.errors)
            yield requests
            yield HistogramMetricFamily(
                "shop_request_duration_seconds",
                "Latency",
                buckets=list(self.buckets.items()),
                sum_value=self.requests * 0.1,
            )


@dataclass
class Peer:
    url: str
    log: Path
    shop: Shop


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Peer]:
    binary = require_binary("prometheus", "prometheus")
    workdir = tmp_path_factory.mktemp("prometheus-slos")
    shop = Shop()
    registry = CollectorRegistry()
    registry.register(shop)  # type: ignore[arg-type]
    exporter_port = free_port()
    server, _ = start_http_server(exporter_port, addr="127.0.0.1", registry=registry)
    stop = threading.Event()

    def traffic() -> None:
        while not stop.wait(0.2):
            shop.tick()

    threading.Thread(target=traffic, daemon=True).start()
    port = free_port()
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "scrape_configs": [
            {"job_name": "shop", "static_configs": [{"targets": [f"127.0.0.1:{exporter_port}"]}]}
        ],
    }
    (workdir / "prometheus.yml").write_text(yaml.safe_dump(config))
    cmd = [
        binary,
        f"--config.file={workdir / 'prometheus.yml'}",
        f"--storage.tsdb.path={workdir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    url = f"http://127.0.0.1:{port}"
    log = workdir / "prometheus.log"
    try:
        with running(cmd, log, f"{url}/-/ready", cwd=workdir):

            def scraped() -> bool:
                # rate() needs two samples of every series.
                answer = httpx.get(
                    f"{url}/api/v1/query",
                    params={"query": 'count(rate(shop_requests_total{code="500"}[1m]) > 0)'},
                ).json()
                return bool(answer["data"]["result"])

            wait_for(scraped, "Prometheus to scrape the shop twice", 60, 0.5, lambda: tail(log))
            yield Peer(url, log, shop)
    finally:
        stop.set()
        server.shutdown()


CONFIG = """route:
  receiver: r
receivers:
  - name: r
prometheus:
  url: {url}
slos:
  - service: shop
    name: availability
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(shop_requests_total{{code="500"}}[{{{{.window}}}}]))
        total_query: sum(rate(shop_requests_total[{{{{.window}}}}]))
  - service: shop
    name: good-requests
    objective: 99
    window: 7d
    sli:
      events:
        good_query: sum(rate(shop_requests_total{{code="200"}}[{{{{.window}}}}]))
        total_query: sum(rate(shop_requests_total[{{{{.window}}}}]))
  - service: shop
    name: fast
    objective: 99
    sli:
      latency: {{metric: shop_request_duration_seconds, threshold: 1}}
  - service: shop
    name: very-fast
    objective: 95
    window: month
    sli:
      latency: {{metric: shop_request_duration_seconds, threshold: 0.3}}
  - service: shop
    name: raw
    objective: 99.9
    sli:
      raw:
        error_ratio_query: >-
          sum(rate(shop_requests_total{{code="500"}}[{{{{.window}}}}]))
          / sum(rate(shop_requests_total[{{{{.window}}}}]))
  - service: shop
    name: slices
    objective: 99.9
    timeslices: {{slice: 1m, target: 99}}
    sli:
      events:
        error_query: sum(rate(shop_requests_total{{code="500"}}[{{{{.window}}}}]))
        total_query: sum(rate(shop_requests_total[{{{{.window}}}}]))
  - service: shop
    name: broken
    objective: 99
    sli:
      raw: {{error_ratio_query: "sum(rate(shop_requests_total[{{{{.window}}}}])"}}
  - service: shop
    name: between-buckets
    objective: 99
    sli:
      latency: {{metric: shop_request_duration_seconds, threshold: 0.5}}
"""


@pytest.fixture
def h(routed: Any, clock: FakeClock, prometheus: Peer) -> Any:
    clock.set(datetime.now(UTC))
    return routed(CONFIG.format(url=prometheus.url))


def get(h: Any, path: str) -> Any:
    return h.client.get(path, headers=h.api)


def test_every_kind_of_sli_is_read_from_prometheus(h: Any, prometheus: Peer) -> None:
    slos = {s["id"]: s for s in get(h, "/api/slos").json()["slos"]}
    # 5 % of requests fail: at 99.9 % the budget burns 50 times too fast, everywhere.
    avail = slos["shop-availability"]
    assert avail["sli"] == pytest.approx(0.95, abs=1e-9), prometheus.log.read_text()[-2000:]
    assert avail["burnRate"] == pytest.approx(50)
    assert avail["errorBudget"]["remaining"] == pytest.approx(1 - 50)
    assert avail["exhaustedInMinutes"] == 0.0
    rates = [rate for w in avail["windows"] for rate in (w["burnRateShort"], w["burnRateLong"])]
    assert rates == [pytest.approx(50)] * 8
    assert avail["firing"] == ["page", "ticket"]
    # Rates x seconds are events: the period's counts are in requests, 5 % of them bad.
    events = avail["events"]
    assert events["total"] > 0 and events["good"] == pytest.approx(0.95 * events["total"])
    # The good query says the same at 99 % over 7 days: 5 %/1 % = 5.
    assert slos["shop-good-requests"]["burnRate"] == pytest.approx(5)
    # 95 % of requests are within 1 s (the le="1.0" bucket): 5 % errors against 1 %.
    assert slos["shop-fast"]["burnRate"] == pytest.approx(5)
    # 90 % within 0.3 s: 10 % errors against a 5 % budget over the calendar month.
    assert slos["shop-very-fast"]["burnRate"] == pytest.approx(2)
    assert slos["shop-very-fast"]["window"] == "month"
    assert slos["shop-raw"]["burnRate"] == pytest.approx(50)
    # 0.5 s is no bucket of the histogram: an error naming its buckets, not a guess.
    assert "0.5 is not a bucket boundary" in slos["shop-between-buckets"]["unavailable"]
    assert "0.1, 0.3, 1.0, +Inf" in slos["shop-between-buckets"]["unavailable"]
    # A query Prometheus cannot parse: what Prometheus said, and the query.
    broken = slos["shop-broken"]["unavailable"]
    assert "answered 400: invalid parameter" in broken and "parse error" in broken
    assert "sum(rate(shop_requests_total[30d])" in broken


def test_timeslices_count_bad_minutes(h: Any) -> None:
    s = get(h, "/api/slos/shop-slices").json()
    assert s["budgeting"] == {"method": "timeslices", "sliceMinutes": 1.0, "sliceTarget": 0.99}
    # 30 days of 1-minute slices, read in chunks Prometheus accepts (over 11,000 points);
    # only the last minute or two saw traffic, all with 5 % errors (bad: below 99 %).
    total, good = s["events"]["total"], s["events"]["good"]
    assert total == 30 * 24 * 60
    assert total - good in (1, 2)
    assert s["errorBudget"]["remaining"] == pytest.approx(1 - (total - good) / total / 0.001)


def test_the_burn_down_ends_at_the_budget_left(h: Any) -> None:
    status = get(h, "/api/slos/shop-raw").json()
    down = get(h, "/api/slos/shop-raw/burn-down?points=60").json()
    points = down["points"]
    assert points[0]["remaining"] == 1.0
    assert points[-1]["remaining"] == pytest.approx(status["errorBudget"]["remaining"], rel=0.05)
    assert len(points) <= 62
    left = [p["remaining"] for p in points]
    assert left == sorted(left, reverse=True)


def test_burn_alerts_fire_close_the_gate_and_outlive_a_prometheus_outage(
    h: Any, prometheus: Peer
) -> None:
    h.tick()
    with h.runtime.db.read() as conn:
        heads = alert_store.list_heads(conn, open_at=h.clock.now())
    firing = {(a.labels["slo"], a.labels["slo_severity"]) for a in heads if "slo" in a.labels}
    assert ("shop-availability", "page") in firing
    assert ("shop-raw", "ticket") in firing
    page = next(
        a
        for a in heads
        if a.labels.get("slo") == "shop-availability" and "page" in a.labels.values()
    )
    assert page.labels["alertname"] == "ShopAvailabilitySLOBurn"
    assert page.labels["service"] == "shop" and page.labels["window"] == "30d"
    assert "50.0x too fast" in page.annotations["summary"]
    gate = get(h, "/api/slo-gate?service=shop")
    assert gate.status_code == 409
    assert "SLO shop-availability has spent its error budget" in gate.json()["message"]
    # Prometheus goes away: no SLO can be read, and the firing pages go on rather than
    # resolve; the gate stays closed, saying why.
    h.reload(CONFIG.format(url=f"http://127.0.0.1:{free_port()}"))
    for _ in range(5):
        h.tick(60)
    with h.runtime.db.read() as conn:
        still = alert_store.list_heads(conn, open_at=h.clock.now())
    assert {(a.labels["slo"], a.labels["slo_severity"]) for a in still if "slo" in a.labels} == (
        firing
    )
    closed = get(h, "/api/slo-gate?service=shop").json()
    assert "error budget cannot be read: Prometheus at" in closed["message"]
    assert get(h, "/api/slos/shop-availability").status_code == 503


def test_with_slo_alerts_rules_tocsin_reads_but_does_not_alert(
    routed: Any, clock: FakeClock, prometheus: Peer
) -> None:
    clock.set(datetime.now(UTC))
    text = CONFIG.format(url=prometheus.url).replace(
        f"  url: {prometheus.url}\n", f"  url: {prometheus.url}\n  slo_alerts: rules\n"
    )
    h = routed(text)
    h.tick()
    h.tick(60)
    with h.runtime.db.read() as conn:
        heads = alert_store.list_heads(conn, open_at=h.clock.now() + timedelta(minutes=1))
    assert [a for a in heads if "slo" in a.labels] == []
    assert get(h, "/api/slos/shop-availability").json()["burnRate"] == pytest.approx(50)
