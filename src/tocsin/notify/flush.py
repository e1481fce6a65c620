"""A group's tick: the stages that decide what each of its receiver's integrations is sent.

Alertmanager's pipeline, one stage after another: mute by time intervals, inhibition and
silences; hold flapping alerts; deduplicate against the notification log; then, instead of
sending in place, put the notification in the outbox for the delivery job (which retries
and records). All of it in the tick's transaction, with the next tick scheduled on the
group's fixed schedule.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import Connection

from tocsin.channels.notification import ChannelSpec, PayloadAlert
from tocsin.config.compile import RoutingConfig
from tocsin.domain.alerts import Alert, AlertStatus, effective_status
from tocsin.domain.grouping import NotifyReason, SentRecord, next_tick_at, notify_reason
from tocsin.domain.noise import is_flapping, volume_hold_until
from tocsin.domain.routing import Route
from tocsin.engine.runner import Again
from tocsin.notify.content import encode, resolved_in
from tocsin.notify.dispatch import FLUSH
from tocsin.notify.incident_alerts import IncidentStage
from tocsin.notify.muting import Muting, time_muted
from tocsin.notify.outbox import Planned, SpawnMany, enqueue_many, schedule_many
from tocsin.store import alerts as alert_store
from tocsin.store import deliveries as delivery_store
from tocsin.store import groups as group_store
from tocsin.store import timers as timer_store
from tocsin.store.config_versions import CATCH_UP, Behind, never_behind
from tocsin.store.deliveries import DeliveryRow
from tocsin.store.groups import GroupRow
from tocsin.store.timers import Timer

__all__ = ["FlushHandler", "payload_alert"]


def payload_alert(alert: Alert, now: datetime) -> PayloadAlert:
    firing = effective_status(alert, now) is not AlertStatus.RESOLVED
    ends_at = alert.ends_at if alert.ends_at is not None else alert.resolved_at
    return PayloadAlert(
        fingerprint=alert.fingerprint,
        labels=alert.labels,
        annotations=alert.annotations,
        starts_at=alert.starts_at,
        ends_at=ends_at,
        generator_url=alert.generator_url,
        firing=firing,
    )


@dataclass
class _State:
    """What a batch of ticks read up front, kept current as they write."""

    logs: dict[str, SentRecord]
    pending: dict[str, DeliveryRow]
    flushed: list[int] = field(default_factory=list)
    #: Notifications decided, put in the outbox together at the end.
    plans: list[Planned] = field(default_factory=list)
    #: Groups whose reported resolved alerts may leave, once the outbox is written.
    forget: list[tuple[GroupRow, list[Alert]]] = field(default_factory=list)


@dataclass
class FlushHandler:
    routing: Callable[[], RoutingConfig | None]
    muting: Callable[[Connection, datetime], Muting]
    spawn: SpawnMany = schedule_many
    #: Opens and updates incidents for receivers that name an escalation policy.
    incidents: IncidentStage | None = None
    behind: Behind = never_behind
    #: Puts alerts in the groups of the routes in force (``Dispatcher.assign``): those of a
    #: group whose route is gone go where the configuration now sends them.
    regroup: Callable[[Connection, list[Alert], datetime], object] | None = None

    def __call__(self, conn: Connection, timer: Timer, now: datetime) -> Again | None:
        return self.run_many(conn, [timer], now)[0]

    def run_many(
        self, conn: Connection, timers: Sequence[Timer], now: datetime
    ) -> list[Again | None]:
        """Tick many groups in one transaction, reading what they need in a few queries."""
        config = self.routing()
        ids = [int(t.key) for t in timers]
        groups = group_store.get_groups(conn, ids)
        members = group_store.members_many(conn, list(groups))
        heads = alert_store.load_heads(conn, {fp for fps in members.values() for fp in fps})
        idents = [
            group_store.log_ident(g.group_key, g.receiver, spec.name)
            for g in groups.values()
            for spec in (config.channels.get(g.receiver, ()) if config is not None else ())
        ]
        state = _State(
            logs=group_store.read_log(conn, idents),
            pending=delivery_store.pending_many(conn, idents),
        )
        results = [
            self._tick(conn, config, groups.get(i), members.get(i, []), heads, state, now)
            for i in ids
        ]
        group_store.mark_flushed(conn, state.flushed, now)
        enqueue_many(conn, self.spawn, state.plans, state.pending, now)
        for group, alerts in state.forget:
            self._forget_reported(conn, group, alerts, now)
        return results

    def _tick(
        self,
        conn: Connection,
        config: RoutingConfig | None,
        group: GroupRow | None,
        fingerprints: list[str],
        heads: dict[str, Alert],
        state: _State,
        now: datetime,
    ) -> Again | None:
        if group is None:
            return None
        route = config.routes_by_id.get(group.route_id) if config is not None else None
        if config is None or route is None:
            if self.behind(conn):  # another node applied a configuration with the route
                return Again(now + CATCH_UP)
            group_store.delete_group(conn, group.id)  # its route is gone (reloaded)
            # Grouped under a configuration no longer in force (on a node that had not yet
            # caught up): never left in no group at all.
            orphans = [heads[fp] for fp in fingerprints if fp in heads]
            if orphans and self.regroup is not None and config is not None:
                # This group's timer goes first: a new group may be given its id (SQLite).
                timer_store.cancel(conn, FLUSH, str(group.id))
                self.regroup(conn, orphans, now)
            return None
        gone = [fp for fp in fingerprints if fp not in heads]
        group_store.remove_members(conn, group.id, gone)
        alerts = [heads[fp] for fp in fingerprints if fp in heads]
        if not alerts:
            group_store.delete_group(conn, group.id)
            return None
        next_tick = next_tick_at(group.first_flush_at, route.group_interval, now)
        state.flushed.append(group.id)
        if time_muted(route, config.time_intervals, now) is not None:
            return Again(next_tick)  # nothing goes out, nothing is logged
        muting = self.muting(conn, now)
        silenced = [a for a in alerts if not muting.inhibited(a) and muting.silenced(a)]
        visible = [
            a
            for a in muting.unmuted(alerts)
            if a.fingerprint not in self._flapping(conn, route, alerts, now)
        ]
        firing_starts = [
            a.starts_at for a in visible if effective_status(a, now) is not AlertStatus.RESOLVED
        ]
        hold_until = volume_hold_until(firing_starts, now, route.volume)
        policy = config.receiver_policies.get(group.receiver)
        if policy is not None and self.incidents is not None:
            held = hold_until is not None
            self.incidents.sync(conn, config, group, policy, visible, alerts, now, held=held)
        specs: Sequence[ChannelSpec] = config.channels.get(group.receiver, ())
        for spec in specs:
            self._decide(conn, group, route, spec, visible, silenced, hold_until, state, now)
        state.forget.append((group, alerts))
        if hold_until is not None and hold_until < next_tick:
            return Again(hold_until)  # look again when it has fired long enough
        return Again(next_tick)

    def _flapping(
        self, conn: Connection, route: Route, alerts: list[Alert], now: datetime
    ) -> set[str]:
        """The alerts held because they flap (flap detection on this route)."""
        policy = route.flap_detection
        if policy is None:
            return set()
        changes = alert_store.state_changes(
            conn, [a.fingerprint for a in alerts], now - policy.window - policy.quiet
        )
        return {fp for fp, times in changes.items() if is_flapping(times, now, policy)}

    def _decide(
        self,
        conn: Connection,
        group: GroupRow,
        route: Route,
        spec: ChannelSpec,
        alerts: list[Alert],
        silenced: list[Alert],
        hold_until: datetime | None,
        state: _State,
        now: datetime,
    ) -> None:
        repeat = route.repeat_interval
        ident = group_store.log_ident(group.group_key, group.receiver, spec.name)
        last = state.logs.get(ident)
        if hold_until is not None and (last is None or not last.firing):
            return  # too few alerts, or not firing long enough, to start notifying
        payload = [payload_alert(a, now) for a in alerts]
        if route.send_resolved_on_silence and last is not None:
            # Alerts this receiver was told are firing, now silenced: tell it they are over.
            payload += [
                replace(payload_alert(a, now), firing=False, ends_at=now)
                for a in silenced
                if a.fingerprint in last.firing
            ]
        firing = {a.fingerprint for a in payload if a.firing}
        resolved = {a.fingerprint for a in payload if not a.firing}
        reason = notify_reason(
            last,
            firing,
            resolved,
            send_resolved=spec.channel.send_resolved,
            repeat_interval=repeat,
            now=now,
        )
        if reason is NotifyReason.NONE:
            return
        sent = payload if spec.channel.send_resolved else [a for a in payload if a.firing]
        if not sent:
            # Nothing to say (all resolved, and this receiver is not told): log it as
            # Alertmanager does, so the group starts over next time.
            pending = state.pending.pop(ident, None)
            if pending is not None:
                delivery_store.set_status(conn, pending.id, "superseded", now)
            state.logs[ident] = SentRecord(frozenset(firing), frozenset(resolved), now)
            group_store.write_log(
                conn,
                ident=ident,
                group_key=group.group_key,
                receiver=group.receiver,
                integration=spec.name,
                firing=firing,
                resolved=resolved,
                sent_at=now,
                expires_at=now + 2 * repeat,
            )
            return
        state.plans.append(
            Planned(
                group_id=group.id,
                log_ident=ident,
                group_key=group.group_key,
                receiver=group.receiver,
                integration=spec.name,
                reason=reason.value,
                content=encode(
                    group_labels=group.labels,
                    alerts=sent,
                    firing=sorted(firing),
                    resolved=sorted(resolved),
                    repeat_seconds=repeat.total_seconds(),
                ),
            )
        )

    def _forget_reported(
        self, conn: Connection, group: GroupRow, alerts: list[Alert], now: datetime
    ) -> None:
        """Resolved alerts leave the group once no pending notification still carries them
        (Alertmanager deletes them after a successful flush)."""
        resolved = {
            a.fingerprint for a in alerts if effective_status(a, now) is AlertStatus.RESOLVED
        }
        if not resolved:
            return
        owed: set[str] = set()
        for pending in delivery_store.pending_in_group(conn, group.id):
            owed.update(resolved_in(pending.content))
        group_store.remove_members(conn, group.id, resolved - owed)
