"""Drills' durable timers.

* ``drill.end`` (key: the incident): a drill nobody resolves ends by itself. An unacknowledged
  drill runs its policy to the end and is resolved ``drills.timeout`` after its last level
  fired; an acknowledged (or mitigated) one ``drills.timeout`` after that.
* ``drill.plan`` (key ``all``): every few minutes, and when the configuration is reloaded,
  the next occurrence of each scheduled drill gets its ``drill.fire`` timer.
* ``drill.fire`` (key: the schedule's id and the occurrence's instant): declares the drill.
  The occurrence is recorded (``drill_runs``) in the same transaction, so it fires once
  whatever the nodes and restarts; one missed by more than ``LATE`` is recorded as skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Connection

from tocsin.config.compile import RoutingConfig
from tocsin.domain.drills import TIMED_OUT, ScheduledDrill, next_occurrence
from tocsin.domain.durations import duration_text
from tocsin.domain.escalation import policy_from_snapshot
from tocsin.domain.incidents import Status
from tocsin.engine.runner import Again
from tocsin.errors import TocsinError
from tocsin.notify.incident_desk import Desk, Opening
from tocsin.notify.paging import ENGINE, ESCALATE
from tocsin.store import drills as drill_store
from tocsin.store import incidents as incident_store
from tocsin.store import timers as timer_store
from tocsin.store.timers import Timer

__all__ = ["DRILL_END", "DRILL_FIRE", "DRILL_PLAN", "SCHEDULER", "DrillWatch", "arm"]

DRILL_END = "drill.end"
DRILL_PLAN = "drill.plan"
DRILL_FIRE = "drill.fire"
#: The actor of scheduled drills.
SCHEDULER = "drill-schedule"
#: How often the plan is looked at again (a new schedule's first occurrence is never
#: closer than this to being missed).
PLAN_EVERY = timedelta(minutes=15)
#: An occurrence missed by more than this (Tocsin was down) is skipped, not fired late.
LATE = timedelta(hours=1)
DEFAULT_TIMEOUT = timedelta(hours=1)

log = logging.getLogger(__name__)


def arm(conn: Connection, incident_id: int, now: datetime, timeout: timedelta) -> None:
    """A new drill: look at ending it once it could have run its course."""
    timer_store.schedule(conn, DRILL_END, str(incident_id), now + timeout)


def fire_key(drill: ScheduledDrill, occurrence: datetime) -> str:
    return f"{drill.id}/{occurrence.isoformat()}"


class DrillWatch:
    def __init__(self, routing: Callable[[], RoutingConfig | None], desk: Desk) -> None:
        self.routing = routing
        self.desk = desk

    def _timeout(self) -> timedelta:
        config = self.routing()
        return config.drills.timeout if config is not None else DEFAULT_TIMEOUT

    # -- ending ------------------------------------------------------------------------------

    def end(self, conn: Connection, timer: Timer, now: datetime) -> Again | None:
        incident = incident_store.get(conn, int(timer.key))
        if incident is None or not incident.drill or not incident.is_open:
            return None
        timeout = self._timeout()
        if incident.status is Status.TRIGGERED:
            next_level = incident_store.timer_due(conn, incident.id, ESCALATE)
            if next_level is not None:
                return Again(max(next_level, now) + timeout)
            last = incident_store.events(conn, incident.id, kinds=("escalated", "level-skipped"))
            snapshot = incident_store.policy_snapshot(conn, incident.id)
            levels = policy_from_snapshot(snapshot).levels if snapshot else ()
            # The last level had its delay to be acknowledged in, like the others.
            since = (last[-1].at if last else incident.created_at) + (
                levels[-1].delay if levels else timedelta(0)
            )
            why = "nobody acknowledged and the escalation policy ran to its end"
        else:
            since = (
                incident.mitigated_at
                or incident.acknowledged_at
                or incident.updated_at
                or incident.created_at
            )
            why = f"it was {incident.status.value} but not resolved"
        deadline = since + timeout
        if now < deadline:
            return Again(deadline)
        self.desk.resolve(
            conn,
            incident.id,
            ENGINE,
            now,
            note=f"the drill timed out ({why}; drills.timeout {duration_text(timeout)})",
            via=TIMED_OUT,
        )
        return None

    # -- scheduled drills --------------------------------------------------------------------

    def plan(self, conn: Connection, timer: Timer, now: datetime) -> Again:
        config = self.routing()
        soonest = now + PLAN_EVERY
        for drill in config.drills.scheduled if config is not None else ():
            after = now - LATE
            for _ in range(3):  # a missed one (still in time), then the next
                occurrence = next_occurrence(drill, after)
                if occurrence is None:
                    break
                key = fire_key(drill, occurrence)
                if not drill_store.has_run(conn, key):
                    payload = {"schedule": drill.id, "occurrence": occurrence.isoformat()}
                    timer_store.schedule(
                        conn, DRILL_FIRE, key, max(occurrence, now), payload, replace=False
                    )
                if occurrence > now:
                    soonest = min(soonest, occurrence)
                    break
                after = occurrence
        return Again(soonest)

    def fire(self, conn: Connection, timer: Timer, now: datetime) -> None:
        config = self.routing()
        schedule_id = str(timer.payload.get("schedule", ""))
        occurrence = datetime.fromisoformat(str(timer.payload["occurrence"]))
        if drill_store.has_run(conn, timer.key):
            return None
        drill = config.drills.schedule(schedule_id) if config is not None else None
        if drill is None:
            return None  # taken out of the configuration since it was planned
        if now - occurrence > LATE:
            drill_store.record_run(
                conn,
                timer.key,
                drill.id,
                occurrence,
                now,
                skipped=f"missed by {duration_text(now - occurrence)} (Tocsin was not running)",
            )
            return None
        opening = Opening(
            title=drill.headline,
            severity=drill.severity,
            summary=f"A scheduled drill ({drill.rrule}, {drill.time_zone}).",
            policy=drill.policy,
            drill=True,
        )
        try:
            incident = self.desk.open(conn, opening, SCHEDULER, now)
        except TocsinError as exc:
            log.warning("scheduled drill %s not declared: %s", drill.id, exc)
            drill_store.record_run(conn, timer.key, drill.id, occurrence, now, skipped=str(exc))
            return None
        drill_store.record_run(conn, timer.key, drill.id, occurrence, now, incident_id=incident.id)
        return None
