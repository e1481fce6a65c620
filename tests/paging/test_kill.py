"""A real server process killed with SIGKILL between escalation level 1 and level 2, then
started again: level 2 still pages, exactly once. The server's clock runs 20 times faster
(``TOCSIN_CLOCK_RATE``), so the level's 1-minute delay passes in 3 seconds."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.live_server import LiveServer
from tests.paging.conftest import CONFIG
from tests.receiver_server import ReceiverServer
from tests.waiting import wait_until

RATE = 20
FAST = CONFIG.replace("      - delay: 5m\n", "      - delay: 1m\n").replace(
    "{{slack_channel: C0OPS}}", "{{user: cat}}"
)


def pushes(server: ReceiverServer, topic: str) -> list[Any]:
    return [r for r in server.requests if r.path == "/ntfy/" and r.json()["topic"] == topic]


@pytest.mark.parametrize("moment", ["after-recording", "before-recording"])
def test_sigkill_between_levels_pages_level_two_once(
    db_url: str, tmp_path: Path, receiver: ReceiverServer, moment: str
) -> None:
    """Killed once level 1's page is recorded as sent: nothing is sent twice. Killed the
    instant the page reaches the provider, before Tocsin records it: that one page is sent
    at most once more (delivery is at least once), and level 2 still exactly once."""
    assert FAST != CONFIG
    receiver.answer("/ntfy/", 200, {"id": "n1"})
    config = tmp_path / "tocsin.yaml"
    config.write_text(FAST.format(smtp=1, url=receiver.url, extra=""))
    origin = datetime.now(UTC).isoformat()
    server = LiveServer(
        db_url,
        tmp_path,
        env={
            "TOCSIN_CONFIG": str(config),
            "TOCSIN_CLOCK_RATE": str(RATE),
            "TOCSIN_CLOCK_ORIGIN": origin,
        },
    )
    token = server.create_integration("prom", "alertmanager")
    api_token = server.create_api_token()
    server.start()
    try:
        alert = {"labels": {"alertname": "Down", "severity": "critical", "service": "api"}}
        answer = httpx.post(
            f"{server.url}/api/v2/alerts",
            json=[alert],
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert answer.status_code == 200
        assert wait_until(lambda: len(pushes(receiver, "ann-pages")) == 1, 10), (
            "level 1 never paged"
        )

        def recorded() -> bool:
            found = httpx.get(
                f"{server.url}/api/incidents/1",
                headers={"Authorization": f"Bearer {api_token}"},
                timeout=10,
            ).json()
            return any(p["user"] == "ann" and p["status"] == "sent" for p in found["pages"])

        if moment == "after-recording":
            assert wait_until(recorded, 5)
        server.kill()  # between level 1 and level 2 (due 3 s after level 1)
        killed_at = time.monotonic()
        assert pushes(receiver, "bob-pages") == []
        server.start()
        assert wait_until(lambda: len(pushes(receiver, "bob-pages")) >= 1, 20), "level 2 lost"
        time.sleep(60 / RATE * 2)  # two more scaled minutes: nothing is sent twice
        level2 = pushes(receiver, "bob-pages")
        assert len(level2) == 1 and level2[0].at > killed_at
        again = len(pushes(receiver, "ann-pages"))
        assert again == 1 if moment == "after-recording" else again in (1, 2)
    finally:
        server.stop()
