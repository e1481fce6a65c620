"""The engine's on-call duties, as timers.

``schedule.watch`` runs every ``on_call.check_interval``: it raises (or resolves) an
``OnCallGap`` alert per schedule when nobody will be on call within the horizon, and plans
the next handoffs and shift reminders as timers of their own. Those re-check the schedule
when they fire (an override may have changed it) and put messages in the outbox.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Connection

from tocsin.config.compile import RoutingConfig
from tocsin.domain.alerts import Action, AlertEvent, Identity
from tocsin.domain.coverage import Gap, gaps, handoffs, turn_at
from tocsin.domain.labels import fingerprint
from tocsin.domain.schedules import Schedule, oncall_at
from tocsin.domain.silences import SilenceState
from tocsin.domain.users import reading_zone
from tocsin.engine.runner import Again
from tocsin.notify.messages import post
from tocsin.notify.oncall_texts import HandoffFacts, handoff_summary, shift_reminder, when
from tocsin.store import alerts as alert_store
from tocsin.store import silences as silence_store
from tocsin.store import timers as timer_store
from tocsin.store.overrides import effective_schedules
from tocsin.store.timers import Timer

__all__ = ["GAP_ALERT", "HANDOFF", "SHIFT_REMINDER", "WATCH", "OnCallWatch"]

WATCH = "schedule.watch"
HANDOFF = "schedule.handoff"
SHIFT_REMINDER = "schedule.reminder"
GAP_ALERT = "OnCallGap"
_JUST_BEFORE = timedelta(microseconds=1)
_LOOK_BACK = timedelta(days=31)

#: Stores alerts Tocsin raises itself, in the caller's transaction, and groups them.
RaiseAlerts = Callable[[Connection, Sequence[AlertEvent], datetime], None]


def _key(*parts: object) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()


class OnCallWatch:
    def __init__(
        self,
        current: Callable[[], RoutingConfig | None],
        raise_alerts: RaiseAlerts,
        external_url: str,
    ) -> None:
        self.current = current
        self.raise_alerts = raise_alerts
        self.external_url = external_url.rstrip("/")

    # -- the periodic check ---------------------------------------------------------------

    def watch(self, conn: Connection, timer: Timer, now: datetime) -> Again:
        config = self.current()
        if config is None:
            return Again(now + timedelta(minutes=5))
        policy = config.on_call
        found = effective_schedules(conn, config, ending_after=now - _LOOK_BACK)
        events = self._gap_events(conn, config, found, now)
        if events:
            self.raise_alerts(conn, events, now)
        for name, schedule in found.items():
            self._plan(conn, config, name, schedule, now)
        return Again(now + policy.check_interval)

    def gap_labels(self, config: RoutingConfig, name: str) -> dict[str, str]:
        return {**config.on_call.gap_labels, "alertname": GAP_ALERT, "schedule": name}

    def _gap_events(
        self,
        conn: Connection,
        config: RoutingConfig,
        found: dict[str, Schedule],
        now: datetime,
    ) -> list[AlertEvent]:
        policy = config.on_call
        labels = {name: self.gap_labels(config, name) for name in found}
        heads = alert_store.load_heads(conn, [fingerprint(ls) for ls in labels.values()])
        events = []
        for name, schedule in found.items():
            fp = fingerprint(labels[name])
            horizon = policy.gap_horizon
            uncovered = gaps(schedule, now, now + horizon) if horizon is not None else []
            if uncovered:
                assert horizon is not None
                events.append(
                    AlertEvent(
                        fingerprint=fp,
                        identity=Identity.LABELS,
                        action=Action.TRIGGER,
                        labels=labels[name],
                        annotations=self._describe(name, schedule, uncovered, now + horizon),
                        ends_at=now + 3 * policy.check_interval,
                        ends_at_is_timeout=True,
                        generator_url=f"{self.external_url}/api/schedules/{name}/gaps",
                    )
                )
            elif fp in heads and heads[fp].is_open:
                events.append(
                    AlertEvent(fp, Identity.LABELS, Action.RESOLVE, labels[name], ends_at=now)
                )
        return events

    @staticmethod
    def _describe(
        name: str, schedule: Schedule, uncovered: list[Gap], horizon_end: datetime
    ) -> dict[str, str]:
        zone = schedule.zone
        lines = [
            f"{when(g.start, zone)} to "
            + ("beyond the horizon" if g.end >= horizon_end else when(g.end, zone))
            for g in uncovered[:5]
        ]
        if len(uncovered) > 5:
            lines.append(f"... and {len(uncovered) - 5} more")
        return {
            "summary": f"Nobody is on call for {name} from {when(uncovered[0].start, zone)}",
            "description": "Gaps in coverage:\n" + "\n".join(lines),
        }

    def _plan(
        self,
        conn: Connection,
        config: RoutingConfig,
        name: str,
        schedule: Schedule,
        now: datetime,
    ) -> None:
        policy = config.on_call
        until = now + policy.lookahead
        longest = max(policy.shift_reminders, default=timedelta(0))
        for h in handoffs(schedule, now, until + longest):
            if h.at <= now:
                continue
            if policy.handoff_summaries and h.at <= until:
                timer_store.schedule(
                    conn,
                    HANDOFF,
                    _key(name, h.at.isoformat()),
                    h.at,
                    {"schedule": name, "at": h.at.isoformat()},
                    replace=False,
                )
            if h.incoming is None:
                continue
            for before in policy.shift_reminders:
                due = h.at - before
                if now < due <= until:
                    timer_store.schedule(
                        conn,
                        SHIFT_REMINDER,
                        _key(name, h.incoming, h.at.isoformat(), before.total_seconds()),
                        due,
                        {
                            "schedule": name,
                            "user": h.incoming,
                            "start": h.at.isoformat(),
                            "before": before.total_seconds(),
                        },
                        replace=False,
                    )

    # -- a handoff ------------------------------------------------------------------------

    def handoff(self, conn: Connection, timer: Timer, now: datetime) -> None:
        config = self.current()
        name, at = str(timer.payload.get("schedule")), timer.payload.get("at")
        if config is None or name not in config.schedules or not isinstance(at, str):
            return None
        when_ = datetime.fromisoformat(at)
        schedule = effective_schedules(conn, config, [name])[name]
        outgoing = oncall_at(schedule, when_ - _JUST_BEFORE)
        incoming = oncall_at(schedule, when_)
        if outgoing == incoming:
            return None  # an override or a change of the file removed this handoff
        facts = self._facts(conn, name, schedule, when_, outgoing, incoming, now)
        for reader in (outgoing, incoming):
            if reader is None:
                continue
            zone = reading_zone(config.users, reader, schedule.zone)
            subject, body = handoff_summary(facts, reader, zone)
            post(
                conn,
                config.users,
                user=reader,
                kind="handoff",
                subject=subject,
                body=body,
                dedup=f"handoff:{name}:{at}:{reader}",
                now=now,
            )
        return None

    def _facts(
        self,
        conn: Connection,
        name: str,
        schedule: Schedule,
        at: datetime,
        outgoing: str | None,
        incoming: str | None,
        now: datetime,
    ) -> HandoffFacts:
        ended = turn_at(schedule, at - _JUST_BEFORE, _LOOK_BACK)
        since = (ended.since or at - _LOOK_BACK) if ended is not None else None
        begun = turn_at(schedule, at, _LOOK_BACK)
        until = begun.until if begun is not None else None
        week = now + timedelta(days=7)
        return HandoffFacts(
            schedule=name,
            at=at,
            outgoing=outgoing,
            incoming=incoming,
            outgoing_since=since,
            incoming_until=until,
            open_alerts=alert_store.list_heads(conn, open_at=now, limit=1000),
            fired=alert_store.started_between(conn, since, at) if since is not None else [],
            silences=[
                s
                for s in silence_store.active_or_pending(conn, now)
                if s.state(now) is SilenceState.ACTIVE
            ],
            upcoming_overrides=sorted(
                (o for o in schedule.overrides if o.end > now and o.start < week),
                key=lambda o: o.start,
            ),
            external_url=self.external_url,
        )

    # -- a reminder before a shift --------------------------------------------------------

    def reminder(self, conn: Connection, timer: Timer, now: datetime) -> None:
        config = self.current()
        p = timer.payload
        name, user = str(p.get("schedule")), p.get("user")
        if config is None or name not in config.schedules or not isinstance(user, str):
            return None
        start = datetime.fromisoformat(str(p["start"]))
        schedule = effective_schedules(conn, config, [name])[name]
        if oncall_at(schedule, start) != user or oncall_at(schedule, start - _JUST_BEFORE) == user:
            return None  # no longer a shift of theirs starting then
        turn = turn_at(schedule, start, _LOOK_BACK)
        zone = reading_zone(config.users, user, schedule.zone)
        before = timedelta(seconds=float(p["before"]))
        subject, body = shift_reminder(name, start, turn.until if turn else None, zone, before)
        post(
            conn,
            config.users,
            user=user,
            kind="shift-reminder",
            subject=subject,
            body=body,
            dedup=f"reminder:{name}:{user}:{start.isoformat()}:{before.total_seconds()}",
            now=now,
        )
        return None
