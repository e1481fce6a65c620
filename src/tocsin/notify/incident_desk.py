"""Opening incidents and acting on them, inside the caller's transaction: each action checks
the lifecycle, writes the incident, its timeline entry and the engine's timers together.

Used by the alert pipeline (groups routed to an escalation policy), by the services behind
the API and CLI, and by one-click links, SMS replies and Slack buttons.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from tocsin.config.compile import RoutingConfig
from tocsin.domain.escalation import EscalationPolicy, Position, snapshot
from tocsin.domain.incident_updates import MAX_PART, UpdateParts
from tocsin.domain.incidents import (
    ROLES,
    Action,
    Incident,
    Severity,
    Status,
    Urgency,
    transition,
)
from tocsin.errors import Conflict, FieldProblem, InputError, NotFound
from tocsin.notify import incident_rooms as rooms
from tocsin.notify.incident_audit import audited, opened
from tocsin.notify.incident_updates import Updates
from tocsin.notify.paging import ACK_TIMEOUT, ENGINE, ESCALATE, Paging, new_reply_code
from tocsin.store import incidents as store
from tocsin.store import messages as message_store
from tocsin.store import timers as timer_store

__all__ = ["Desk", "Opening"]


@dataclass(frozen=True)
class Opening:
    """What a new incident starts with."""

    title: str
    severity: Severity
    urgency: Urgency | None = None
    summary: str = ""
    service: str | None = None
    team: str | None = None
    #: The escalation policy to page (None: nobody is paged unless ``assignees``).
    policy: str | None = None
    #: People paged directly (instead of, or without, a policy).
    assignees: tuple[str, ...] = ()
    group_ident: str | None = None
    #: Rooms to make whatever the severity (declared from Slack: its channel).
    rooms: tuple[rooms.Provider, ...] = ()
    #: A practice incident (docs/drills.md).
    drill: bool = False


def _role_action(given: Mapping[str, Any], _: object) -> str:
    return "incident.role_removed" if given.get("remove") else "incident.role_assigned"


class Desk:
    def __init__(self, routing: Callable[[], RoutingConfig | None], paging: Paging) -> None:
        self.routing = routing
        self.paging = paging
        self.updates = Updates(routing, paging.link)

    def _config(self) -> RoutingConfig:
        config = self.routing()
        if config is None:
            raise Conflict("Tocsin runs without a configuration file: start it with --config")
        return config

    def _policy(self, config: RoutingConfig, name: str) -> EscalationPolicy:
        policy = config.escalation_policies.get(name)
        if policy is None:
            raise InputError(FieldProblem("policy", f"no escalation policy {name!r}"))
        return policy

    # -- opening -----------------------------------------------------------------------------

    @audited(opened)
    def open(self, conn: Connection, opening: Opening, actor: str, now: datetime) -> Incident:
        config = self._config()
        policy = self._policy(config, opening.policy) if opening.policy else None
        if policy is not None and opening.assignees:
            raise InputError(
                FieldProblem("assignees", "page either a policy or people directly, not both")
            )
        for user in opening.assignees:
            if user not in config.users:
                raise InputError(FieldProblem("assignees", f"no user {user!r}"))
        urgency = opening.urgency or config.incidents.urgency.get(opening.severity, Urgency.HIGH)
        previous = store.last_of_group(conn, opening.group_ident) if opening.group_ident else None
        incident_id = store.create(
            conn,
            {
                "title": opening.title[:500],
                "summary": opening.summary,
                "status": Status.TRIGGERED.value,
                "severity": opening.severity.value,
                "urgency": urgency.value,
                "service": opening.service,
                "team": opening.team or (policy.team if policy else None),
                "policy": policy.name if policy else None,
                "policy_snapshot": snapshot(policy) if policy else None,
                "group_ident": opening.group_ident,
                "created_at": now,
                "updated_at": now,
                "previous_id": previous,
                "assignees": list(opening.assignees),
                "reply_code": new_reply_code(lambda code: store.reply_code_in_use(conn, code)),
                "drill": opening.drill,
            },
        )
        how = "by hand" if actor != ENGINE else "from alerts"
        store.add_event(
            conn,
            incident_id,
            now,
            "opened",
            actor,
            f"Opened {how}: {opening.severity.value}, {urgency.value} urgency"
            + (f", policy {policy.name}" if policy else ""),
            {"severity": opening.severity.value, "policy": policy.name if policy else None},
        )
        if previous is not None:
            store.add_event(
                conn,
                incident_id,
                now,
                "linked",
                ENGINE,
                f"Follows incident #{previous} of the same alert group",
                {"previous": previous},
            )
        for provider in opening.rooms:
            rooms.request(conn, incident_id, provider, actor, now)
        incident = self._changed(conn, incident_id, now)
        if opening.assignees:
            self.paging.page_users(
                conn, config, incident, opening.assignees, Position(0, 0), "assignee", now
            )
        elif policy is not None:
            self.paging.start(conn, incident_id, now)
        else:
            store.add_event(
                conn,
                incident_id,
                now,
                "not-paged",
                ENGINE,
                "No escalation policy: nobody is paged",
                {},
            )
        return incident

    def _changed(self, conn: Connection, incident_id: int, now: datetime) -> Incident:
        """The incident as it now is; its rooms are told, and the severities that get a
        room by themselves get one."""
        rooms.touch(conn, incident_id, now)
        incident = self.get(conn, incident_id)
        for provider in rooms.wants_room(self.routing(), incident):
            rooms.request(conn, incident_id, provider, ENGINE, now)
        if self.updates.keep_cadence(conn, incident, now):
            return self.get(conn, incident_id)
        return incident

    def get(self, conn: Connection, incident_id: int, *, lock: bool = False) -> Incident:
        if lock:
            timer_store.lock_keys(conn, (ESCALATE, ACK_TIMEOUT), str(incident_id))
        incident = store.get(conn, incident_id, lock=lock)
        if incident is None:
            raise NotFound(f"no incident {incident_id}")
        return incident

    # -- the lifecycle -----------------------------------------------------------------------

    def _move(self, conn: Connection, incident_id: int, action: Action) -> tuple[Incident, Status]:
        incident = self.get(conn, incident_id, lock=True)
        try:
            return incident, transition(incident.status, action)
        except ValueError as exc:
            raise Conflict(f"incident {incident_id}: {exc}") from None

    @audited("incident.acknowledged")
    def acknowledge(
        self, conn: Connection, incident_id: int, actor: str, now: datetime, via: str = "api"
    ) -> Incident:
        incident, status = self._move(conn, incident_id, Action.ACKNOWLEDGE)
        store.update_incident(
            conn,
            incident_id,
            {
                "status": status.value,
                "acknowledged_at": now,
                "acknowledged_by": actor,
                "updated_at": now,
            },
        )
        store.add_event(
            conn,
            incident_id,
            now,
            "acknowledged",
            actor,
            f"Acknowledged by {actor} ({via})",
            {"via": via},
        )
        self._quiet(conn, incident_id)
        timeout = self._ack_timeout(conn, incident_id)
        if timeout is not None:
            timer_store.schedule(conn, ACK_TIMEOUT, str(incident_id), now + timeout)
        return self._changed(conn, incident_id, now)

    def _quiet(self, conn: Connection, incident_id: int) -> None:
        """Stop paging: no further levels, unsent pages cancelled."""
        self.paging.stop(conn, incident_id)
        message_store.cancel_pending(conn, incident_id)

    def _ack_timeout(self, conn: Connection, incident_id: int) -> timedelta | None:
        data = store.policy_snapshot(conn, incident_id)
        seconds = data.get("ack_timeout") if data else None
        return timedelta(seconds=seconds) if seconds else None

    @audited("incident.mitigated", details=("note",))
    def mitigate(
        self, conn: Connection, incident_id: int, actor: str, now: datetime, note: str = ""
    ) -> Incident:
        _, status = self._move(conn, incident_id, Action.MITIGATE)
        store.update_incident(
            conn, incident_id, {"status": status.value, "mitigated_at": now, "updated_at": now}
        )
        text = f"Mitigated by {actor}" + (f": {note}" if note else "")
        store.add_event(conn, incident_id, now, "mitigated", actor, text, {})
        self._quiet(conn, incident_id)
        return self._changed(conn, incident_id, now)

    @audited("incident.resolved", details=("note",))
    def resolve(
        self,
        conn: Connection,
        incident_id: int,
        actor: str,
        now: datetime,
        note: str = "",
        via: str = "api",
    ) -> Incident:
        _, status = self._move(conn, incident_id, Action.RESOLVE)
        store.update_incident(
            conn,
            incident_id,
            {"status": status.value, "resolved_at": now, "resolved_by": actor, "updated_at": now},
        )
        text = f"Resolved by {actor} ({via})" + (f": {note}" if note else "")
        store.add_event(conn, incident_id, now, "resolved", actor, text, {"via": via})
        self._quiet(conn, incident_id)
        return self._changed(conn, incident_id, now)

    @audited("incident.reopened")
    def reopen(self, conn: Connection, incident_id: int, actor: str, now: datetime) -> Incident:
        incident, _ = self._move(conn, incident_id, Action.REOPEN)
        if incident.merged_into is not None:
            raise Conflict(f"incident {incident_id} was merged into #{incident.merged_into}")
        store.update_incident(conn, incident_id, {"resolved_at": None, "resolved_by": None})
        self.paging.retrigger(
            conn, incident, now, "reopened", f"Reopened by {actor}: paging again", actor
        )
        return self._changed(conn, incident_id, now)

    @audited("incident.escalated")
    def escalate_now(
        self, conn: Connection, incident_id: int, actor: str, now: datetime
    ) -> Incident:
        """Page the next level now (an acknowledged incident is triggered again for it)."""
        incident = self.get(conn, incident_id, lock=True)
        if incident.status not in (Status.TRIGGERED, Status.ACKNOWLEDGED):
            raise Conflict(f"cannot escalate an incident that is {incident.status.value}")
        if incident.policy is None or incident.assignees:
            raise Conflict(f"incident {incident_id} has no escalation policy to climb")
        if incident.status is Status.ACKNOWLEDGED:
            store.update_incident(
                conn,
                incident_id,
                {
                    "status": Status.TRIGGERED.value,
                    "epoch": incident.epoch + 1,
                    "acknowledged_at": None,
                    "acknowledged_by": None,
                    "snoozed_until": None,
                },
            )
            timer_store.cancel(conn, ACK_TIMEOUT, str(incident_id))
        store.add_event(
            conn, incident_id, now, "escalate-requested", actor, f"{actor} escalated now", {}
        )
        self.paging.start(conn, incident_id, now)
        return self._changed(conn, incident_id, now)

    @audited("incident.snoozed", details=("length",))
    def snooze(
        self, conn: Connection, incident_id: int, actor: str, now: datetime, length: timedelta
    ) -> Incident:
        """Quiet until ``now + length``, then page again (acknowledging it if triggered)."""
        if not timedelta(minutes=1) <= length <= timedelta(days=7):
            raise InputError(FieldProblem("duration", "must be between 1m and 7d"))
        incident = self.get(conn, incident_id)
        if incident.status is Status.TRIGGERED:
            self.acknowledge(conn, incident_id, actor, now, via="snooze")
        elif incident.status is not Status.ACKNOWLEDGED:
            raise Conflict(f"cannot snooze an incident that is {incident.status.value}")
        until = now + length
        store.update_incident(conn, incident_id, {"snoozed_until": until, "updated_at": now})
        timer_store.schedule(conn, ACK_TIMEOUT, str(incident_id), until)
        store.add_event(
            conn,
            incident_id,
            now,
            "snoozed",
            actor,
            f"Snoozed by {actor} until {until.isoformat()}",
            {"until": until.isoformat()},
        )
        return self._changed(conn, incident_id, now)

    # -- details -----------------------------------------------------------------------------

    @audited("incident.severity_changed")
    def set_severity(
        self, conn: Connection, incident_id: int, severity: Severity, actor: str, now: datetime
    ) -> Incident:
        incident = self.get(conn, incident_id, lock=True)
        if incident.severity is severity:
            return incident
        config = self._config()
        urgency = config.incidents.urgency.get(severity, incident.urgency)
        store.update_incident(
            conn,
            incident_id,
            {"severity": severity.value, "urgency": urgency.value, "updated_at": now},
        )
        store.add_event(
            conn,
            incident_id,
            now,
            "severity-changed",
            actor,
            f"Severity {incident.severity.value} -> {severity.value} by {actor}",
            {"from": incident.severity.value, "to": severity.value},
        )
        self.updates.severity_changed(conn, self.get(conn, incident_id), now)
        return self._changed(conn, incident_id, now)

    @audited(_role_action, details=("role", "user"))
    def assign_role(
        self,
        conn: Connection,
        incident_id: int,
        role: str,
        user: str,
        actor: str,
        now: datetime,
        *,
        remove: bool = False,
    ) -> Incident:
        if role not in ROLES:
            raise InputError(FieldProblem("role", f"must be one of {', '.join(ROLES)}"))
        if user not in self._config().users:
            raise InputError(FieldProblem("assignee", f"no user {user!r}"))
        incident = self.get(conn, incident_id, lock=True)
        roles: dict[str, Any] = dict(incident.roles)
        if role == "investigator":
            people = [p for p in roles.get("investigator", []) if p != user]
            if not remove:
                people.append(user)
            roles["investigator"] = people
        elif remove:
            if roles.get(role) == user:
                roles.pop(role)
        else:
            roles[role] = user
        store.update_incident(conn, incident_id, {"roles": roles, "updated_at": now})
        verb = "no longer" if remove else "now"
        store.add_event(
            conn,
            incident_id,
            now,
            "role-removed" if remove else "role-assigned",
            actor,
            f"{user} is {verb} {role} (by {actor})",
            {"role": role, "user": user},
        )
        return self._changed(conn, incident_id, now)

    @audited("incident.note_added", details=("text", "kind"))
    def add_note(
        self,
        conn: Connection,
        incident_id: int,
        text: str,
        actor: str,
        now: datetime,
        *,
        kind: str = "note",
        data: Mapping[str, Any] | None = None,
    ) -> Incident:
        if not text.strip():
            raise InputError(FieldProblem("text", "must not be empty"))
        incident = self.get(conn, incident_id, lock=bool(data))
        mark = (data or {}).get("ts")
        if mark and any(
            e.data.get("ts") == mark for e in store.events(conn, incident_id, kinds=(kind,))
        ):
            return incident  # noted already (Slack sent the event again)
        store.add_event(
            conn, incident_id, now, kind, actor, text.strip()[:10_000], dict(data or {})
        )
        store.update_incident(conn, incident_id, {"updated_at": now})
        return self._changed(conn, incident_id, now)

    @audited("incident.update_posted", details=("parts", "next_in"))
    def post_update(
        self,
        conn: Connection,
        incident_id: int,
        parts: UpdateParts,
        actor: str,
        now: datetime,
        *,
        next_in: timedelta | None = None,
    ) -> Incident:
        """A stakeholder update: on the timeline and in the incident's rooms; the next one
        is due a cadence period later (or ``next_in``)."""
        if parts.empty:
            raise InputError(FieldProblem("message", "an update needs some text"))
        too_long = parts.too_long()
        if too_long:
            raise InputError(
                [FieldProblem(f, f"is longer than {MAX_PART} characters") for f in too_long]
            )
        if next_in is not None and not timedelta(minutes=1) <= next_in <= timedelta(days=7):
            raise InputError(FieldProblem("next_update_in", "must be between 1m and 7d"))
        incident = self.get(conn, incident_id, lock=True)
        self.updates.post(conn, incident, parts, actor, now, next_in=next_in)
        store.update_incident(conn, incident_id, {"updated_at": now})
        return self._changed(conn, incident_id, now)

    @audited("incident.responder_requested", details=("user", "schedule", "note"))
    def add_responder(
        self,
        conn: Connection,
        incident_id: int,
        actor: str,
        now: datetime,
        *,
        user: str | None = None,
        schedule: str | None = None,
        note: str = "",
    ) -> Incident:
        """Page a person, or whoever is on call for a schedule, to help (PagerDuty's
        "add responders"), saying why (``note``); the escalation policy carries on."""
        if bool(user) == bool(schedule):
            raise InputError(FieldProblem("user", "give either a user or a schedule"))
        config = self._config()
        incident = self.get(conn, incident_id, lock=True)
        if not incident.is_open:
            raise Conflict(f"cannot page anyone for an incident that is {incident.status.value}")
        how = ""
        if schedule is not None:
            if schedule not in config.schedules:
                raise InputError(FieldProblem("schedule", f"no schedule {schedule!r}"))
            user = self.paging.oncall_now(conn, config, schedule, now)
            if user is None:
                raise Conflict(f"nobody is on call for schedule {schedule} now")
            how = f" (on call for {schedule})"
        assert user is not None
        if user not in config.users:
            raise InputError(FieldProblem("user", f"no user {user!r}"))
        reason = f"a responder {actor} asked for" + (f": {note.strip()}" if note.strip() else "")
        methods = self.paging.request_responder(conn, config, incident, user, reason, now)
        store.add_event(
            conn,
            incident_id,
            now,
            "responder-requested",
            actor,
            f"{actor} paged {user}{how}"
            + ("" if methods else ", who has no contact method to page")
            + (f": {note.strip()[:2000]}" if note.strip() else ""),
            {"user": user, "schedule": schedule},
        )
        return self._changed(conn, incident_id, now)

    @audited("incident.reassigned", details=("users", "policy"))
    def reassign(
        self,
        conn: Connection,
        incident_id: int,
        actor: str,
        now: datetime,
        *,
        users: Sequence[str] = (),
        policy: str | None = None,
    ) -> Incident:
        """Page ``users`` directly, or restart on ``policy``; either way from now on."""
        if bool(users) == bool(policy):
            raise InputError(FieldProblem("users", "give either users or a policy"))
        config = self._config()
        for user in users:
            if user not in config.users:
                raise InputError(FieldProblem("users", f"no user {user!r}"))
        incident = self.get(conn, incident_id, lock=True)
        if not incident.is_open:
            raise Conflict(f"cannot reassign an incident that is {incident.status.value}")
        values: dict[str, Any] = {"assignees": list(users), "updated_at": now}
        if policy:
            chosen = self._policy(config, policy)
            values.update(
                policy=chosen.name,
                policy_snapshot=snapshot(chosen),
                team=incident.team or chosen.team,
            )
        store.update_incident(conn, incident_id, values)
        self._quiet(conn, incident_id)
        target = ", ".join(users) if users else f"policy {policy}"
        moved = store.get(conn, incident_id)
        assert moved is not None
        self.paging.retrigger(
            conn, moved, now, "reassigned", f"Reassigned to {target} by {actor}", actor
        )
        return self._changed(conn, incident_id, now)

    @audited("incident.merged", incident="source_id", details=("target_id",))
    def merge(
        self, conn: Connection, source_id: int, target_id: int, actor: str, now: datetime
    ) -> Incident:
        """Fold ``source`` into ``target``: its alerts move, it is resolved as merged, and
        its alert group's updates go to the target from now on."""
        if source_id == target_id:
            raise InputError(FieldProblem("into", "cannot merge an incident into itself"))
        source = self.get(conn, source_id, lock=True)
        target = self.get(conn, target_id, lock=True)
        if not target.is_open:
            raise Conflict(f"incident {target_id} is {target.status.value}: merge into an open one")
        if source.merged_into is not None:
            raise Conflict(f"incident {source_id} was already merged into #{source.merged_into}")
        store.move_alerts(conn, source_id, target_id)
        store.update_incident(
            conn,
            source_id,
            {
                "status": Status.RESOLVED.value,
                "resolved_at": source.resolved_at or now,
                "resolved_by": source.resolved_by or actor,
                "merged_into": target_id,
                "updated_at": now,
            },
        )
        self._quiet(conn, source_id)
        store.add_event(
            conn,
            source_id,
            now,
            "merged",
            actor,
            f"Merged into #{target_id} by {actor}",
            {"into": target_id},
        )
        store.add_event(
            conn,
            target_id,
            now,
            "merged-in",
            actor,
            f"#{source_id} ({source.title}) merged in by {actor}",
            {"from": source_id},
        )
        rooms.touch(conn, source_id, now)
        return self._changed(conn, target_id, now)
