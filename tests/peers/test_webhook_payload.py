"""Tocsin's webhook payload against what the real Alertmanager sends for the same group.

A real Alertmanager notifies a local HTTP server; Tocsin builds the payload for the same
alerts, route and group; the two must be equal field by field (sorting, common labels and
annotations, group key, Go time formats, truncation, resolved alerts).
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.http_handler import QuickHandler
from tests.live_server import free_port
from tests.peers.conftest import alertmanager, unique
from tocsin.channels.webhook_payload import PayloadAlert, build_payload
from tocsin.config.compile import compile_config
from tocsin.config.yaml_source import YamlSource
from tocsin.domain.grouping import group_key
from tocsin.domain.labels import fingerprint
from tocsin.domain.routing import match_routes

pytestmark = pytest.mark.peer


@pytest.fixture
def hook() -> Iterator[tuple[str, queue.Queue[dict[str, Any]]]]:
    """A webhook endpoint on loopback that hands over every JSON body it receives."""
    received: queue.Queue[dict[str, Any]] = queue.Queue()

    class Handler(QuickHandler):
        def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
            length = int(self.headers["Content-Length"])
            received.put(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    finally:
        server.shutdown()


def _config(url: str, max_alerts: int) -> dict[str, Any]:
    return {
        "route": {
            "receiver": "default",
            "group_wait": "1s",
            "group_interval": "1s",
            "routes": [
                {
                    "matchers": ['severity=~"critical|page"'],
                    "receiver": "hook",
                    "group_by": ["alertname", "cluster"],
                }
            ],
        },
        "receivers": [
            {"name": "default"},
            {
                "name": "hook",
                "webhook_configs": [{"url": url, "send_resolved": True, "max_alerts": max_alerts}],
            },
        ],
    }


def _ours(
    config: dict[str, Any],
    posted: list[dict[str, Any]],
    external_url: str,
    max_alerts: int,
    now: datetime,
) -> dict[str, Any]:
    routing = compile_config(YamlSource("test.yml", config, None))
    alerts = []
    route = None
    for a in posted:
        [route] = match_routes(routing.route, a["labels"])
        ends_at = datetime.fromisoformat(a["endsAt"]) if "endsAt" in a else None
        alerts.append(
            PayloadAlert(
                fingerprint=fingerprint(a["labels"]),
                labels=a["labels"],
                annotations=a.get("annotations", {}),
                starts_at=datetime.fromisoformat(a["startsAt"]),
                ends_at=ends_at,
                generator_url=a.get("generatorURL", ""),
                firing=ends_at is None or ends_at > now,
            )
        )
    assert route is not None
    labels = route.group_by.key_of(posted[0]["labels"])
    return build_payload(
        receiver=route.receiver,
        group_key=group_key(route.key, labels),
        group_labels=labels,
        alerts=alerts,
        external_url=external_url,
        max_alerts=max_alerts,
    )


@pytest.mark.parametrize("max_alerts", [0, 3])
def test_payload_equals_alertmanagers(
    tmp_path: Path, hook: tuple[str, queue.Queue[dict[str, Any]]], max_alerts: int
) -> None:
    url, received = hook
    config = _config(url, max_alerts)
    test = unique("payload")
    base = {"alertname": "DiskFull", "cluster": "eu-1", "severity": "critical", "test": test}
    posted = [
        {
            "labels": {**base, "job": "node", "instance": "b:9100"},
            "annotations": {"summary": "disk full", "runbook_url": "http://rb/disk"},
            "startsAt": "2026-03-01T11:00:00.250Z",
            "generatorURL": "http://prometheus/graph?g0.expr=disk",
        },
        {
            "labels": {**base, "job": "node", "instance": "a:9100", "mount": "/"},
            "annotations": {"summary": "disk full"},
            "startsAt": "2026-03-01T11:00:01Z",
        },
        {
            "labels": {**base, "instance": "c:9100"},
            "annotations": {"summary": "disk full", "extra": "only here"},
            "startsAt": "2026-03-01T10:59:00Z",
        },
        {
            "labels": {**base, "job": "api", "severity": "page", "zone": "ü"},
            "annotations": {"summary": "disk full"},
            "startsAt": "2026-03-01T11:00:00Z",
            "endsAt": "2026-03-01T11:30:00.5Z",  # already resolved
        },
        {
            "labels": {**base, "job": "node", "instance": "a:9100"},
            "annotations": {"summary": "disk full"},
            "startsAt": "2026-03-01T11:00:00Z",
        },
    ]
    with alertmanager(tmp_path / "am", config) as am:
        # endsAt far ahead for the firing ones, so nothing resolves during the test.
        firing_until = "2099-01-01T00:00:00Z"
        am.post_alerts([a if "endsAt" in a else {**a, "endsAt": firing_until} for a in posted])
        theirs = received.get(timeout=20)
        # Skip what is left over from another run, and a first flush that raced the rest of
        # the alerts in (old startsAt makes Alertmanager flush at the first one): the next
        # tick carries the whole group.
        while theirs["commonLabels"].get("test") != test or len(theirs["alerts"]) + theirs[
            "truncatedAlerts"
        ] != len(posted):
            theirs = received.get(timeout=20)
        external_url = theirs["externalURL"]
    now = datetime.fromisoformat("2026-06-01T00:00:00+00:00")
    ours = _ours(config, posted, external_url, max_alerts, now)
    # Our model: firing alerts carry no endsAt; Alertmanager sends Go's zero time for them.
    assert ours == theirs
