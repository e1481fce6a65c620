"""Action items as the API, the web UI and the CLI use them: add one to an incident (tied to
its postmortem when it has one), change it, list them, and the overdue ones per team. Each
command is one transaction that also puts the change on the incident's timeline.

An item belongs to the teams its owner is a member of (``teams:`` in tocsin.yaml); an
owner who is in no team leaves the item to the incident's team, if it has one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from tocsin.config.compile import RoutingConfig
from tocsin.domain.action_items import (
    ActionItem,
    ItemStatus,
    TransitionError,
    checked_ticket_url,
    checked_title,
    due_at_of,
    due_date_of,
    is_overdue,
    transition,
)
from tocsin.engine.clock import Clock
from tocsin.errors import Conflict, FieldProblem, InputError, NotFound
from tocsin.store import action_items as store
from tocsin.store import audit
from tocsin.store import incidents as incident_store
from tocsin.store.action_items import Listed, TeamScope
from tocsin.store.database import Database

__all__ = ["KEEP", "ActionItemService", "ItemView", "TeamActions", "parse_due"]

UTC_ZONE = ZoneInfo("UTC")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class _Keep:
    """A field left as it is by an update."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Final = _Keep()


@dataclass(frozen=True)
class ItemView:
    item: ActionItem
    incident_title: str
    #: The teams it counts for (see the module's docstring); empty: no team.
    teams: tuple[str, ...]
    #: The due date as its owner reads it.
    due_date: date | None
    overdue: bool


@dataclass(frozen=True)
class TeamActions:
    """One team's items that are not closed; ``team`` None: items of no team."""

    team: str | None
    overdue: list[ItemView]
    open: list[ItemView]


def parse_due(text: str) -> date | None:
    """A due date as typed, YYYY-MM-DD ("" or "none": no due date)."""
    value = text.strip()
    if value.lower() in ("", "none"):
        return None
    if not _DATE.fullmatch(value):
        raise InputError(FieldProblem("due", f"{text!r} is not a date like 2026-03-31"))
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(FieldProblem("due", f"{text!r} is not a date like 2026-03-31")) from None


class ActionItemService:
    def __init__(
        self, db: Database, clock: Clock, config: Callable[[], RoutingConfig | None]
    ) -> None:
        self.db = db
        self.clock = clock
        self.config = config

    # -- who and where ---------------------------------------------------------------------

    def zone_of(self, owner: str) -> ZoneInfo:
        """The owner's time zone, else the postmortem policy's, else UTC."""
        config = self.config()
        if config is None:
            return UTC_ZONE
        person = config.users.get(owner)
        if person is not None and person.time_zone is not None:
            return person.time_zone
        try:
            return ZoneInfo(config.postmortems.time_zone)
        except (ValueError, KeyError):
            return UTC_ZONE

    def teams_of(self, owner: str, incident_team: str | None) -> tuple[str, ...]:
        config = self.config()
        teams = config.teams if config is not None else {}
        own = tuple(sorted(name for name, t in teams.items() if owner in t.members))
        if own:
            return own
        return (incident_team,) if incident_team else ()

    def _view(self, listed: Listed, now: datetime) -> ItemView:
        item = listed.item
        return ItemView(
            item,
            listed.incident_title,
            self.teams_of(item.owner, listed.incident_team),
            due_date_of(item.due_at, self.zone_of(item.owner)) if item.due_at else None,
            is_overdue(item, now),
        )

    # -- reading ---------------------------------------------------------------------------

    def get(self, item_id: int) -> ItemView:
        with self.db.read() as conn:
            return self._one(conn, item_id)

    def _one(self, conn: Connection, item_id: int) -> ItemView:
        found = store.listing(conn, item_id=item_id)
        if not found:
            raise NotFound(f"no action item {item_id}")
        return self._view(found[0], self.clock.now())

    def items(
        self,
        *,
        incident_id: int | None = None,
        owner: str | None = None,
        team: str | None = None,
        statuses: Collection[str] = (),
        overdue: bool = False,
        limit: int = 1000,
    ) -> list[ItemView]:
        """Items matching every filter given, the soonest due first. ``overdue``: not
        closed and past their due date, now."""
        checked = [self._status(s).value for s in statuses]
        scope = self._scope(team) if team is not None else None
        now = self.clock.now()
        with self.db.read() as conn:
            found = store.listing(
                conn,
                incident_id=incident_id,
                owner=owner,
                team=scope,
                statuses=checked,
                overdue_at=now if overdue else None,
                limit=limit,
            )
        return [self._view(x, now) for x in found]

    def _scope(self, team: str) -> TeamScope:
        config = self.config()
        teams = config.teams if config is not None else {}
        if team not in teams:
            raise InputError(FieldProblem("team", f"no team {team!r} in the configuration"))
        teamed = {m for t in teams.values() for m in t.members}
        return TeamScope(team, teams[team].members, teamed)

    def by_team(self, *, overdue_only: bool = False) -> list[TeamActions]:
        """Every team's items that are not closed (overdue first, soonest due first); an item
        whose owner is in two teams is in both. Teams with nothing open are left out; items
        of no team come last."""
        open_ = self.items(statuses=[ItemStatus.OPEN, ItemStatus.IN_PROGRESS], limit=100_000)
        groups: dict[str | None, TeamActions] = {}
        for view in open_:
            if overdue_only and not view.overdue:
                continue
            for team in view.teams or (None,):
                group = groups.setdefault(team, TeamActions(team, [], []))
                (group.overdue if view.overdue else group.open).append(view)
        return sorted(groups.values(), key=lambda g: (g.team is None, g.team or ""))

    # -- commands --------------------------------------------------------------------------

    def create(
        self,
        incident_id: int,
        *,
        title: str,
        owner: str,
        actor: str,
        due: date | str | None = None,
        ticket_url: str | None = None,
    ) -> ItemView:
        problems: list[FieldProblem] = []
        clean_title = _checked(problems, "title", checked_title, title)
        self._owner(problems, owner)
        day = self._day(problems, due)
        ticket = _checked(problems, "ticket_url", checked_ticket_url, ticket_url or "")
        if problems:
            raise InputError(problems)
        due_at = due_at_of(day, self.zone_of(owner)) if day is not None else None

        def work(conn: Connection) -> int:
            now = self.clock.now()
            if incident_store.get(conn, incident_id) is None:
                raise NotFound(f"no incident {incident_id}")
            item_id = store.create(
                conn,
                {
                    "incident_id": incident_id,
                    "postmortem_id": store.postmortem_of(conn, incident_id),
                    "title": clean_title,
                    "owner": owner,
                    "due_at": due_at,
                    "status": ItemStatus.OPEN.value,
                    "ticket_url": ticket or None,
                    "created_at": now,
                    "created_by": actor,
                    "updated_at": now,
                    "closed_at": None,
                },
            )
            due_words = f", due {day.isoformat()}" if day is not None else ""
            incident_store.add_event(
                conn,
                incident_id,
                now,
                "action-item-added",
                actor,
                f"{actor} added action item #{item_id} for {owner}{due_words}: {clean_title}",
                {
                    "item": item_id,
                    "title": clean_title,
                    "owner": owner,
                    "due": day.isoformat() if day is not None else None,
                    "status": ItemStatus.OPEN.value,
                },
            )
            audit.record(
                conn,
                now,
                "action_item.created",
                "action_item",
                item_id,
                actor=actor,
                after={
                    "incident_id": incident_id,
                    "title": clean_title,
                    "owner": owner,
                    "due": day,
                    "status": ItemStatus.OPEN.value,
                    "ticket_url": ticket or None,
                },
            )
            return item_id

        item_id = self.db.transact(work)
        return self.get(item_id)

    def update(
        self,
        item_id: int,
        *,
        actor: str,
        title: str | _Keep = KEEP,
        owner: str | _Keep = KEEP,
        due: date | str | None | _Keep = KEEP,
        status: str | _Keep = KEEP,
        ticket_url: str | None | _Keep = KEEP,
    ) -> ItemView:
        """Change what is given; the rest stays. Clearing ``due`` or ``ticket_url`` takes
        None. A new owner keeps the due date (the same day, ending in their time zone)."""
        problems: list[FieldProblem] = []
        new_title = (
            _checked(problems, "title", checked_title, title)
            if not isinstance(title, _Keep)
            else None
        )
        if not isinstance(owner, _Keep):
            self._owner(problems, owner)
        day = self._day(problems, due) if not isinstance(due, _Keep) else None
        wanted = None
        if not isinstance(status, _Keep):
            try:
                wanted = ItemStatus.parse(status)
            except ValueError as exc:
                problems.append(FieldProblem("status", str(exc)))
        ticket = None
        if isinstance(ticket_url, str) and ticket_url.strip():
            ticket = _checked(problems, "ticket_url", checked_ticket_url, ticket_url)
        if problems:
            raise InputError(problems)

        def work(conn: Connection) -> None:
            now = self.clock.now()
            item = store.get(conn, item_id, lock=True)
            if item is None:
                raise NotFound(f"no action item {item_id}")
            values: dict[str, Any] = {}
            changes: dict[str, list[Any]] = {}

            def change(name: str, column: str, before: Any, after: Any, value: Any) -> None:
                if before != after:
                    changes[name] = [before, after]
                    values[column] = value

            if new_title is not None:
                change("title", "title", item.title, new_title, new_title)
            new_owner = item.owner if isinstance(owner, _Keep) else owner
            change("owner", "owner", item.owner, new_owner, new_owner)
            old_day = due_date_of(item.due_at, self.zone_of(item.owner)) if item.due_at else None
            new_day = old_day if isinstance(due, _Keep) else day
            due_at = due_at_of(new_day, self.zone_of(new_owner)) if new_day else None
            change("due", "due_at", _iso(old_day), _iso(new_day), due_at)
            if due_at != item.due_at:
                values["due_at"] = due_at  # the same day, ending in the new owner's zone
            if wanted is not None:
                try:
                    after = transition(item.status, wanted)
                except TransitionError as exc:
                    raise Conflict(f"action item {item_id}: {exc}") from None
                change("status", "status", item.status.value, after.value, after.value)
                if after.is_closed != item.status.is_closed:
                    values["closed_at"] = now if after.is_closed else None
            if not isinstance(ticket_url, _Keep):
                change("ticket_url", "ticket_url", item.ticket_url, ticket, ticket)
            if not values:
                return
            store.update_item(conn, item_id, {**values, "updated_at": now})
            if changes:
                audit.record(
                    conn,
                    now,
                    "action_item.changed",
                    "action_item",
                    item_id,
                    actor=actor,
                    before={k: v[0] for k, v in changes.items()},
                    after={k: v[1] for k, v in changes.items()},
                )
                said = "; ".join(_said(k, v) for k, v in changes.items())
                incident_store.add_event(
                    conn,
                    item.incident_id,
                    now,
                    "action-item-changed",
                    actor,
                    f"{actor} changed action item #{item_id} ({new_title or item.title}): {said}",
                    {"item": item_id, "changes": changes},
                )

        self.db.transact(work)
        return self.get(item_id)

    # -- checks ----------------------------------------------------------------------------

    def _owner(self, problems: list[FieldProblem], owner: str) -> None:
        config = self.config()
        if config is None or owner not in config.users:
            problems.append(FieldProblem("owner", f"no user {owner!r} in the configuration"))

    @staticmethod
    def _day(problems: list[FieldProblem], due: date | str | None) -> date | None:
        if due is None or isinstance(due, date):
            return due
        try:
            return parse_due(due)
        except InputError as exc:
            problems.extend(exc.problems)
            return None

    @staticmethod
    def _status(status: str) -> ItemStatus:
        try:
            return ItemStatus.parse(status)
        except ValueError as exc:
            raise InputError(FieldProblem("status", str(exc))) from None


def _checked(
    problems: list[FieldProblem], field: str, check: Callable[[str], str], text: str
) -> str:
    """``check(text)``, or "" with the problem noted (an empty ticket URL is no ticket)."""
    if field == "ticket_url" and not text.strip():
        return ""
    try:
        return check(text)
    except ValueError as exc:
        problems.append(FieldProblem(field, str(exc)))
        return ""


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _said(name: str, change: Sequence[Any]) -> str:
    before, after = (v if v is not None else "none" for v in change)
    if name == "status":
        before, after = ItemStatus(before).label, ItemStatus(after).label
    if name == "title":
        return f"title {after!r}"
    return f"{name.replace('_', ' ')} {before} -> {after}"
