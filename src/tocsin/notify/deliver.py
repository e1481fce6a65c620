"""Sending what the outbox holds: one attempt per run, every attempt recorded.

Prepared in a read, sent with no transaction open (on the engine's worker threads, so a
slow or dead receiver delays nobody else), completed in a write: on success the
notification log learns what was said; a retryable failure is tried again with exponential
backoff and jitter; any other failure waits for the group's next change.

A send that succeeds just before the process dies is sent again after the lease passes:
delivery is at least once. Receivers that care can deduplicate on the group key.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import Connection

from tocsin.channels.notification import ChannelSpec, SendResult
from tocsin.config.compile import RoutingConfig
from tocsin.domain.alerts import AlertStatus, effective_status
from tocsin.domain.retry import backoff, jittered
from tocsin.engine.runner import Again
from tocsin.notify.content import decode, resolved_in
from tocsin.outbound import Outbound, guarded_client
from tocsin.store import alerts as alert_store
from tocsin.store import deliveries as delivery_store
from tocsin.store import groups as group_store
from tocsin.store.config_versions import Behind, never_behind
from tocsin.store.deliveries import Attempt, DeliveryRow
from tocsin.store.timers import Timer

__all__ = ["DeliveryJob", "Work"]

RETRY_BASE = timedelta(seconds=1)
RETRY_CAP = timedelta(minutes=5)


@dataclass(frozen=True)
class Work:
    delivery: DeliveryRow
    spec: ChannelSpec | None
    started_at: datetime
    #: This node runs an older configuration than the one that made the delivery.
    behind: bool = False


@dataclass(frozen=True)
class Outcome:
    result: SendResult
    duration_ms: int


class DeliveryJob:
    def __init__(
        self,
        routing: Callable[[], RoutingConfig | None],
        external_url: str,
        *,
        timeout: float = 10.0,
        outbound: Outbound | None = None,
        behind: Behind = never_behind,
    ) -> None:
        self.routing = routing
        self.external_url = external_url
        self.behind = behind
        self.client = guarded_client(outbound or Outbound.from_environment(), timeout=timeout)

    def close(self) -> None:
        self.client.close()

    def prepare(self, conn: Connection, timer: Timer, now: datetime) -> Work | None:
        delivery = delivery_store.get(conn, int(timer.key))
        if delivery is None or delivery.status != delivery_store.PENDING:
            return None
        work = self._work(delivery, now)
        if work.spec is None and self.behind(conn):
            # Made by a node running a newer configuration, with a receiver this one lacks:
            # a retryable failure, so that it is sent once this node has caught up.
            return replace(work, behind=True)
        return work

    def from_hint(self, timer: Timer, now: datetime) -> Work | None:
        """A delivery just created (and committed) by a tick: it is what the hint says."""
        hint = timer.hint
        return self._work(hint, now) if isinstance(hint, DeliveryRow) else None

    def _work(self, delivery: DeliveryRow, now: datetime) -> Work:
        config = self.routing()
        specs = config.channels.get(delivery.receiver, ()) if config is not None else ()
        spec = next((s for s in specs if s.name == delivery.integration), None)
        return Work(delivery, spec, now)

    def perform(self, work: Work) -> Outcome:
        started = time.perf_counter()
        if work.spec is None:
            result = SendResult.failure(
                f"receiver {work.delivery.receiver} has no integration "
                f"{work.delivery.integration} in "
                + (
                    "the configuration this node runs yet (another node runs a newer one)"
                    if work.behind
                    else "the configuration any more"
                ),
                retryable=work.behind,
            )
        else:
            notification = decode(
                work.delivery.content,
                receiver=work.delivery.receiver,
                group_key=work.delivery.group_key,
                external_url=self.external_url,
                reason=work.delivery.reason,
                sent_at=work.started_at,
            )
            try:
                result = work.spec.channel.send(notification, self.client)
            except Exception as exc:  # a channel bug must not lose the page: retry it
                result = SendResult.failure(f"{type(exc).__name__}: {exc}")
        return Outcome(result, round((time.perf_counter() - started) * 1000))

    def complete(
        self, conn: Connection, timer: Timer, work: Work, outcome: Outcome, now: datetime
    ) -> Again | None:
        d, result = work.delivery, outcome.result
        delivery_store.record_attempt(
            conn,
            Attempt(
                delivery_id=d.id,
                attempted_at=work.started_at,
                duration_ms=outcome.duration_ms,
                ok=result.ok,
                status_code=result.status_code,
                error=result.error,
            ),
        )
        if result.ok:
            delivery_store.set_status(conn, d.id, "sent", now, only_if_pending=False, sent_at=now)
            self._log_sent(conn, d, now)
            return None
        attempts = d.attempts + 1
        if not result.retryable:
            delivery_store.set_status(conn, d.id, "failed", now)
            return None
        due = now + jittered(backoff(attempts, base=RETRY_BASE, cap=RETRY_CAP), random.random())
        if not delivery_store.set_status(conn, d.id, "pending", now, next_attempt_at=due):
            return None  # superseded meanwhile: the newer one carries on
        return Again(due)

    def _log_sent(self, conn: Connection, d: DeliveryRow, now: datetime) -> None:
        content = d.content
        repeat = timedelta(seconds=content["repeat_seconds"])
        group_store.write_log(
            conn,
            ident=d.log_ident,
            group_key=d.group_key,
            receiver=d.receiver,
            integration=d.integration,
            firing=content["firing"],
            resolved=content["resolved"],
            sent_at=now,
            expires_at=now + 2 * repeat,
        )
        reported = resolved_in(content)
        if d.group_id is None or not reported:
            return
        # Reported resolved alerts leave the group, unless another pending notification
        # still carries them or they fire again.
        for pending in delivery_store.pending_in_group(conn, d.group_id):
            reported -= resolved_in(pending.content)
        heads = alert_store.load_heads(conn, reported)
        group_store.remove_members(
            conn,
            d.group_id,
            [
                fp
                for fp, alert in heads.items()
                if effective_status(alert, now) is AlertStatus.RESOLVED
            ],
        )
