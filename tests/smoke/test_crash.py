"""Kill the server with SIGKILL mid-stream: every alert that got a 2xx is there afterwards."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from tests.live_server import LiveServer
from tocsin.store.database import Database
from tocsin.store.tables import alerts

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def crash_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/crash.db"
    return str(request.getfixturevalue("postgres").new())


def test_acknowledged_alerts_survive_sigkill(crash_db_url: str, tmp_path: Path) -> None:
    server = LiveServer(crash_db_url, tmp_path)
    token = server.create_integration("crash", "alertmanager")
    server.start()
    acked: set[str] = set()
    lock = threading.Lock()
    stop = threading.Event()

    def sender(worker: int) -> None:
        with httpx.Client(timeout=5) as client:
            n = 0
            while not stop.is_set() and n < 5000:
                n += 1
                ids = [f"w{worker}-{n}-{k}" for k in range(5)]
                body = [
                    {"labels": {"alertname": "Crash", "id": i}, "endsAt": "2099-01-01T00:00:00Z"}
                    for i in ids
                ]
                try:
                    r = client.post(
                        f"{server.url}/api/v2/alerts",
                        json=body,
                        headers={"Authorization": f"Bearer {token}"},
                    )
                except httpx.HTTPError:
                    return  # the server is gone
                if r.status_code == 200:
                    with lock:
                        acked.update(ids)

    workers = [threading.Thread(target=sender, args=(w,)) for w in range(8)]
    try:
        for w in workers:
            w.start()
        deadline = time.monotonic() + 20
        while len(acked) < 1500 and time.monotonic() < deadline:
            time.sleep(0.02)
        server.kill()  # mid-stream: requests are in flight
        stop.set()
        for w in workers:
            w.join(10)
        assert len(acked) >= 1500, "the stream was too slow to make the test meaningful"

        server.start()  # recovery on restart (WAL replay, migrations already current)
        db = Database(crash_db_url)
        try:
            with db.read() as conn:
                stored = {
                    labels["id"] for labels in conn.execute(select(alerts.c.labels)).scalars()
                }
        finally:
            db.dispose()
        missing = acked - stored
        assert not missing, f"{len(missing)} acknowledged alerts lost, e.g. {sorted(missing)[:5]}"
        r = httpx.get(
            f"{server.url}/api/v2/alerts",
            params={"filter": 'alertname="Crash"'},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert r.status_code == 200 and len(r.json()) == len(stored)
    finally:
        stop.set()
        server.stop()
