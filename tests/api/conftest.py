from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import RowMapping, select

from tocsin.services.runtime import Runtime
from tocsin.store.tables import alert_events, alerts


class Stored:
    """What the database holds, read directly (not through the API under test)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def alerts(self) -> list[RowMapping]:
        with self.runtime.db.read() as conn:
            return list(conn.execute(select(alerts).order_by(alerts.c.id)).mappings())

    def events(self) -> list[RowMapping]:
        with self.runtime.db.read() as conn:
            return list(conn.execute(select(alert_events).order_by(alert_events.c.id)).mappings())

    def snapshot(self) -> tuple[Any, ...]:
        return (
            [dict(r) for r in self.alerts()],
            [dict(r) for r in self.events()],
        )


@pytest.fixture
def stored(runtime: Runtime) -> Stored:
    return Stored(runtime)
