"""Two nodes get the same deliveries at the same instant, as the two members of an
Alertmanager HA pair do from Prometheus (API v2: Prometheus posts every alert to each
member) or as two Alertmanagers of a pair both notify their receiver (webhook): one incident
per alert group, each page sent once; the resolved delivery sent to both resolves it."""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

import httpx
import pytest

from tests.cluster.conftest import (
    CYCLE,
    FOREVER,
    LEASE_REAL,
    Cluster,
    ClusterFactory,
    dedupe,
    pages,
    wait_until,
)
from tests.receiver_server import ReceiverServer

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ALERTS = 50
ENDPOINT = {"alertmanager": "/api/v2/alerts", "alertmanager-webhook": "/integrations/alertmanager"}


def delivery(kind: str, case: str, starts_at: str, ends_at: str | None) -> Any:
    """What Prometheus (API v2) or an Alertmanager (webhook) sends about one alert;
    ``ends_at`` None: firing."""
    labels = {"alertname": "HaPair", "case": case, "severity": "critical"}
    if kind == "alertmanager":
        return [{"labels": labels, "startsAt": starts_at, "endsAt": ends_at or FOREVER}]
    status = "resolved" if ends_at else "firing"
    return {
        "version": "4",
        "groupKey": f'{{}}:{{alertname="HaPair", case="{case}"}}',
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "tocsin",
        "groupLabels": {"alertname": "HaPair", "case": case},
        "commonLabels": labels,
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example:9093",
        "alerts": [
            {
                "status": status,
                "labels": labels,
                "annotations": {},
                "startsAt": starts_at,
                "endsAt": ends_at or "0001-01-01T00:00:00Z",
                "generatorURL": "",
                "fingerprint": case,
            }
        ],
    }


def to_both(c: Cluster, clients: list[httpx.Client], path: str, body: Any, token: str) -> list[str]:
    """POST ``body`` to every node at the same instant (a barrier releases the senders).
    A sender that gets a 5xx sends again, as Prometheus and Alertmanager do; the answers
    that were not 2xx are returned (4xx fail at once: nothing retries them)."""
    barrier = threading.Barrier(len(clients))
    errors: list[str] = []

    def send(i: int) -> None:
        barrier.wait()
        for _ in range(3):
            try:
                r = clients[i].post(
                    c.nodes[i].url + path, json=body, headers={"Authorization": f"Bearer {token}"}
                )
            except httpx.HTTPError as exc:
                errors.append(f"{c.nodes[i].name}: {exc!r}")
                continue
            if r.status_code < 300:
                return
            errors.append(f"{c.nodes[i].name}: {r.status_code} {r.text[:200]}")
            if r.status_code < 500:
                return

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not any(" 4" in e[:12] for e in errors), errors
    return errors


@pytest.mark.parametrize("kind", ["alertmanager", "alertmanager-webhook"])
def test_ha_pair_deliveries_to_two_nodes_make_one_incident(
    cluster: ClusterFactory, receiver: ReceiverServer, kind: str
) -> None:
    began = time.monotonic()
    c = cluster(2)
    token = c.nodes[0].create_integration("ha-pair", kind)
    api = c.nodes[0].create_api_token()
    path = ENDPOINT[kind]
    clients = [httpx.Client(timeout=20) for _ in c.nodes]
    try:
        starts = {f"ha-{i}": c.clock.now().isoformat() for i in range(ALERTS)}
        failed: list[str] = []
        for case, starts_at in starts.items():
            failed += to_both(c, clients, path, delivery(kind, case, starts_at, None), token)

        # Every incident pages ann (level 1), then bob a scaled minute later (level 2).
        assert wait_until(lambda: len(dedupe(pages(receiver))[0]) >= 2 * ALERTS, 60), (
            f"{len(dedupe(pages(receiver))[0])} of {2 * ALERTS} pages arrived"
        )
        time.sleep(LEASE_REAL + 2 * CYCLE)  # a repeat would come within a lease and a cycle
        found = pages(receiver)
        first, repeats = dedupe(found)
        listed = c.get("/api/incidents?limit=1000", api)
        print(
            f"\n[{kind}] {ALERTS} alert groups, each delivered to both nodes at once: "
            f"{len(listed)} incidents, {len(first)} distinct pages, {len(repeats)} repeats"
        )
        assert len(listed) == ALERTS and c.incident_count() == ALERTS, (
            f"{len(listed)} incidents listed, {c.incident_count()} in the database"
        )
        ids = {i["id"] for i in listed}
        per_incident = Counter((p.incident, p.user) for p in first.values())
        assert per_incident == Counter({(i, u): 1 for i in ids for u in ("ann", "bob")}), (
            per_incident
        )
        assert not repeats, [(a.key, b.key) for a, b in repeats]
        assert all(len(c.get(f"/api/incidents/{i}", api)["alerts"]) == 1 for i in ids)

        # The resolved delivery, to both at once, resolves the one incident.
        ended = c.clock.now().isoformat()
        for case, starts_at in starts.items():
            failed += to_both(c, clients, path, delivery(kind, case, starts_at, ended), token)

        def resolved() -> int:
            return len(c.get("/api/incidents?status=resolved&limit=1000", api))

        assert wait_until(lambda: resolved() == ALERTS, 30), f"{resolved()} of {ALERTS} resolved"
        assert c.incident_count() == ALERTS
        assert len(pages(receiver)) == len(found), "a page was sent after the resolve"
        print(f"[{kind}] deliveries answered other than 2xx (then sent again): {len(failed)}")
        assert not failed, (
            f"{len(failed)} of {4 * ALERTS} deliveries got an error, e.g. {failed[0]} (when "
            "written: the same new alert stored by two nodes at once failed on one with "
            "UniqueViolation uq_alerts_head_key; services/intake.py apply_batch reads the "
            "heads unlocked; see the node logs)"
        )
        c.assert_clean_logs()
        print(f"[{kind}] wall time {time.monotonic() - began:.1f}s (start included)")
    finally:
        for client in clients:
            client.close()
