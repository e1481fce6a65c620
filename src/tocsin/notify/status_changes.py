"""Changing the public status page inside a caller's transaction: publishing an incident or
a maintenance, posting an update, setting a component's status, deleting; each change on
record (component history, the update) and told to subscribers (outbox rows) in the same
transaction. The service calls these for people; the engine's maintenance timer calls them
to start and complete a maintenance on time.

An incident (until resolved) and a maintenance (while in progress or verifying) *hold* the
components its updates set, a maintenance its components under maintenance; a component
shows the worst status held (``domain.status_page.held``): a maintenance starting never
hides an outage, and one incident resolving never clears what another still holds. Every
component status change, whoever makes it, is told to webhook subscribers as Statuspage's
``component_update``.

A maintenance with ``auto_complete`` is completed at ``scheduled_until`` whatever its state,
even when it was never started (``auto_start`` off and nobody started it): then nothing is
held, and it ends as "completed" instead of staying "scheduled" forever.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import Connection

from tocsin.domain.status_page import (
    ComponentStatus,
    Impact,
    IncidentStatus,
    MaintenanceStatus,
    Overall,
    control_character,
    held,
    impact_of,
    overall,
)
from tocsin.engine.runner import Again
from tocsin.errors import FieldProblem, InputError, NotFound
from tocsin.notify import status_json
from tocsin.notify.status_json import Site
from tocsin.notify.status_subscribers import Event, Links, fan_out
from tocsin.store import audit
from tocsin.store import status_incidents as incidents
from tocsin.store import status_page as pages
from tocsin.store import status_subscribers as subscriber_store
from tocsin.store import timers as timer_store
from tocsin.store.status_incidents import INCIDENT, MAINTENANCE, PublicIncident
from tocsin.store.status_page import Component, StatusChange
from tocsin.store.timers import Timer

__all__ = ["MAINTENANCE_TIMER", "StatusDesk", "check_name"]

#: The timer that starts (at scheduled_for) and completes (at scheduled_until) a
#: maintenance whose auto_start / auto_complete is set; its key is the maintenance's id.
MAINTENANCE_TIMER = "status.maintenance"
ENGINE = "tocsin"


def _kind(found: PublicIncident) -> str:
    """The audit log's name of a public incident's kind."""
    return MAINTENANCE if found.kind == MAINTENANCE else "status_incident"


def _shown(found: PublicIncident) -> dict[str, Any]:
    """A public incident in the audit log: its fields, not its updates."""
    return audit.snapshot(found, ("updated_at", "updates", "holds", "created_at"))


#: Statuspage's words for the updates its automation posts.
STARTED = "Scheduled maintenance is currently in progress. We will provide updates as necessary."
COMPLETED = "The scheduled maintenance has been completed."
_ACTIVE_MAINTENANCE = {MaintenanceStatus.IN_PROGRESS.value, MaintenanceStatus.VERIFYING.value}


def _statuses(kind: str) -> type[IncidentStatus] | type[MaintenanceStatus]:
    return MaintenanceStatus if kind == MAINTENANCE else IncidentStatus


def check_name(value: str, field: str = "name") -> str:
    """A name goes into mail subjects: no line breaks or other control characters."""
    bad = control_character(value)
    if bad is not None:
        raise InputError(FieldProblem(field, f"must not contain control characters ({bad})"))
    return value


def parse_status(kind: str, value: str, field: str = "status") -> str:
    allowed = _statuses(kind)
    if value not in {s.value for s in allowed}:
        words = ", ".join(s.value for s in allowed)
        raise InputError(FieldProblem(field, f"must be one of {words}, not {value!r}"))
    return value


def parse_components(
    conn: Connection, given: Mapping[int, str] | None, field: str = "components"
) -> dict[int, ComponentStatus]:
    """Component ids to statuses, each checked: the component exists, the status is one."""
    if not given:
        return {}
    known = {c.id for c in pages.components(conn, list(given))}
    problems = []
    out: dict[int, ComponentStatus] = {}
    for component_id, status in given.items():
        if component_id not in known:
            problems.append(FieldProblem(f"{field}.{component_id}", "no such component"))
            continue
        try:
            out[component_id] = ComponentStatus(status)
        except ValueError:
            words = ", ".join(s.value for s in ComponentStatus)
            problems.append(
                FieldProblem(f"{field}.{component_id}", f"must be one of {words}, not {status!r}")
            )
    if problems:
        raise InputError(problems)
    return out


class StatusDesk:
    def __init__(self, links: Links) -> None:
        self.links = links

    # --- reading ---------------------------------------------------------------------------

    def site(self, conn: Connection, now: datetime) -> Site:
        return Site(pages.page(conn, now), self.links.page)

    def overall(
        self,
        components: list[Component],
        unresolved: list[PublicIncident],
    ) -> Overall:
        impacts = [Impact(i.impact) for i in unresolved if i.kind == INCIDENT]
        busy = any(i.kind == MAINTENANCE and i.status in _ACTIVE_MAINTENANCE for i in unresolved)
        return overall([c.status for c in components], impacts, maintenance_in_progress=busy)

    def current(self, conn: Connection) -> tuple[list[Component], Overall]:
        components = pages.components(conn)
        unresolved = incidents.listing(conn, active=True, limit=1000)
        return components, self.overall(components, unresolved)

    # --- changing --------------------------------------------------------------------------

    def publish(
        self,
        conn: Connection,
        *,
        kind: str,
        name: str,
        status: str,
        body: str,
        impact: str | None,
        components: Mapping[int, str] | None,
        affected: list[int] | None = None,
        actor: str,
        now: datetime,
        incident_id: int | None = None,
        scheduled_for: datetime | None = None,
        scheduled_until: datetime | None = None,
        auto_start: bool = False,
        auto_complete: bool = False,
    ) -> PublicIncident:
        """A new public incident (or maintenance) with its first update; ``components``
        sets statuses, ``affected`` lists components it affects without changing them."""
        check_name(name)
        status = parse_status(kind, status)
        statuses = parse_components(conn, components)
        extra = [c.id for c in pages.components(conn, affected)] if affected else []
        missing = sorted(set(affected or ()) - set(extra))
        if missing:
            raise InputError(FieldProblem(f"component_ids.{missing[0]}", "no such component"))
        if impact is not None and impact not in {i.value for i in Impact}:
            words = ", ".join(i.value for i in Impact)
            raise InputError(FieldProblem("impact", f"must be one of {words}, not {impact!r}"))
        if kind == MAINTENANCE:
            impact = "maintenance"  # Statuspage's impact of every scheduled maintenance
        if kind == MAINTENANCE:
            if scheduled_for is None or scheduled_until is None:
                field = "scheduled_for" if scheduled_for is None else "scheduled_until"
                raise InputError(FieldProblem(field, "is required for a maintenance"))
            if scheduled_until <= scheduled_for:
                raise InputError(FieldProblem("scheduled_until", "must be after scheduled_for"))
        if impact is None:
            impact = impact_of(statuses.values()).value
        public_id = incidents.create(
            conn,
            kind=kind,
            incident_id=incident_id,
            name=name,
            status=status,
            impact=impact,
            created_at=now,
            updated_at=now,
            started_at=now if kind == INCIDENT else (scheduled_for or now),
            monitoring_at=None,
            resolved_at=None,
            scheduled_for=scheduled_for,
            scheduled_until=scheduled_until,
            auto_start=auto_start,
            auto_complete=auto_complete,
            created_by=actor,
        )
        incidents.link(conn, public_id, {*statuses, *extra})
        found = self._update(conn, public_id, status, body, statuses, actor, now, created=True)
        if kind == MAINTENANCE:
            self._arm(conn, found)
        return found

    def post_update(
        self,
        conn: Connection,
        public_id: int,
        *,
        status: str,
        body: str,
        components: Mapping[int, str] | None,
        actor: str,
        now: datetime,
        impact: str | None = None,
    ) -> PublicIncident:
        found = incidents.get(conn, public_id, lock=True)
        if found is None:
            raise NotFound(f"no public incident {public_id}")
        status = parse_status(found.kind, status)
        statuses = parse_components(conn, components)
        if impact is not None and found.kind == INCIDENT:
            if impact not in {i.value for i in Impact}:
                words = ", ".join(i.value for i in Impact)
                raise InputError(FieldProblem("impact", f"must be one of {words}, not {impact!r}"))
            incidents.set_fields(conn, public_id, impact=impact)
        incidents.link(conn, public_id, statuses)
        updated = self._update(conn, public_id, status, body, statuses, actor, now)
        if updated.kind == MAINTENANCE:
            self._arm(conn, updated)
        return updated

    def _update(
        self,
        conn: Connection,
        public_id: int,
        status: str,
        body: str,
        statuses: dict[int, ComponentStatus],
        actor: str,
        now: datetime,
        *,
        created: bool = False,
    ) -> PublicIncident:
        """Record an update: its status and the incident's times, what it now holds its
        components at and the component statuses that follow, the update itself, and the
        subscribers' notifications."""
        before = incidents.get(conn, public_id)
        assert before is not None
        changes = self._hold(conn, before, status, statuses, now)
        fields: dict[str, Any] = {"status": status, "updated_at": now}
        done = status in (IncidentStatus.RESOLVED.value, MaintenanceStatus.COMPLETED.value)
        fields["resolved_at"] = (before.resolved_at or now) if done else None
        if status == IncidentStatus.MONITORING.value and before.monitoring_at is None:
            fields["monitoring_at"] = now
        if status == MaintenanceStatus.IN_PROGRESS.value:
            fields["started_at"] = now
        incidents.set_fields(conn, public_id, **fields)
        changed = {c.id: c for c in pages.components(conn, [c.component_id for c in changes])}
        affected = status_json.affected(
            (changed[c.component_id], c.old) for c in changes if c.component_id in changed
        )
        update_id = incidents.add_update(
            conn, public_id, status=status, body=body, now=now, actor=actor, affected=affected
        )
        pages.touch(conn, now)
        after = incidents.get(conn, public_id)
        assert after is not None
        audit.record(
            conn,
            now,
            f"{_kind(after)}.{'published' if created else 'updated'}",
            _kind(after),
            public_id,
            actor=actor,
            before=None if created else {"status": before.status},
            after={
                **({"name": after.name, "impact": after.impact} if created else {}),
                "status": status,
                "body": body,
                "components": {str(c.component_id): c.new for c in changes},
            },
        )
        self._tell(conn, after, update_id, created, now)
        self._tell_components(conn, changes, now, public_id)
        return after

    @staticmethod
    def _holding(kind: str, status: str) -> bool:
        """Whether an incident (or maintenance) in ``status`` holds its components."""
        if kind == MAINTENANCE:
            return status in _ACTIVE_MAINTENANCE
        return status != IncidentStatus.RESOLVED.value

    def _hold(
        self,
        conn: Connection,
        before: PublicIncident,
        status: str,
        stated: dict[int, ComponentStatus],
        now: datetime,
    ) -> list[StatusChange]:
        """What ``before`` holds its components at after an update to ``status`` that states
        ``stated``, and the component statuses that follow (see ``held``)."""
        holding = self._holding(before.kind, status)
        default = ComponentStatus.MAINTENANCE if before.kind == MAINTENANCE else None
        ids = {*before.components, *stated}
        current = {c.id: c.status for c in pages.components(conn, ids)}
        others = incidents.held_by_others(conn, before.id, ids)
        holds: dict[int, ComponentStatus | None] = {}
        targets: dict[int, ComponentStatus] = {}
        for cid in sorted(current):
            had = before.holds.get(cid)
            rest = others.get(cid, [])
            if cid in stated:
                targets[cid] = held(current[cid], rest, stated=stated[cid])
                holds[cid] = stated[cid] if holding else None
            elif holding and default is not None and had is None:
                targets[cid] = held(current[cid], rest, default=default)
                holds[cid] = default
            elif not holding and had is not None:
                targets[cid] = held(current[cid], rest, let_go=had)
                holds[cid] = None
        incidents.set_holds(conn, before.id, holds)
        return pages.set_statuses(
            conn, {c: s for c, s in targets.items() if s is not current[c]}, now
        )

    def _tell(
        self, conn: Connection, i: PublicIncident, update_id: int, created: bool, now: datetime
    ) -> None:
        site = self.site(conn, now)
        components, now_overall = self.current(conn)
        by_id = {c.id: c for c in components}
        latest = i.updates[0] if i.updates else None
        what = "Maintenance" if i.kind == MAINTENANCE else "Incident"
        word = (latest.status if latest else i.status).replace("_", " ").capitalize()
        subject = f"[{site.page.name}] {i.name}" + ("" if created else f": {word}")
        lines = [f"{what}: {i.name}", f"Status: {word}"]
        if i.kind == MAINTENANCE and i.scheduled_for and i.scheduled_until:
            lines.append(
                f"Scheduled: {i.scheduled_for:%Y-%m-%d %H:%M} to "
                f"{i.scheduled_until:%Y-%m-%d %H:%M} UTC"
            )
        names = [by_id[c].name for c in i.components if c in by_id]
        if names:
            lines.append("Affects: " + ", ".join(names))
        lines += ["", latest.body if latest else "", "", f"Details: {self.links.incident(i.id)}"]
        event = Event(
            # Update ids are never used again (AUTOINCREMENT; keys before 0009 were
            # "update:<id>", so none can match): one notification per update, ever.
            key=f"update/{update_id}",
            kind=i.kind,
            subject=subject,
            text="\n".join(lines),
            webhook=lambda unsubscribe: status_json.webhook_incident(
                site, now_overall, i, by_id, unsubscribe, now
            ),
            public_id=i.id,
        )
        fan_out(conn, self.links, event, now)

    def _tell_components(
        self,
        conn: Connection,
        changes: list[StatusChange],
        now: datetime,
        public_id: int | None = None,
    ) -> None:
        """A ``component_update`` webhook for each status change (as Statuspage sends one
        for every change, by hand or by an incident)."""
        if not changes:
            return
        site = self.site(conn, now)
        components, now_overall = self.current(conn)
        by_id = {c.id: c for c in components}
        for change in changes:
            found = by_id.get(change.component_id)
            if found is None:
                continue
            event = Event(
                # A history row's id: never used again.
                key=f"component/{change.change_id}",
                kind="component",
                subject=f"[{site.page.name}] {found.name}: {change.new.label}",
                text=f"{found.name} is now {change.new.label.lower()}.",
                webhook=partial(
                    status_json.webhook_component, site, now_overall, found, change, now
                ),
                email=False,
                public_id=public_id,
            )
            fan_out(conn, self.links, event, now)

    def set_component(
        self, conn: Connection, component_id: int, status: str, now: datetime
    ) -> Component:
        """Set one component's status by hand (no incident); webhook subscribers hear."""
        try:
            wanted = ComponentStatus(status)
        except ValueError:
            words = ", ".join(s.value for s in ComponentStatus)
            problem = FieldProblem("status", f"must be one of {words}, not {status!r}")
            raise InputError(problem) from None
        result = pages.set_status(conn, component_id, wanted, now)
        found = pages.component(conn, component_id)
        if found is None or result is None:
            raise NotFound(f"no component {component_id}")
        _, change = result
        if change is None:
            return found
        pages.touch(conn, now)
        self._tell_components(conn, [change], now)
        return found

    def delete(self, conn: Connection, public_id: int, now: datetime) -> None:
        """Delete a public incident or maintenance: what it held is let go (as when it is
        resolved), its timer is cancelled, and what was still to be sent about it is
        cancelled."""
        found = incidents.get(conn, public_id, lock=True)
        if found is None:
            raise NotFound(f"no public incident {public_id}")
        ids = set(found.holds)
        current = {c.id: c.status for c in pages.components(conn, ids)}
        others = incidents.held_by_others(conn, public_id, ids)
        targets = {
            cid: held(current[cid], others.get(cid, []), let_go=found.holds[cid])
            for cid in sorted(current)
        }
        changes = pages.set_statuses(
            conn, {c: s for c, s in targets.items() if s is not current[c]}, now
        )
        timer_store.cancel(conn, MAINTENANCE_TIMER, str(public_id))
        subscriber_store.cancel_for(conn, public_id, "cancelled: the incident was deleted")
        incidents.delete_incident(conn, public_id)
        pages.touch(conn, now)
        audit.record(
            conn, now, f"{_kind(found)}.deleted", _kind(found), public_id, before=_shown(found)
        )
        self._tell_components(conn, changes, now)

    # --- maintenance on time ---------------------------------------------------------------

    def _arm(self, conn: Connection, m: PublicIncident) -> None:
        """Schedule (or move, or cancel) the maintenance's timer to its next automatic step."""
        due = self._next_step(m)
        if due is None:
            timer_store.cancel(conn, MAINTENANCE_TIMER, str(m.id))
        else:
            timer_store.schedule(conn, MAINTENANCE_TIMER, str(m.id), due)

    @staticmethod
    def _next_step(m: PublicIncident) -> datetime | None:
        """Start at scheduled_for (auto_start); complete at scheduled_until (auto_complete),
        whether it was started or not."""
        if m.kind != MAINTENANCE or m.status == MaintenanceStatus.COMPLETED.value:
            return None
        if m.status == MaintenanceStatus.SCHEDULED.value and m.auto_start:
            return m.scheduled_for
        if m.auto_complete:
            return m.scheduled_until
        return None

    def reschedule(
        self,
        conn: Connection,
        public_id: int,
        now: datetime,
        **values: Any,
    ) -> PublicIncident:
        """Change a maintenance's name, times or automation (no update posted)."""
        if "name" in values:
            check_name(values["name"])
        found = incidents.get(conn, public_id, lock=True)
        if found is None or found.kind != MAINTENANCE:
            raise NotFound(f"no maintenance {public_id}")
        start = values.get("scheduled_for", found.scheduled_for)
        end = values.get("scheduled_until", found.scheduled_until)
        if start is not None and end is not None and end <= start:
            raise InputError(FieldProblem("scheduled_until", "must be after scheduled_for"))
        if "scheduled_for" in values and found.status == MaintenanceStatus.SCHEDULED.value:
            values["started_at"] = values["scheduled_for"]
        incidents.set_fields(conn, public_id, updated_at=now, **values)
        pages.touch(conn, now)
        after = incidents.get(conn, public_id)
        assert after is not None
        audit.record_change(
            conn,
            now,
            "maintenance.rescheduled",
            MAINTENANCE,
            public_id,
            _shown(found),
            _shown(after),
        )
        self._arm(conn, after)
        return after

    def maintenance_timer(self, conn: Connection, timer: Timer, now: datetime) -> Again | None:
        """Start a maintenance at scheduled_for, complete it at scheduled_until."""
        m = incidents.get(conn, int(timer.key), lock=True)
        if m is None:
            return None
        due = self._next_step(m)
        if due is None:
            return None
        if due > now:
            return Again(due)  # moved later meanwhile
        if m.status == MaintenanceStatus.SCHEDULED.value and m.auto_start:
            m = self._update(
                conn, m.id, MaintenanceStatus.IN_PROGRESS.value, STARTED, {}, ENGINE, now
            )
        else:
            m = self._update(
                conn, m.id, MaintenanceStatus.COMPLETED.value, COMPLETED, {}, ENGINE, now
            )
        following = self._next_step(m)
        return Again(following) if following is not None else None
