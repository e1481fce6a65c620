"""The notification record through the API and ``tocsin notifications``."""

from __future__ import annotations

from typing import Any

from typer.testing import CliRunner

from tests.notify.conftest import firing
from tests.notify.test_delivery import two_receivers
from tests.receiver_server import ReceiverServer
from tocsin.cli.main import app


def test_api_lists_notifications_and_their_attempts(routed: Any, receiver: ReceiverServer) -> None:
    receiver.answer_once("/flaky", (500, "oops"))
    h = routed(two_receivers(receiver.url, f"{receiver.url}/flaky"))
    h.post(firing("Down", instance="a"))
    h.tick(0)
    auth = h.api
    listed = h.client.get("/api/v1/notifications", headers=auth).json()
    by_integration = {n["integration"]: n for n in listed}
    assert by_integration["webhook[1]"]["status"] == "sent"
    flaky = by_integration["webhook[0]"]
    assert flaky["status"] == "pending" and flaky["lastError"] == "HTTP 500: oops"
    assert flaky["receiver"] == "both" and flaky["firing"] == 1 and flaky["resolved"] == 0
    assert flaky["reason"] == "first notification" and flaky["nextAttemptAt"] is not None
    h.tick(2)
    one = h.client.get(f"/api/v1/notifications/{flaky['id']}", headers=auth).json()
    assert one["status"] == "sent"
    assert [(a["ok"], a["statusCode"]) for a in one["attemptsMade"]] == [
        (False, 500),
        (True, 200),
    ]
    assert one["alerts"][0]["labels"] == {"alertname": "Down", "instance": "a"}
    failed = h.client.get("/api/v1/notifications?status=failed", headers=auth).json()
    assert failed == []
    assert h.client.get("/api/v1/notifications/999999", headers=auth).status_code == 404
    bad = h.client.get("/api/v1/notifications?status=lost", headers=auth)
    assert bad.status_code in (400, 422) and "status" in bad.text
    assert h.client.get("/api/v1/notifications").status_code == 401


def test_cli_shows_notifications(routed: Any, receiver: ReceiverServer) -> None:
    receiver.answer_once("/flaky", (503, "try later"))
    h = routed(two_receivers(receiver.url, f"{receiver.url}/flaky"))
    h.post(firing("Down"))
    h.tick(0)
    env = {"TOCSIN_DATABASE_URL": h.db_url, "COLUMNS": "200"}
    result = CliRunner().invoke(app, ["notifications"], env=env)
    assert result.exit_code == 0, result.output
    assert "webhook[0]" in result.output and "HTTP 503: try later" in result.output
    assert "pending" in result.output and "sent" in result.output
    [pending] = h.deliveries(status="pending")
    result = CliRunner().invoke(app, ["notifications", str(pending.id)], env=env)
    assert result.exit_code == 0 and "503" in result.output
    result = CliRunner().invoke(app, ["notifications", "--status", "lost"], env=env)
    assert result.exit_code == 1 and "--status" in result.output


def test_housekeeping_forgets_old_notifications(routed: Any, receiver: ReceiverServer) -> None:
    from sqlalchemy import func, select

    from tocsin.store.tables import delivery_attempts, notification_log

    h = routed(two_receivers(receiver.url, f"{receiver.url}/other"))
    h.post(firing("Down"))
    h.tick(0)
    h.post({**firing("Down"), "endsAt": h.clock.now().isoformat()})  # resolved
    h.tick(600)
    assert len(h.deliveries()) == 4  # firing and resolved, to both integrations
    h.tick(29 * 24 * 3600)
    assert len(h.deliveries()) == 4  # kept for the retention period (30 days)
    h.tick(2 * 24 * 3600)
    assert h.deliveries() == []
    with h.runtime.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(delivery_attempts)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(notification_log)).scalar() == 0
