"""Alert intake: apply received events to stored alerts, durably, many requests per commit.

Every received event is appended to the alert event log and the alert's current state
updated in the same transaction. ``submit`` returns only after that transaction committed,
which is what lets the API answer 2xx.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from tocsin.domain.alerts import (
    Alert,
    AlertEvent,
    AlertStatus,
    Outcome,
    apply,
    effective_status,
    expire,
    with_labels,
)
from tocsin.domain.integrations import Integration
from tocsin.engine.clock import Clock
from tocsin.metrics import Metrics
from tocsin.store import alerts as alert_store
from tocsin.store.alerts import EventRow
from tocsin.store.database import Database
from tocsin.store.group_commit import GroupCommit

__all__ = ["Intake", "Receipt", "Submission"]


@dataclass(frozen=True, slots=True)
class Submission:
    #: None for alerts Tocsin raises itself (e.g. a coverage gap in a schedule).
    integration: Integration | None
    events: Sequence[AlertEvent]
    received_at: datetime

    @property
    def integration_id(self) -> int | None:
        return self.integration.id if self.integration is not None else None


@dataclass(frozen=True, slots=True)
class Receipt:
    """What each submitted event did, in order, and the alert it applied to (if any)."""

    outcomes: list[Outcome]
    alert_uids: list[str | None]


class _Slot:
    """One alert being worked on in a batch; ``alert.id`` is None until inserted.

    ``touched``: only receive bookkeeping changed (an unchanged re-send), written narrowly;
    ``dirty``: anything else changed, the whole row is written.
    """

    __slots__ = ("alert", "dirty", "id", "touched")

    def __init__(self, alert: Alert) -> None:
        self.alert = alert
        self.id = alert.id
        self.dirty = False
        self.touched = False


def _payload(event: AlertEvent, outcome: Outcome) -> dict[str, Any]:
    """What the event carried. A re-send that changed nothing (Prometheus repeats every
    firing alert each evaluation) is logged compactly: only its new endsAt."""
    if outcome is Outcome.UNCHANGED:
        return {"ends_at": event.ends_at.isoformat()} if event.ends_at is not None else {}
    payload: dict[str, Any] = {"labels": dict(event.labels)}
    if event.annotations:
        payload["annotations"] = dict(event.annotations)
    if event.starts_at is not None:
        payload["starts_at"] = event.starts_at.isoformat()
    if event.ends_at is not None:
        payload["ends_at"] = event.ends_at.isoformat()
    if event.generator_url:
        payload["generator_url"] = event.generator_url
    if event.dedup_key is not None:
        payload["dedup_key"] = event.dedup_key
    if event.note:
        payload["note"] = event.note
    return payload


def apply_batch(
    conn: Connection,
    submissions: Sequence[Submission],
    changed: list[Alert] | None = None,
) -> list[Receipt]:
    """Apply every submission's events in order, in one transaction; one receipt each.
    ``changed`` collects the alerts (current heads) whose state changed."""
    heads = alert_store.load_heads(
        conn, (e.fingerprint for s in submissions for e in s.events), lock=True
    )
    current: dict[str, _Slot] = {fp: _Slot(alert) for fp, alert in heads.items()}
    stored = list(current.values())
    new_slots: list[_Slot] = []
    pending: list[tuple[_Slot | None, AlertEvent, Submission, Outcome]] = []
    receipts: list[Receipt] = []
    for sub in submissions:
        # Alert ids: time-ordered (index-friendly), 80 random bits, 32 hex digits.
        uid_prefix = f"{int(sub.received_at.timestamp() * 1000):012x}"
        outcomes: list[Outcome] = []
        uids: list[str | None] = []
        for event in sub.events:
            slot = current.get(event.fingerprint)
            head = slot.alert if slot else None
            if (
                slot is not None
                and head is not None
                and head.is_open
                and effective_status(head, sub.received_at) is AlertStatus.RESOLVED
            ):
                # Its endsAt passed before housekeeping got to it: store it resolved.
                head = slot.alert = expire(head, sub.received_at)
                slot.dirty = True
            result, outcome = apply(
                head,
                event,
                integration_id=sub.integration_id,
                new_uid=uid_prefix + os.urandom(10).hex(),
                now=sub.received_at,
            )
            if result is not None:
                if slot is not None and result.uid == slot.alert.uid:
                    slot.alert = result
                    if outcome is Outcome.UNCHANGED:
                        slot.touched = True
                    else:
                        slot.dirty = True
                else:
                    if slot is not None:
                        slot.dirty = True  # superseded: no longer the head
                    slot = _Slot(result)
                    new_slots.append(slot)
                    current[event.fingerprint] = slot
            pending.append((slot, event, sub, outcome))
            outcomes.append(outcome)
            uids.append(slot.alert.uid if slot else None)
        receipts.append(Receipt(outcomes, uids))

    def is_head(s: _Slot) -> bool:
        return current[s.alert.fingerprint] is s

    # Updates first: a superseded head must give up its head_key before the new head is in.
    alert_store.update_alerts(conn, [(s.alert, is_head(s)) for s in stored if s.dirty])
    alert_store.touch_alerts(conn, [s.alert for s in stored if s.touched and not s.dirty])
    ids = alert_store.insert_alerts(conn, [(s.alert, is_head(s)) for s in new_slots])
    for s, new_id in zip(new_slots, ids, strict=True):
        s.id = new_id
    alert_store.insert_events(
        conn,
        [
            EventRow(
                alert_id=slot.id if slot else None,
                fingerprint=event.fingerprint,
                integration_id=sub.integration_id,
                received_at=sub.received_at,
                action=event.action.value,
                outcome=outcome.value,
                payload=_payload(event, outcome),
            )
            for slot, event, sub, outcome in pending
        ],
    )
    if changed is not None:
        changed.extend(replace(s.alert, id=s.id) for s in stored if s.dirty and is_head(s))
        changed.extend(replace(s.alert, id=s.id) for s in new_slots if is_head(s))
    return receipts


#: Called in the intake's transaction with the alerts that changed and the time; may return
#: something to do once that transaction has committed.
OnStored = Callable[[Connection, list[Alert], datetime], Callable[[], None] | None]
#: Called in the intake's transaction with every submission applied (heartbeat watchdogs:
#: firing alerts that count as pings, ``services.heartbeats``).
OnReceived = Callable[[Connection, Sequence[Submission]], None]


class Intake:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        metrics: Metrics | None = None,
        *,
        on_stored: OnStored | None = None,
        on_received: OnReceived | None = None,
    ) -> None:
        self.clock = clock
        self.metrics = metrics
        self.on_stored = on_stored
        self.on_received = on_received
        self._commit: GroupCommit[Submission, Receipt] = GroupCommit(
            db,
            self._apply,
            on_commit=self._committed,
            name="intake",
        )
        # What the last applied batch asked to do after its commit (only the writer thread
        # touches it: a failed batch's is replaced when its items are applied again).
        self._after_commit: Callable[[], None] | None = None

    def _apply(self, conn: Connection, submissions: Sequence[Submission]) -> list[Receipt]:
        self._after_commit = None
        if self.on_received is not None:
            self.on_received(conn, submissions)
        if self.on_stored is None:
            return apply_batch(conn, submissions)
        changed: list[Alert] = []
        receipts = apply_batch(conn, submissions, changed)
        if changed:
            self._after_commit = self.on_stored(conn, changed, submissions[-1].received_at)
        return receipts

    def _committed(self, seconds: float, size: int) -> None:
        if self.metrics is not None:
            self.metrics.observe_commit(seconds, size)
        after, self._after_commit = self._after_commit, None
        if after is not None:
            after()

    def start(self) -> None:
        self._commit.start()

    def stop(self) -> None:
        self._commit.stop()

    async def submit(self, integration: Integration, events: Sequence[AlertEvent]) -> Receipt:
        """Store ``events`` from ``integration``; return once durably committed."""
        labels = integration.settings.get("labels")
        if labels:  # the integration's own labels (a PagerDuty service's service="...")
            events = [with_labels(e, labels) for e in events]
        receipt = await self._commit.submit(Submission(integration, events, self.clock.now()))
        if self.metrics is not None:
            counter = self.metrics.alerts_received
            for outcome, count in Counter(receipt.outcomes).items():
                counter.labels(integration.kind.value, outcome.value).inc(count)
        return receipt
