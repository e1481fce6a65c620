"""A real Alertmanager routes an always-firing Watchdog alert to a Tocsin heartbeat's
webhook endpoint: every notification (the route repeats every few seconds) is a ping."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.live_server import LiveServer
from tests.peers.conftest import alertmanager, require_binary, tail, wait_for

pytestmark = pytest.mark.peer

CONFIG = """\
route:
  receiver: blackhole
receivers:
  - name: blackhole
heartbeats:
  - name: alertmanager-prod
    interval: 1m
    grace: 30s
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[LiveServer, str]]:
    """A live Tocsin with one heartbeat, and its token."""
    require_binary("prometheus-alertmanager", "prometheus-alertmanager")
    config = tmp_path / "tocsin.yaml"
    config.write_text(CONFIG)
    live = LiveServer(
        f"sqlite:///{tmp_path / 'tocsin.db'}", tmp_path, env={"TOCSIN_CONFIG": str(config)}
    )
    printed = live.cli("heartbeat", "token", "alertmanager-prod")
    found = re.search(r"Token: ([0-9a-f]{32})", printed)
    assert found, printed
    live.start()
    try:
        yield live, found.group(1)
    finally:
        live.stop()


def test_a_real_alertmanager_watchdog_route_pings_the_heartbeat(
    server: tuple[LiveServer, str], tmp_path: Path
) -> None:
    live, token = server
    config = {
        "route": {
            "receiver": "null",
            "routes": [
                {
                    "matchers": ['alertname="Watchdog"'],
                    "receiver": "tocsin-heartbeat",
                    "group_wait": "0s",
                    "group_interval": "1s",
                    "repeat_interval": "2s",
                }
            ],
        },
        "receivers": [
            {"name": "null"},
            {
                "name": "tocsin-heartbeat",
                "webhook_configs": [
                    {
                        "url": f"{live.url}/api/heartbeats/alertmanager-prod/alertmanager",
                        "send_resolved": False,
                        "http_config": {"authorization": {"credentials": token}},
                    }
                ],
            },
        ],
    }

    def heartbeat() -> dict[str, Any]:
        """The heartbeat's row, straight from the database."""
        with closing(sqlite3.connect(tmp_path / "tocsin.db", timeout=5)) as conn:
            conn.row_factory = sqlite3.Row
            row = conn.execute(
                "SELECT state, pings, last_ping_source, counting_from FROM heartbeats"
                " WHERE name = 'alertmanager-prod'"
            ).fetchone()
        return dict(row)

    assert heartbeat()["state"] == "waiting"
    with alertmanager(tmp_path / "alertmanager", config) as am:
        now = datetime.now(UTC)
        am.post_alerts(
            [
                {
                    "labels": {"alertname": "Watchdog", "severity": "none"},
                    "annotations": {"summary": "always firing: the pipeline works"},
                    "startsAt": now.isoformat(),
                    "endsAt": (now + timedelta(hours=1)).isoformat(),
                }
            ]
        )

        def diagnostics() -> str:
            return tail(am.log) + "\n" + tail(live.log)

        def pinged(times: int) -> dict[str, Any] | None:
            row = heartbeat()
            return row if row["pings"] >= times else None

        first = wait_for(
            lambda: pinged(1),
            "the first Watchdog notification to ping the heartbeat",
            timeout=10,
            diagnostics=diagnostics,
        )
        assert first["state"] == "up"
        assert first["last_ping_source"] == "alertmanager"
        # The route repeats: more pings follow, each moving the deadline.
        later = wait_for(
            lambda: pinged(first["pings"] + 1),
            "a repeated Watchdog notification",
            timeout=10,
            diagnostics=diagnostics,
        )
        assert later["counting_from"] > first["counting_from"]
