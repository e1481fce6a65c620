"""Headline gauges on ``/metrics``, read when scraped and kept for a minute. At 13:40 in the
history of ``conftest``: #4 (SEV2) is open; MTTA over the last 30 days 1m and 5m (p50 1m,
p90 5m); MTTR 10m, 15m, 20m (p50 15m, p90 20m)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import insert

from tests.reports.conftest import History
from tocsin.store.learning_tables import action_items


def metrics(history: History) -> dict[str, float]:
    text = history.w.client.get("/metrics").text
    found = re.findall(r"^(tocsin_(?:incidents_open|mtt[ar]_seconds|action_items_overdue)"
                       r"(?:\{[^}]*\})?) (\S+)$", text, re.M)  # fmt: skip
    return {name: float(value) for name, value in found}


def item(history: History, incident: int, due: timedelta, status: str = "open") -> None:
    now = history.h.clock.now()
    with history.w.runtime.db.write() as conn:
        conn.execute(
            insert(action_items),
            {
                "incident_id": incident,
                "title": "Do it",
                "owner": "ann",
                "due_at": now + due,
                "status": status,
                "created_at": now,
                "created_by": "ann",
                "updated_at": now,
                "closed_at": now if status == "done" else None,
            },
        )


def test_headline_gauges_and_their_minute_of_caching(history: History) -> None:
    item(history, 2, -timedelta(hours=1))  # overdue
    item(history, 2, -timedelta(hours=1), "done")  # done: not overdue
    item(history, 3, timedelta(days=1))  # not due yet
    assert metrics(history) == {
        'tocsin_incidents_open{severity="SEV1"}': 0.0,
        'tocsin_incidents_open{severity="SEV2"}': 1.0,
        'tocsin_incidents_open{severity="SEV3"}': 0.0,
        'tocsin_incidents_open{severity="SEV4"}': 0.0,
        'tocsin_mtta_seconds{quantile="0.5"}': 60.0,
        'tocsin_mtta_seconds{quantile="0.9"}': 300.0,
        'tocsin_mttr_seconds{quantile="0.5"}': 900.0,
        'tocsin_mttr_seconds{quantile="0.9"}': 1200.0,
        "tocsin_action_items_overdue": 1.0,
    }
    history.act(4, "resolve", user="bob")  # at 13:40: MTTR 10m
    assert metrics(history)['tocsin_incidents_open{severity="SEV2"}'] == 1.0  # kept
    history.h.clock.advance(timedelta(seconds=60))
    fresh = metrics(history)
    assert fresh['tocsin_incidents_open{severity="SEV2"}'] == 0.0
    # 10m, 10m, 15m, 20m: p50 rank 2 = 10m, p90 rank 4 = 20m.
    assert fresh['tocsin_mttr_seconds{quantile="0.5"}'] == 600.0
    assert fresh['tocsin_mttr_seconds{quantile="0.9"}'] == 1200.0
    # Thirty days on, nothing was opened in the last 30 days: no quantiles at all.
    history.h.clock.advance(timedelta(days=31))
    later = metrics(history)
    assert not any(name.startswith("tocsin_mtt") for name in later)
    assert later["tocsin_action_items_overdue"] == 2.0  # the third is past due now
