"""The public status page: components and groups, public incidents and their updates,
scheduled maintenance, and what the public pages and the Statuspage-shaped JSON read.

Public incidents are apart from internal ones: a public incident may name the internal
incident it is about (``incident_id``), but has its own title and words, and nothing of
the internal incident (its title, people, timeline) is ever shown on the public page.
The incident workflow calls ``publish``, ``post_update`` and ``linked`` to keep the public
page in step. Every method is one transaction; a change wakes the engine, which sends what
subscribers are owed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection

from tocsin.domain.status_page import ComponentStatus, Overall, control_character
from tocsin.domain.status_uptime import (
    UPTIME_DAYS,
    Day,
    daily,
    day_bounds,
    extend_today,
    today_from,
    zone_of,
)
from tocsin.domain.wallclock import start_of_day
from tocsin.engine.clock import Clock
from tocsin.engine.status_days import StatusDays
from tocsin.errors import FieldProblem, InputError, NotFound
from tocsin.notify.status_changes import StatusDesk
from tocsin.notify.status_json import Site
from tocsin.store import audit
from tocsin.store import incidents as internal_store
from tocsin.store import status_days as days_store
from tocsin.store import status_incidents as incidents
from tocsin.store import status_page as pages
from tocsin.store.database import Database
from tocsin.store.status_incidents import INCIDENT, MAINTENANCE, PublicIncident
from tocsin.store.status_page import Component, Group, Page

__all__ = ["UPTIME_DAYS", "Snapshot", "StatusPageService"]

T = TypeVar("T")

_UNSET: Any = object()


@dataclass(frozen=True)
class Snapshot:
    """The page as it is: what ``/status`` and ``summary.json`` show."""

    site: Site
    overall: Overall
    groups: list[Group]
    components: list[Component]
    #: Unresolved incidents, newest first.
    incidents: list[PublicIncident]
    #: Maintenances not completed (scheduled, in progress, verifying), soonest first.
    maintenances: list[PublicIncident]
    zone: ZoneInfo
    now: datetime

    @property
    def by_id(self) -> dict[int, Component]:
        return {c.id: c for c in self.components}


def _text(value: str, field: str, limit: int, *, required: bool = True) -> str:
    value = value.strip()
    if required and not value:
        raise InputError(FieldProblem(field, "is required"))
    if len(value) > limit:
        raise InputError(FieldProblem(field, f"is longer than {limit} characters"))
    return value


def _name(value: str, field: str, limit: int) -> str:
    """A name (of the page, a group, a component, an incident): one line of text. It goes
    into mail subjects, where a line break is an error (and a header injection)."""
    value = _text(value, field, limit)
    bad = control_character(value)
    if bad is not None:
        raise InputError(FieldProblem(field, f"must not contain control characters ({bad})"))
    return value


class StatusPageService:
    def __init__(
        self, db: Database, clock: Clock, desk: StatusDesk, wake: Callable[[], None]
    ) -> None:
        self.db = db
        self.clock = clock
        self.desk = desk
        self.wake = wake
        #: Per component: (its key, when computed, its days); see ``uptime``.
        self._days: dict[int, tuple[tuple[Any, ...], datetime, list[Day]]] = {}

    def _write(self, work: Callable[[Connection, datetime], T]) -> T:
        now = self.clock.now()
        result = self.db.transact(lambda conn: work(conn, now))
        self.wake()
        return result

    # --- the page ----------------------------------------------------------------------------

    def page(self) -> Page:
        with self.db.read() as conn:
            return pages.page(conn, self.clock.now())

    def set_page(self, *, name: str | None = None, time_zone: str | None = None) -> Page:
        values: dict[str, Any] = {}
        if name is not None:
            values["name"] = _name(name, "name", 200)
        if time_zone is not None:
            try:
                ZoneInfo(time_zone)
            except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "America"
                problem = FieldProblem("time_zone", f"unknown time zone {time_zone!r}")
                raise InputError(problem) from None
            values["time_zone"] = time_zone

        def work(conn: Connection, now: datetime) -> Page:
            before = pages.page(conn, now)
            after = pages.set_page(conn, now, **values)
            audit.record_change(
                conn, now, "status_page.changed", "status_page", None, before, after
            )
            if after.time_zone != before.time_zone:
                StatusDays.soon(conn, now)  # keep the days of the new zone's calendar
            return after

        return self._write(work)

    # --- groups and components -------------------------------------------------------------

    def groups(self) -> list[Group]:
        with self.db.read() as conn:
            return pages.groups(conn)

    def components(self) -> list[Component]:
        with self.db.read() as conn:
            return pages.components(conn)

    def create_group(
        self, name: str, *, description: str | None = None, position: int | None = None
    ) -> Group:
        name = _name(name, "name", 200)

        def work(conn: Connection, now: datetime) -> Group:
            pages.touch(conn, now)
            made = pages.create_group(
                conn, name=name, description=description, position=position, now=now
            )
            audit.record(conn, now, "status_group.created", "status_group", made.id, after=made)
            return made

        return self._write(work)

    def update_group(
        self,
        group_id: int,
        *,
        name: str | None = None,
        description: str | None = _UNSET,
        position: int | None = None,
    ) -> Group:
        values: dict[str, Any] = {}
        if name is not None:
            values["name"] = _name(name, "name", 200)
        if description is not _UNSET:
            values["description"] = description
        if position is not None:
            values["position"] = position

        def work(conn: Connection, now: datetime) -> Group:
            before = pages.group(conn, group_id)
            if before is None:
                raise NotFound(f"no component group {group_id}")
            pages.update_group(conn, group_id, now, **values)
            pages.touch(conn, now)
            found = pages.group(conn, group_id)
            assert found is not None
            audit.record_change(
                conn, now, "status_group.changed", "status_group", group_id, before, found
            )
            return found

        return self._write(work)

    def delete_group(self, group_id: int) -> None:
        def work(conn: Connection, now: datetime) -> None:
            before = pages.group(conn, group_id)
            if not pages.delete_group(conn, group_id):
                raise NotFound(f"no component group {group_id}")
            pages.touch(conn, now)
            audit.record(conn, now, "status_group.deleted", "status_group", group_id, before=before)

        self._write(work)

    def _check_group(self, conn: Connection, group_id: int | None) -> None:
        if group_id is not None and pages.group(conn, group_id) is None:
            raise InputError(FieldProblem("group_id", f"no component group {group_id}"))

    def create_component(
        self,
        name: str,
        *,
        description: str | None = None,
        group_id: int | None = None,
        position: int | None = None,
        status: str = "operational",
        only_show_if_degraded: bool = False,
        showcase: bool = True,
    ) -> Component:
        name = _name(name, "name", 200)
        try:
            initial = ComponentStatus(status)
        except ValueError:
            words = ", ".join(s.value for s in ComponentStatus)
            problem = FieldProblem("status", f"must be one of {words}, not {status!r}")
            raise InputError(problem) from None

        def work(conn: Connection, now: datetime) -> Component:
            self._check_group(conn, group_id)
            pages.touch(conn, now)
            made = pages.create_component(
                conn,
                name=name,
                description=description,
                group_id=group_id,
                position=position,
                status=initial,
                only_show_if_degraded=only_show_if_degraded,
                showcase=showcase,
                now=now,
            )
            audit.record(
                conn, now, "status_component.created", "status_component", made.id, after=made
            )
            return made

        return self._write(work)

    def update_component(self, component_id: int, **changes: Any) -> Component:
        """Change any of name, description, group_id, position, only_show_if_degraded,
        showcase; and status (recorded in the history, told to webhook subscribers)."""
        status = changes.pop("status", None)
        if "name" in changes:
            changes["name"] = _name(changes["name"] or "", "name", 200)

        def work(conn: Connection, now: datetime) -> Component:
            before = pages.component(conn, component_id)
            if before is None:
                raise NotFound(f"no component {component_id}")
            if "group_id" in changes:
                self._check_group(conn, changes["group_id"])
            if changes:
                pages.update_component(conn, component_id, now, **changes)
                pages.touch(conn, now)
            if status is not None:
                self.desk.set_component(conn, component_id, status, now)
            found = pages.component(conn, component_id)
            assert found is not None
            audit.record_change(
                conn,
                now,
                "status_component.changed",
                "status_component",
                component_id,
                before,
                found,
            )
            return found

        return self._write(work)

    def set_component_status(self, component_id: int, status: str) -> Component:
        return self.update_component(component_id, status=status)

    def delete_component(self, component_id: int) -> None:
        def work(conn: Connection, now: datetime) -> None:
            before = pages.component(conn, component_id)
            if not pages.delete_component(conn, component_id):
                raise NotFound(f"no component {component_id}")
            pages.touch(conn, now)
            audit.record(
                conn,
                now,
                "status_component.deleted",
                "status_component",
                component_id,
                before=before,
            )

        self._write(work)

    # --- public incidents --------------------------------------------------------------------

    def publish(
        self,
        incident_id: int | None,
        name: str,
        status: str,
        body: str,
        impact: str | None,
        components: Mapping[int, str],
        actor: str,
    ) -> PublicIncident:
        """A new public incident, optionally about internal incident ``incident_id``, with
        its first update; ``components`` sets those components' statuses."""
        name = _name(name, "name", 500)
        body = _text(body, "body", 20_000)

        def work(conn: Connection, now: datetime) -> PublicIncident:
            internal = internal_store.get(conn, incident_id) if incident_id is not None else None
            if incident_id is not None and internal is None:
                raise InputError(FieldProblem("incident_id", f"no incident {incident_id}"))
            if internal is not None and internal.drill:  # docs/drills.md
                raise InputError(FieldProblem("incident_id", "a drill is never on the status page"))
            return self.desk.publish(
                conn,
                kind=INCIDENT,
                name=name,
                status=status,
                body=body,
                impact=impact,
                components=components,
                actor=actor,
                now=now,
                incident_id=incident_id,
            )

        return self._write(work)

    def post_update(
        self,
        public_id: int,
        status: str,
        body: str,
        components: Mapping[int, str] | None,
        actor: str,
        *,
        impact: str | None = None,
    ) -> PublicIncident:
        """An update of a public incident or maintenance (its status, its words, and the
        component statuses it sets); subscribers hear of it."""
        body = _text(body, "body", 20_000)
        return self._write(
            lambda conn, now: self.desk.post_update(
                conn,
                public_id,
                status=status,
                body=body,
                components=components,
                actor=actor,
                now=now,
                impact=impact,
            )
        )

    def rename(self, public_id: int, name: str) -> PublicIncident:
        name = _name(name, "name", 500)

        def work(conn: Connection, now: datetime) -> PublicIncident:
            before = incidents.get(conn, public_id)
            if before is None:
                raise NotFound(f"no public incident {public_id}")
            incidents.set_fields(conn, public_id, name=name, updated_at=now)
            kind = "maintenance" if before.kind == "maintenance" else "status_incident"
            audit.record_change(
                conn, now, f"{kind}.renamed", kind, public_id, {"name": before.name}, {"name": name}
            )
            pages.touch(conn, now)
            found = incidents.get(conn, public_id)
            assert found is not None
            return found

        return self._write(work)

    def linked(self, incident_id: int) -> PublicIncident | None:
        """The newest public incident published for internal incident ``incident_id``."""
        with self.db.read() as conn:
            found = incidents.linked_to(conn, incident_id)
        return found[0] if found else None

    def delete_incident(self, public_id: int) -> None:
        """Delete a public incident or maintenance: what it held its components at is let
        go, its timer and what was still to be sent about it are cancelled."""
        self._write(lambda conn, now: self.desk.delete(conn, public_id, now))

    # --- scheduled maintenance ---------------------------------------------------------------

    def schedule_maintenance(
        self,
        name: str,
        body: str,
        scheduled_for: datetime,
        scheduled_until: datetime,
        component_ids: list[int],
        actor: str,
        *,
        auto_start: bool = True,
        auto_complete: bool = True,
        status: str = "scheduled",
    ) -> PublicIncident:
        """A maintenance announced now; with ``auto_start``/``auto_complete`` the engine
        starts it at ``scheduled_for`` (its components go under maintenance) and completes
        it at ``scheduled_until`` (started or not: auto_complete alone completes a
        maintenance nobody started, rather than leaving it scheduled forever)."""
        name = _name(name, "name", 500)
        body = _text(body, "body", 20_000)
        return self._write(
            lambda conn, now: self.desk.publish(
                conn,
                kind=MAINTENANCE,
                name=name,
                status=status,
                body=body,
                impact=None,
                components=None,
                affected=component_ids,
                actor=actor,
                now=now,
                scheduled_for=scheduled_for,
                scheduled_until=scheduled_until,
                auto_start=auto_start,
                auto_complete=auto_complete,
            )
        )

    def update_maintenance(self, public_id: int, **values: Any) -> PublicIncident:
        """Change a maintenance's name, scheduled_for, scheduled_until, auto_start or
        auto_complete; the engine's timer follows."""
        if "name" in values:
            values["name"] = _name(values["name"], "name", 500)
        return self._write(lambda conn, now: self.desk.reschedule(conn, public_id, now, **values))

    # --- reading -----------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        now = self.clock.now()
        with self.db.read() as conn:
            site = self.desk.site(conn, now)
            groups = pages.groups(conn)
            components = pages.components(conn)
            unresolved = incidents.listing(conn, active=True, limit=1000)
        ongoing = [i for i in unresolved if i.kind == INCIDENT]
        planned = sorted(
            (i for i in unresolved if i.kind == MAINTENANCE),
            key=lambda m: (m.scheduled_for or m.created_at, m.id),
        )
        return Snapshot(
            site,
            self.desk.overall(components, unresolved),
            groups,
            components,
            ongoing,
            planned,
            zone_of(site.page.time_zone),
            now,
        )

    def uptime(self, snapshot: Snapshot, days: int = UPTIME_DAYS) -> dict[int, list[Day]]:
        """The last ``days`` days (today last) of each showcased component.

        A status page is read most when something is wrong, by many people at once; so each
        component's days are kept, keyed by its ``updated_at`` (which every status change
        moves, on whichever node) and today's date. While the key holds nothing changed, and
        only today's figures move with the clock: they are brought up to now exactly
        (``extend_today``) without reading the history again. When the key does not hold
        (the first view of a day, after a restart, after a change), the finished days come
        from what the engine keeps (``engine/status_days.py``) and today from the history
        since midnight; a component missing a kept day is worked out from its history."""
        zone, now = snapshot.zone, snapshot.now
        today = now.astimezone(zone).date()
        first = today - timedelta(days=days - 1)
        shown = [c for c in snapshot.components if c.showcase]
        out: dict[int, list[Day]] = {}
        stale: list[Component] = []
        for c in shown:
            kept = self._days.get(c.id)
            if kept is not None and kept[0] == (c.updated_at, today, zone.key, days):
                out[c.id] = extend_today(kept[2], c.status, kept[1], now)
            else:
                stale.append(c)
        if stale:
            for c_id, found in self._compute(stale, first, today, days, zone, now).items():
                updated = next(c.updated_at for c in stale if c.id == c_id)
                self._days[c_id] = ((updated, today, zone.key, days), now, found)
                out[c_id] = found
        if len(self._days) > 2 * len(shown) + 100:  # components deleted meanwhile
            self._days = {c.id: self._days[c.id] for c in shown if c.id in self._days}
        return out

    def _compute(
        self,
        stale: list[Component],
        first: date,
        today: date,
        days: int,
        zone: ZoneInfo,
        now: datetime,
    ) -> dict[int, list[Day]]:
        yesterday = today - timedelta(days=1)
        ids = [c.id for c in stale]
        with self.db.read() as conn:
            kept = days_store.kept(conn, ids, zone.key, first, yesterday) if days > 1 else {}
            whole = [i for i in ids if i in kept]
            rest = [i for i in ids if i not in kept]
            recent = pages.history_from(conn, start_of_day(today, zone), whole) if whole else {}
            changes = pages.history(conn, start_of_day(first, zone), rest) if rest else {}
        out: dict[int, list[Day]] = {}
        for i in whole:
            past, end = kept[i]
            now_day = today_from(end, recent.get(i, []), day=today, now=now, zone=zone)
            out[i] = [*past, now_day]
        if rest:
            bounds = day_bounds(first, days, zone)
            for i in rest:
                out[i] = daily(
                    changes.get(i, []), first=first, days=days, now=now, zone=zone, bounds=bounds
                )
        return out

    def incident(self, public_id: int) -> tuple[Site, PublicIncident]:
        now = self.clock.now()
        with self.db.read() as conn:
            found = incidents.get(conn, public_id)
            if found is None:
                raise NotFound(f"no public incident {public_id}")
            return self.desk.site(conn, now), found

    def listing(
        self,
        kind: str | None = None,
        *,
        active: bool | None = None,
        limit: int = 50,
        offset: int = 0,
        statuses: list[str] | None = None,
        soonest_first: bool = False,
    ) -> tuple[Site, list[PublicIncident], dict[int, Component]]:
        now = self.clock.now()
        with self.db.read() as conn:
            found = incidents.listing(
                conn,
                kind,
                active=active,
                limit=limit,
                offset=offset,
                statuses=statuses,
                soonest_first=soonest_first,
            )
            wanted = {c for i in found for c in i.components}
            components = {c.id: c for c in pages.components(conn, wanted)} if wanted else {}
            return self.desk.site(conn, now), found, components
