"""Three nodes restarted one after the other (SIGTERM, start again, wait until ready: never
more than one down) while alerts keep coming through the load balancer: every alert a
node answered 2xx opens its incident and pages ann and bob, each exactly once; no request
fails for good (a node going away only makes the balancer try the next)."""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter
from typing import Any

import pytest

from tests.cluster.conftest import (
    CYCLE,
    LEASE_REAL,
    ClusterFactory,
    Routed,
    alert,
    dedupe,
    pages,
    wait_until,
)
from tests.receiver_server import ReceiverServer
from tocsin.domain.labels import fingerprint

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

#: Senders in parallel, and the pause each makes after a POST (of one alert): about 30
#: alerts a second, some 300 while the three nodes restart one after the other.
SENDERS = 3
PAUSE = 0.08
MOST = 600


def test_rolling_restart_loses_nothing(cluster: ClusterFactory, receiver: ReceiverServer) -> None:
    began = time.monotonic()
    c = cluster(3)
    token = c.nodes[0].create_integration("prometheus", "alertmanager")
    api = c.nodes[0].create_api_token()
    accepted: list[dict[str, Any]] = []  # alerts a node answered 2xx
    answers: list[Routed] = []
    failures: list[str] = []  # requests no node took
    stop = threading.Event()

    numbers = iter(range(MOST))

    def stream() -> None:
        for n in numbers:  # (next() on a range iterator is atomic in CPython)
            if stop.is_set():
                return
            body = [alert("Rolling", f"r-{n}")]
            try:
                routed = c.post("/api/v2/alerts", body, token)
            except AssertionError as exc:
                failures.append(str(exc))
                continue
            answers.append(routed)
            if routed.response.status_code < 300:
                accepted.extend(body)
            time.sleep(PAUSE)

    senders = [threading.Thread(target=stream) for _ in range(SENDERS)]
    for sender in senders:
        sender.start()
    restarts: list[str] = []
    try:
        time.sleep(1)
        for node in c.nodes:
            t0 = time.monotonic()
            node.stop()
            assert node.process is not None
            code = node.process.returncode
            stopped = time.monotonic() - t0
            node.start(timeout=60)
            restarts.append(
                f"{node.name}: stopped in {stopped:.1f}s (exit {code}), "
                f"ready again {time.monotonic() - t0:.1f}s after SIGTERM"
            )
            # Uvicorn raises the SIGTERM it caught again once shut down: exit -15, not -9.
            graceful = node.log_text().count("Application shutdown complete")
            assert code in (0, -signal.SIGTERM) and graceful == 1, (
                f"{node.name} did not stop gracefully: exit status {code}"
            )
        time.sleep(1)
    finally:
        stop.set()
        for sender in senders:
            sender.join()
    expected = 2 * len(accepted)

    def arrived() -> int:
        return len(dedupe(pages(receiver))[0])

    everything = wait_until(lambda: arrived() >= expected, 60, step=0.25)
    time.sleep(2 * (LEASE_REAL + CYCLE))  # a page sent twice would come again by now
    found = pages(receiver)
    first, repeats = dedupe(found)
    statuses = Counter(r.response.status_code for r in answers)
    retried = Counter(f.split(": ", 1)[1][:40] for r in answers for f in r.failed)
    print(
        f"\nposted {len(answers) + len(failures)} alerts, one a POST: {dict(statuses)}; "
        f"accepted {len(accepted)}; failed for good {len(failures)}\n"
        + "\n".join(restarts)
        + f"\nretried on another node, why: {dict(retried)}\n"
        f"pages: raw {len(found)}, distinct {len(first)} of {expected}, repeats {len(repeats)}\n"
        f"timers given back on stopping: {c.log_counts('gave back')}"
    )
    assert not failures, failures
    assert set(statuses) == {200}, statuses
    assert everything, f"{arrived()} of {expected} pages arrived"
    incidents_of = c.incidents_of()
    by_alert = {
        a["labels"]["case"]: incidents_of.get(fingerprint(a["labels"]), set()) for a in accepted
    }
    not_one = {case: where for case, where in by_alert.items() if len(where) != 1}
    assert not not_one, f"alerts not in exactly one incident: {not_one}"
    listed = c.get("/api/incidents?limit=1000", api)
    assert c.incident_count() == len(listed) == len(accepted)
    ids = {i for where in by_alert.values() for i in where}
    per_incident = Counter((p.incident, p.user) for p in first.values())
    assert per_incident == Counter({(i, u): 1 for i in ids for u in ("ann", "bob")})
    # Graceful stops finish their sends and give their timers back: nothing is sent twice.
    assert not repeats, [(a.key, round(b.at - a.at, 2)) for a, b in repeats]
    c.assert_clean_logs()
    print(f"wall time {time.monotonic() - began:.1f}s (start included)")
