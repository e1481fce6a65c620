"""Reminding a silence's creator before it ends (Tocsin; Alertmanager lets silences lapse
unnoticed). The reminder is a notification like any other, through the receiver named in
``silence_reminders``, so it is retried and recorded the same way."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from tocsin.channels.notification import PayloadAlert
from tocsin.config.compile import RoutingConfig
from tocsin.domain.silences import Silence, SilenceState
from tocsin.engine.runner import Again
from tocsin.notify.content import encode
from tocsin.notify.outbox import Planned, SpawnMany, enqueue, schedule_many
from tocsin.store import groups as group_store
from tocsin.store import silences as silence_store
from tocsin.store.timers import Timer

__all__ = ["ReminderHandler", "reminder_alert"]

REASON = "silence ending"


def reminder_alert(silence: Silence, now: datetime) -> PayloadAlert:
    matchers = ", ".join(str(m) for m in silence.matchers)
    return PayloadAlert(
        fingerprint=hashlib.sha256(silence.id.encode()).hexdigest()[:16],
        labels={
            "alertname": "SilenceEnding",
            "silence_id": silence.id,
            "created_by": silence.created_by,
        },
        annotations={
            "summary": (
                f"The silence by {silence.created_by} on {matchers} ends at "
                f"{silence.ends_at.strftime('%Y-%m-%d %H:%M UTC')}"
            ),
            "description": silence.comment,
        },
        starts_at=now,
        ends_at=None,
        generator_url="",
        firing=True,
    )


@dataclass
class ReminderHandler:
    routing: Callable[[], RoutingConfig | None]
    spawn: SpawnMany = schedule_many

    def __call__(self, conn: Connection, timer: Timer, now: datetime) -> Again | None:
        config = self.routing()
        silence = silence_store.by_id(conn, timer.key)
        if config is None or config.silence_reminders is None or silence is None:
            return None
        if silence.state(now) is SilenceState.EXPIRED:
            return None
        receiver, lead = config.silence_reminders
        if silence.ends_at - lead > now:
            return Again(silence.ends_at - lead)  # extended since: remind later
        group_key = f"silence:{silence.id}"
        for spec in config.channels.get(receiver, ()):
            plan = Planned(
                group_id=None,
                log_ident=group_store.log_ident(group_key, receiver, spec.name),
                group_key=group_key,
                receiver=receiver,
                integration=spec.name,
                reason=REASON,
                content=encode(
                    group_labels={"alertname": "SilenceEnding"},
                    alerts=[reminder_alert(silence, now)],
                    firing=[],
                    resolved=[],
                    repeat_seconds=0,
                ),
            )
            enqueue(conn, self.spawn, plan, now)
        silence_store.set_reminded(conn, silence.id, now)
        return None
