"""`make demo` runs `tocsin demo`: Tocsin on SQLite, demo integrations and people, three days
of history on the board, a live alert stream."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from tests.live_server import free_port

pytestmark = pytest.mark.slow


def test_demo_streams_alerts_through_every_kind_of_integration(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOCSIN_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tocsin", "demo", "--port", str(port), "--period", "0.05"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    kinds: set[str] = set()
    try:
        deadline = time.monotonic() + 40
        wanted = {"alertmanager", "alertmanager-webhook", "pagerduty", "opsgenie", "webhook"}
        while time.monotonic() < deadline and kinds != wanted:
            time.sleep(0.3)
            try:
                metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
            except httpx.HTTPError:
                continue
            kinds = set(
                re.findall(r'tocsin_alerts_received_total\{integration_kind="([^"]+)"', metrics)
            )
        assert kinds == wanted
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", follow_redirects=True) as web:
            form = web.get("/login").text
            csrf = re.search(r'name="csrf" value="([^"]+)"', form)
            assert csrf, form
            signed = web.post(
                "/login",
                data={"login": "sam", "password": "tocsin-demo", "csrf": csrf.group(1)},
            )
            assert signed.url.path == "/", signed.text[-2000:]
            assert re.search(r'<a href="/incidents/\d+">#\d+ ', signed.text), signed.text
            # The public status page: components, the SEV1's public incident, a maintenance.
            public = web.get("/status/api/v2/summary.json").json()
            assert {c["name"] for c in public["components"]} >= {"Checkout", "Inventory"}
            planned = [m["name"] for m in public["scheduled_maintenances"]]
            assert planned == ["Inventory database migration"]
            assert "Card payments failing in Europe" in web.get("/status/history").text
        with closing(sqlite3.connect(tmp_path / "tocsin-data" / "tocsin.db", timeout=5)) as conn:
            # The played history: a declared SEV1 with roles, resolved; an escalation.
            sev1 = conn.execute(
                "SELECT status, roles FROM incidents WHERE title = ?",
                ("Checkout failing for EU customers",),
            ).fetchone()
            escalations = conn.execute(
                "SELECT count(*) FROM incident_events WHERE text LIKE 'Level 2 of sre%'"
            ).fetchone()[0]
            # Checkout's SLO: three days of half-hourly requests, 330 of them bad (the
            # spike and the SEV1), and the stream's since.
            good, total = conn.execute(
                "SELECT sum(good), sum(total) FROM slo_events WHERE slo_id = 'checkout-requests'"
            ).fetchone()
            # The SEV1's postmortem, drafted when it was resolved, with the budget it burned.
            drafted = conn.execute(
                "SELECT p.state, p.body FROM postmortems p JOIN incidents i"
                " ON i.id = p.incident_id WHERE i.title = ?",
                ("Checkout failing for EU customers",),
            ).fetchone()
        assert sev1[0] == "resolved" and json.loads(sev1[1])["commander"] == "lena"
        assert escalations >= 1
        assert total >= 144 * 3000 and total - good >= 330
        assert drafted[0] == "draft"
        assert "checkout-requests: 4.2 % of the 30d budget (1.8 min), burn rate 15.0x" in drafted[1]
        db = tmp_path / "tocsin-data" / "tocsin.db"
        assert db.exists()  # the default SQLite file
        sent = 0
        while time.monotonic() < deadline + 20 and not sent:  # group_wait is 5-10 s
            time.sleep(0.5)
            with closing(sqlite3.connect(db, timeout=5)) as conn:
                sent = conn.execute("SELECT count(*) FROM deliveries WHERE status = 'sent'")
                sent = sent.fetchone()[0]
        assert sent, "the demo sent no notification"
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert f"http://127.0.0.1:{port}/docs" in out
    assert len(re.findall(r"\b[0-9a-f]{32}\b", out)) >= 5  # the tokens to try
    assert (tmp_path / "tocsin-data" / "demo-tocsin.yaml").exists()
    assert re.search(r"notification to (team|pager): FIRING", out), out[-3000:]
