"""Intake: batches applied in order, committed together, failures isolated."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

import pytest
from sqlalchemy import Connection, select

from tocsin.domain.alerts import Action, AlertEvent, Identity, Outcome
from tocsin.domain.integrations import Integration, IntegrationKind
from tocsin.domain.labels import fingerprint
from tocsin.services.intake import Submission, apply_batch
from tocsin.services.runtime import Runtime
from tocsin.store.group_commit import GroupCommit
from tocsin.store.tables import alert_events, alerts

SEC = timedelta(seconds=1)


def event(action: Action, instance: str = "a", offset: int = 0) -> AlertEvent:
    labels = {"alertname": "X", "instance": instance}
    return AlertEvent(
        fingerprint=fingerprint(labels),
        identity=Identity.DEDUP_KEY,
        action=action,
        labels=labels,
    )


@pytest.fixture
def integration(runtime: Runtime) -> Integration:
    return runtime.integrations.create("src", IntegrationKind.WEBHOOK)[0]


def test_one_batch_can_fire_resolve_and_fire_again(
    runtime: Runtime, integration: Integration
) -> None:
    now = runtime.clock.now()
    subs = [
        Submission(integration, [event(Action.TRIGGER), event(Action.TRIGGER, "b")], now),
        Submission(integration, [event(Action.RESOLVE)], now + SEC),
        Submission(
            integration, [event(Action.TRIGGER), event(Action.ACKNOWLEDGE, "b")], now + 2 * SEC
        ),
    ]
    with runtime.db.write() as conn:
        receipts = apply_batch(conn, subs)
    assert [r.outcomes for r in receipts] == [
        [Outcome.CREATED, Outcome.CREATED],
        [Outcome.RESOLVED],
        [Outcome.CREATED, Outcome.ACKNOWLEDGED],
    ]
    assert receipts[0].alert_uids[0] == receipts[1].alert_uids[0] != receipts[2].alert_uids[0]
    with runtime.db.read() as conn:
        rows = conn.execute(select(alerts).order_by(alerts.c.id)).mappings().all()
        events = conn.execute(select(alert_events).order_by(alert_events.c.id)).mappings().all()
    by_uid = {r["uid"]: r for r in rows}
    first, second = by_uid[receipts[0].alert_uids[0]], by_uid[receipts[2].alert_uids[0]]
    assert first["status"] == "resolved" and first["head_key"] is None
    assert second["status"] == "firing" and second["head_key"] == second["fingerprint"]
    assert by_uid[receipts[0].alert_uids[1]]["status"] == "acknowledged"
    assert [e["alert_id"] for e in events] == [
        first["id"],
        by_uid[receipts[0].alert_uids[1]]["id"],
        first["id"],
        second["id"],
        by_uid[receipts[0].alert_uids[1]]["id"],
    ]


def test_the_next_batch_continues_from_stored_heads(
    runtime: Runtime, integration: Integration
) -> None:
    now = runtime.clock.now()
    with runtime.db.write() as conn:
        apply_batch(conn, [Submission(integration, [event(Action.TRIGGER)], now)])
    with runtime.db.write() as conn:
        [receipt] = apply_batch(conn, [Submission(integration, [event(Action.RESOLVE)], now + SEC)])
    with runtime.db.write() as conn:
        [again] = apply_batch(
            conn, [Submission(integration, [event(Action.TRIGGER)], now + 2 * SEC)]
        )
    assert receipt.outcomes == [Outcome.RESOLVED] and again.outcomes == [Outcome.CREATED]
    with runtime.db.read() as conn:
        heads = conn.execute(select(alerts.c.status).where(alerts.c.head_key.is_not(None))).all()
    assert [h[0] for h in heads] == ["firing"]


def test_concurrent_submits_are_all_committed(runtime: Runtime, integration: Integration) -> None:
    async def send_all() -> list:
        return await asyncio.gather(
            *(
                runtime.intake.submit(integration, [event(Action.TRIGGER, f"i{i}")])
                for i in range(200)
            )
        )

    receipts = asyncio.run(send_all())
    assert all(r.outcomes == [Outcome.CREATED] for r in receipts)
    with runtime.db.read() as conn:
        assert len(conn.execute(select(alerts.c.id)).all()) == 200
    batches = runtime.metrics.db_commit_batch.collect()[0].samples
    count = next(s.value for s in batches if s.name.endswith("_count"))
    total = next(s.value for s in batches if s.name.endswith("_sum"))
    assert total == 200 and count <= 200


def test_a_failing_item_fails_alone(runtime: Runtime) -> None:
    def apply(conn: Connection, items: Sequence[int]) -> list[int]:
        if 13 in items:
            raise ValueError("unlucky")
        return [i * 2 for i in items]

    commit: GroupCommit[int, int] = GroupCommit(runtime.db, apply)
    commit.start()
    try:
        futures = [commit.submit_future(i) for i in range(10, 20)]
        results = []
        for f in futures:
            try:
                results.append(f.result(timeout=10))
            except ValueError:
                results.append(None)
    finally:
        commit.stop()
    assert results == [20, 22, 24, None, 28, 30, 32, 34, 36, 38]


def test_a_timed_out_head_is_stored_resolved_when_its_successor_arrives(
    runtime: Runtime, integration: Integration
) -> None:
    now = runtime.clock.now()
    labels = {"alertname": "Flappy"}
    first = AlertEvent(
        fingerprint=fingerprint(labels),
        identity=Identity.LABELS,
        action=Action.TRIGGER,
        labels=labels,
        starts_at=now,
        ends_at=now + 5 * 60 * SEC,
        ends_at_is_timeout=True,
    )
    later = now + 10 * 60 * SEC  # housekeeping has not run
    second = AlertEvent(
        fingerprint=first.fingerprint,
        identity=Identity.LABELS,
        action=Action.TRIGGER,
        labels=labels,
        starts_at=later,
        ends_at=later + 5 * 60 * SEC,
        ends_at_is_timeout=True,
    )
    with runtime.db.write() as conn:
        apply_batch(conn, [Submission(integration, [first], now)])
    with runtime.db.write() as conn:
        [receipt] = apply_batch(conn, [Submission(integration, [second], later)])
    assert receipt.outcomes == [Outcome.CREATED]
    with runtime.db.read() as conn:
        old, new = conn.execute(select(alerts).order_by(alerts.c.id)).mappings().all()
    assert (
        old["status"] == "resolved" and old["resolution"] == "timeout" and old["head_key"] is None
    )
    assert old["resolved_at"] == now + 5 * 60 * SEC
    assert new["status"] == "firing" and new["head_key"] == new["fingerprint"]
