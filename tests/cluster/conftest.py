"""Several real Tocsin nodes (``python -m tocsin serve`` processes) on one PostgreSQL
database, as docs/cluster.md runs them, and what the tests read back from them.

* ``Cluster``: N nodes with the same configuration file, the same scaled clock
  (``TOCSIN_CLOCK_RATE``/``TOCSIN_CLOCK_ORIGIN``, so they agree on the time) and their own
  ``TOCSIN_NODE_NAME``, started together (their migrations and first writes race).
* ``Cluster.post``/``get``: a client-side load balancer. It stands in for the load balancer
  with health checks an operator puts in front of the nodes: requests go to the next node
  in turn; a refused connection, a reset or a 5xx makes it try the next node (what a
  balancer does once its health check marks a node down). A retried POST may have been
  stored by the node that died answering it: Alertmanager deliveries are idempotent (the
  alert's fingerprint), which is what makes retrying them safe.
* ``pages``: the pages a recording receiver got on ``/hook/<user>`` (each person's
  webhook contact method), with their ``Idempotency-Key`` and arrival time.

These tests need PostgreSQL: without ``TOCSIN_TEST_POSTGRES_URL`` they skip (the
``postgres`` fixture), under ``CI=true`` they fail instead. Select them with
``pytest tests/cluster`` (they are marked ``postgres`` and ``slow``).
"""

from __future__ import annotations

import re
import statistics
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest
from sqlalchemy import String, cast, func, select

from tests.conftest import PostgresDatabases
from tests.live_server import LiveServer
from tests.receiver_server import ReceiverServer
from tests.waiting import wait_until
from tocsin.engine.clock import ScaledClock
from tocsin.store.database import Database
from tocsin.store.tables import incident_alerts, incident_events, incidents, messages, timers

#: The nodes' clocks run this many times faster than the wall clock.
RATE = 20.0
#: TOCSIN_ENGINE_LEASE, in the nodes' (scaled) time: 3 real seconds at RATE 20.
LEASE = timedelta(minutes=1)
LEASE_REAL = LEASE.total_seconds() / RATE
#: How often each node's engine looks for due timers, real seconds (Runner.start(poll=1.0)).
CYCLE = 1.0
#: The escalation policy's level-1 delay (scaled): level 2 is due this long after level 1.
LEVEL_DELAY = timedelta(minutes=1)
#: An Alertmanager endsAt far away: no alert resolves by itself during a test.
FOREVER = "2099-01-01T00:00:00Z"

#: One group per alert (``case`` is unique), sent at once; a two-level policy that pages
#: ann, then bob one (scaled) minute later, each by their personal webhook (whose pages
#: carry an Idempotency-Key). ``{url}``: the recording receiver.
CONFIG = """\
route:
  receiver: pager
  group_by: [alertname, case]
  group_wait: 0s
  group_interval: 1m
  repeat_interval: 4h
receivers:
  - name: pager
    escalation_policy: twolevel
users:
  - id: ann
    webhook_url: {url}/hook/ann
    notification_rules:
      high: [{{method: webhook}}]
      low: [{{method: webhook}}]
  - id: bob
    webhook_url: {url}/hook/bob
    notification_rules:
      high: [{{method: webhook}}]
      low: [{{method: webhook}}]
teams:
  - {{name: platform, members: [ann, bob]}}
escalation_policies:
  - name: twolevel
    team: platform
    levels:
      - delay: 1m
        targets: [{{user: ann}}]
      - delay: 1m
        targets: [{{user: bob}}]
paging:
  webhook: {{timeout: 5s}}
"""

__all__ = [
    "CONFIG",
    "CYCLE",
    "FOREVER",
    "LEASE",
    "LEASE_REAL",
    "LEVEL_DELAY",
    "RATE",
    "Cluster",
    "ClusterFactory",
    "Node",
    "Page",
    "Routed",
    "alert",
    "dedupe",
    "pages",
    "percentiles",
    "wait_until",
]


def alert(name: str, case: str, **labels: str) -> dict[str, Any]:
    """An Alertmanager API v2 alert, firing until 2099, in a group of its own."""
    return {
        "labels": {"alertname": name, "case": case, "severity": "critical", **labels},
        "endsAt": FOREVER,
    }


@dataclass(frozen=True)
class Page:
    """One page as the receiver got it."""

    key: str
    user: str
    incident: int
    #: time.monotonic() at arrival.
    at: float


def pages(receiver: ReceiverServer) -> list[Page]:
    """Every page received on ``/hook/<user>``, in arrival order (repeats included)."""
    out = []
    for r in list(receiver.requests):
        if r.path.startswith("/hook/"):
            out.append(
                Page(
                    r.headers["idempotency-key"],
                    r.path.removeprefix("/hook/"),
                    int(r.json()["incidentId"]),
                    r.at,
                )
            )
    return out


def dedupe(found: Sequence[Page]) -> tuple[dict[str, Page], list[tuple[Page, Page]]]:
    """The first copy of each page by Idempotency-Key, and each repeat with its first."""
    first: dict[str, Page] = {}
    repeats: list[tuple[Page, Page]] = []
    for page in found:
        if page.key in first:
            repeats.append((first[page.key], page))
        else:
            first[page.key] = page
    return first, repeats


def percentiles(values: Sequence[float]) -> str:
    if not values:
        return "none"
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return (
        f"n={len(ordered)} p50={statistics.median(ordered):.2f}s p99={p99:.2f}s "
        f"max={ordered[-1]:.2f}s"
    )


class Node(LiveServer):
    """A LiveServer with a name in the cluster (its TOCSIN_NODE_NAME)."""

    def __init__(self, name: str, database_url: str, workdir: Path, env: dict[str, str]) -> None:
        super().__init__(database_url, workdir, env={**env, "TOCSIN_NODE_NAME": name})
        self.name = name

    @property
    def up(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@dataclass(frozen=True)
class Routed:
    """A response, the node that gave it, and the nodes tried before it (and why)."""

    response: httpx.Response
    node: Node
    failed: tuple[str, ...] = ()


@dataclass
class Cluster:
    database_url: str
    workdir: Path
    config: str
    size: int
    env: dict[str, str] = field(default_factory=dict)
    nodes: list[Node] = field(init=False)
    #: Every request the balancer had to send to another node: (path, what failed).
    failovers: list[tuple[str, tuple[str, ...]]] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.origin = datetime.now(UTC)
        self.clock = ScaledClock(self.origin, RATE)
        # The wall clock and time.monotonic() read together: arrivals (monotonic) in UTC.
        self._wall0, self._mono0 = datetime.now(UTC), time.monotonic()
        path = self.workdir / "tocsin.yaml"
        path.write_text(self.config)
        common = {
            "TOCSIN_CONFIG": str(path),
            "TOCSIN_CLOCK_RATE": str(RATE),
            "TOCSIN_CLOCK_ORIGIN": self.origin.isoformat(),
            "TOCSIN_ENGINE_LEASE": "PT1M",
            "TOCSIN_OUTBOUND_ALLOW": "127.0.0.1",  # the receiver is on loopback
            **self.env,
        }
        self.nodes = [
            Node(f"node{i + 1}", self.database_url, self.workdir, common) for i in range(self.size)
        ]
        self._next = 0
        self._lock = threading.Lock()
        self.client = httpx.Client(timeout=httpx.Timeout(20, connect=2))
        self.db = Database(self.database_url)

    # -- the nodes -------------------------------------------------------------------------

    def start(self) -> float:
        """Start every node at the same time (threads); the seconds it took."""
        began = time.monotonic()
        errors: list[str] = []
        barrier = threading.Barrier(len(self.nodes))

        def start(node: Node) -> None:
            barrier.wait()
            try:
                node.start(timeout=60)
            except Exception as exc:  # the error's own lines (the log tail is printed)
                lines = str(exc).splitlines()
                said = [x for x in lines if re.match(r"[\w.]+(Error|Exception)\b|DETAIL", x)]
                errors.append(f"{node.name}: " + "\n  ".join(said or lines[-3:]))

        threads = [threading.Thread(target=start, args=(n,)) for n in self.nodes]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, "nodes failed to start together:\n" + "\n".join(errors)
        return time.monotonic() - began

    def stop(self) -> None:
        """SIGTERM every node still running (SIGKILL if it takes over 10 s)."""
        for node in self.nodes:
            try:
                node.stop()
            except Exception as exc:  # keep stopping the others
                print(f"stopping {node.name} failed: {exc}")
        self.client.close()
        self.db.dispose()

    def tails(self, lines: int = 40) -> str:
        parts = []
        for node in self.nodes:
            tail = node.log_text().splitlines()[-lines:]
            parts.append(f"----- {node.name} ({node.log.name}) last {len(tail)} lines -----")
            parts.extend(tail)
        return "\n".join(parts)

    def tracebacks(self, *, excused: Sequence[str] = ()) -> list[str]:
        """Each traceback in a node's log (with the log line before it), but those of the
        nodes named in ``excused``."""
        found = []
        for node in self.nodes:
            if node.name in excused:
                continue
            lines = node.log_text().splitlines()
            for i, line in enumerate(lines):
                if line.startswith("Traceback"):
                    block = lines[max(0, i - 1) : i + 30]
                    end = next(
                        (j for j, b in enumerate(block[2:], 2) if not b.startswith((" ", "\t"))),
                        len(block) - 1,
                    )
                    found.append(f"[{node.name}]\n" + "\n".join(block[: end + 1]))
        return found

    def assert_clean_logs(self, *, excused: Sequence[str] = ()) -> None:
        found = self.tracebacks(excused=excused)
        assert not found, f"{len(found)} tracebacks in the node logs:\n" + "\n\n".join(found)

    def log_counts(self, pattern: str) -> dict[str, int]:
        """How many log lines of each node match ``pattern`` (a regular expression)."""
        rx = re.compile(pattern)
        return {
            n.name: sum(1 for x in n.log_text().splitlines() if rx.search(x)) for n in self.nodes
        }

    # -- the load balancer -----------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        headers: dict[str, str] | None = None,
        rounds: int = 3,
    ) -> Routed:
        """Send to the next node in turn; on a connection error or a 5xx, to the next one
        (``rounds`` times round all nodes, half a second apart). AssertionError if no node
        answered below 500."""
        with self._lock:
            first = self._next
            self._next = (self._next + 1) % len(self.nodes)
        failed: list[str] = []
        for round_ in range(rounds):
            if round_:
                time.sleep(0.5)
            for k in range(len(self.nodes)):
                node = self.nodes[(first + k) % len(self.nodes)]
                try:
                    r = self.client.request(method, node.url + path, json=json, headers=headers)
                except httpx.TransportError as exc:
                    failed.append(f"{node.name}: {type(exc).__name__}")
                    continue
                if r.status_code >= 500:
                    failed.append(f"{node.name}: HTTP {r.status_code} {r.text[:200]}")
                    continue
                if failed:
                    with self._lock:
                        self.failovers.append((path, tuple(failed)))
                return Routed(r, node, tuple(failed))
        raise AssertionError(f"no node answered {method} {path}: {failed}")

    def post(self, path: str, body: Any, token: str) -> Routed:
        return self.request("POST", path, json=body, headers={"Authorization": f"Bearer {token}"})

    def get(self, path: str, token: str) -> Any:
        routed = self.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        assert routed.response.status_code == 200, routed.response.text
        return routed.response.json()

    # -- time --------------------------------------------------------------------------------

    def wall(self, monotonic: float) -> datetime:
        """The UTC instant of a time.monotonic() reading (a receiver's arrival)."""
        return self._wall0 + timedelta(seconds=monotonic - self._mono0)

    def real(self, scaled: datetime) -> datetime:
        """The UTC instant at which the nodes' clocks read ``scaled``."""
        return self.origin + (scaled - self.origin) / RATE

    # -- reading the database (what the API does not list in bulk) -------------------------

    def incident_count(self) -> int:
        with self.db.read() as conn:
            return int(conn.execute(select(func.count()).select_from(incidents)).scalar_one())

    def held_by(self, node: Node) -> Counter[str]:
        """The timers ``node`` holds a lease on, by kind (its owner id is its name and a
        random suffix, services/cluster.node_id)."""
        query = select(timers.c.kind).where(timers.c.lease_owner.like(f"{node.name}-%"))
        with self.db.read() as conn:
            return Counter(str(kind) for (kind,) in conn.execute(query))

    def held_pages(self, node: Node) -> set[str]:
        """The Idempotency-Keys of the messages whose send ``node`` holds a lease on."""
        query = (
            select(messages.c.details)
            .select_from(timers.join(messages, timers.c.key == cast(messages.c.id, String)))
            .where(timers.c.kind == "message", timers.c.lease_owner.like(f"{node.name}-%"))
        )
        with self.db.read() as conn:
            return {str((d or {}).get("idempotency_key")) for (d,) in conn.execute(query)}

    def incidents_of(self) -> dict[str, set[int]]:
        """Alert fingerprint -> the incidents the alert is in."""
        out: dict[str, set[int]] = {}
        query = select(incident_alerts.c.fingerprint, incident_alerts.c.incident_id)
        with self.db.read() as conn:
            for fp, incident_id in conn.execute(query):
                out.setdefault(str(fp), set()).add(int(incident_id))
        return out

    def escalations(self) -> dict[int, dict[int, datetime]]:
        """incident -> level (from 1) -> when the engine fired it (the nodes' clock)."""
        out: dict[int, dict[int, datetime]] = {}
        query = select(
            incident_events.c.incident_id, incident_events.c.at, incident_events.c.data
        ).where(incident_events.c.kind == "escalated")
        with self.db.read() as conn:
            for incident_id, at, data in conn.execute(query):
                levels = out.setdefault(int(incident_id), {})
                level = int(data["level"])
                assert level not in levels, f"incident {incident_id} fired level {level} twice"
                levels[level] = at
        return out


class ClusterFactory(Protocol):
    def __call__(self, size: int, config: str = CONFIG) -> Cluster: ...


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"cluster_{report.when}", report)


@pytest.fixture
def cluster(
    postgres: PostgresDatabases,
    tmp_path: Path,
    receiver: ReceiverServer,
    request: pytest.FixtureRequest,
) -> Iterator[ClusterFactory]:
    """``cluster(size)`` -> a started Cluster of ``size`` nodes on a fresh PostgreSQL
    database, paging ``receiver`` (CONFIG). Every node is stopped at the end; when the test
    failed, the tail of each node's log is printed."""
    made: list[Cluster] = []

    def make(size: int, config: str = CONFIG) -> Cluster:
        c = Cluster(postgres.new(), tmp_path, config.format(url=receiver.url), size)
        made.append(c)
        took = c.start()
        print(f"\n{size} nodes started together in {took:.1f}s")
        return c

    yield make
    for c in made:
        c.stop()
    report = getattr(request.node, "cluster_call", None)
    if report is None or report.failed:
        for c in made:
            print("\n" + c.tails())
