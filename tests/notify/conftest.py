"""A routed Tocsin with a fake clock and a real receiver on loopback: post alerts, move the
clock, run the engine, look at what the receiver got."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tocsin.api.app import create_app
from tocsin.domain.integrations import IntegrationKind
from tocsin.engine.clock import FakeClock
from tocsin.services.runtime import Runtime
from tocsin.settings import Settings
from tocsin.store import deliveries as delivery_store
from tocsin.store import messages as message_store
from tocsin.store.deliveries import DeliveryRow
from tocsin.store.messages import Message


class Harness:
    def __init__(self, db_url: str, config: Path, clock: FakeClock) -> None:
        self.db_url = db_url
        self.config = config
        self.clock = clock
        self.runtime = self._build()
        _, self.token = self.runtime.integrations.create("prom", IntegrationKind.ALERTMANAGER)
        #: A service API token that may do everything (scope manage, no team).
        _, self.api_token = self.runtime.api_tokens.create(
            kind="service", name="tests", scope="manage", created_by="tests"
        )
        self.api = {"Authorization": f"Bearer {self.api_token}"}
        self.client = TestClient(create_app(self.runtime, manage_runtime=False))

    def _build(self) -> Runtime:
        runtime = Runtime.build(
            Settings(
                database_url=self.db_url,
                config=str(self.config),
                sqlite_synchronous="NORMAL",
                external_url="http://tocsin.test",
            ),
            clock=self.clock,
            run_engine=False,
        )
        runtime.start()
        return runtime

    def post(self, *alerts: dict[str, Any]) -> None:
        response = self.client.post(
            "/api/v2/alerts",
            json=list(alerts),
            headers={"Authorization": f"Bearer {self.token}"},
        )
        assert response.status_code == 200, response.text

    def tick(self, seconds: float = 0) -> None:
        """Move the clock, then let the engine do everything now due."""
        if seconds:
            self.clock.advance(timedelta(seconds=seconds))
        self.runtime.runner.run_due()

    def restart(self) -> None:
        """Stop this Tocsin and start a new one on the same database."""
        self.client.close()
        self.runtime.stop()
        self.runtime = self._build()
        self.client = TestClient(create_app(self.runtime, manage_runtime=False))

    def reload(self, text: str) -> None:
        self.config.write_text(text)
        self.runtime.reload()

    def deliveries(self, **filters: Any) -> list[DeliveryRow]:
        with self.runtime.db.read() as conn:
            return list(reversed(delivery_store.list_recent(conn, limit=1000, **filters)))

    def messages(self, kind: str | None = None) -> list[Message]:
        """The messages Tocsin kept, oldest first; only those of ``kind`` if given."""
        with self.runtime.db.read() as conn:
            found = list(reversed(message_store.recent(conn, limit=1000)))
        return [m for m in found if kind is None or m.kind == kind]

    def close(self) -> None:
        self.client.close()
        self.runtime.stop()


def firing(name: str, **labels: str) -> dict[str, Any]:
    """A firing alert that started when the tests' clock starts and stays firing for the
    whole test (endsAt the next day)."""
    return {
        "labels": {"alertname": name, **labels},
        "startsAt": "2026-03-01T12:00:00Z",
        "endsAt": "2026-03-02T12:00:00Z",
    }


def resolved(harness: Harness, name: str, **labels: str) -> dict[str, Any]:
    """The same alert, resolved now."""
    return {"labels": {"alertname": name, **labels}, "endsAt": harness.clock.now().isoformat()}


def refire(harness: Harness, name: str, **labels: str) -> dict[str, Any]:
    """An alert that starts firing now (a new firing has a new startsAt, as Prometheus sends)."""
    return {**firing(name, **labels), "startsAt": harness.clock.now().isoformat()}
