"""Chasing action items, as the ``actions.remind`` timer (every 15 minutes, durable: after
downtime it runs at once).

Each owner of an item that is not closed is emailed ``postmortems.remind_before`` its due
date, ``remind_after`` it and again every ``remind_after`` (``domain.action_items``); each
reminder is sent once (its dedup key names the item, the due instant and the occurrence, so
a new due date brings new reminders). When a postmortem was published
``follow_up_review`` ago (14 days by default) and any of its incident's items is not
closed, its authors (else the incident's commander) are asked, once, to review them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from tocsin.config.compile import RoutingConfig
from tocsin.domain.action_items import ActionItem, Reminder, due_date_of, reminder_due
from tocsin.domain.users import reading_zone
from tocsin.engine.runner import Again
from tocsin.notify.messages import post
from tocsin.store import action_items as store
from tocsin.store import incidents as incident_store
from tocsin.store import messages as message_store
from tocsin.store.action_items import PublishedPostmortem
from tocsin.store.timers import Timer

__all__ = ["EVERY", "REMIND", "ActionReminders"]

REMIND = "actions.remind"
EVERY = timedelta(minutes=15)
_JUST_AFTER = timedelta(microseconds=1)
UTC_ZONE = ZoneInfo("UTC")


def _sent(conn: Connection, dedup: str) -> bool:
    return message_store.by_dedup_key(conn, hashlib.sha256(dedup.encode()).hexdigest()) is not None


def _day(d: date) -> str:
    return f"{d:%a %Y-%m-%d}"


def _left(span: timedelta) -> str:
    """``in 2 days``, ``in 5 hours``, ``1 day ago``: to the nearest day from 20 hours on."""
    hours = abs(span) / timedelta(hours=1)
    if hours >= 20:
        n, unit = round(hours / 24), "day"
    else:
        n, unit = max(1, round(hours)), "hour"
    words = f"{n} {unit}" + ("" if n == 1 else "s")
    return f"in {words}" if span >= timedelta(0) else f"{words} ago"


class ActionReminders:
    def __init__(self, current: Callable[[], RoutingConfig | None], external_url: str) -> None:
        self.current = current
        self.external_url = external_url.rstrip("/")

    def __call__(self, conn: Connection, timer: Timer, now: datetime) -> Again:
        config = self.current()
        if config is None:
            return Again(now + EVERY)
        policy = config.postmortems
        due_before = now + policy.remind_before + _JUST_AFTER
        for item in store.reminder_candidates(conn, due_before):
            reminder = reminder_due(item, policy.remind_before, policy.remind_after, now)
            if reminder is not None:
                self._remind(conn, config, item, reminder, now)
        for postmortem in store.follow_ups_due(conn, now - policy.follow_up_review):
            self._review(conn, config, postmortem, now)
        return Again(now + EVERY)

    def _zone(self, config: RoutingConfig, user: str) -> ZoneInfo:
        try:
            fallback = ZoneInfo(config.postmortems.time_zone)
        except (ValueError, KeyError):
            fallback = UTC_ZONE
        return reading_zone(config.users, user, fallback)

    def _remind(
        self,
        conn: Connection,
        config: RoutingConfig,
        item: ActionItem,
        reminder: Reminder,
        now: datetime,
    ) -> None:
        assert item.due_at is not None
        dedup = f"action-item:{item.id}:{item.due_at.isoformat()}:{reminder.key}"
        if _sent(conn, dedup):
            return
        zone = self._zone(config, item.owner)
        due, left = due_date_of(item.due_at, zone), _left(item.due_at - now)
        incident = incident_store.get(conn, item.incident_id)
        about = f"incident #{item.incident_id}" + (f" ({incident.title})" if incident else "")
        link = f"{self.external_url}/incidents/{item.incident_id}"
        if reminder.late:
            subject = f"[Tocsin] Action item #{item.id} is overdue: {item.title}"
            when = f"was due by the end of {_day(due)} ({left})"
        else:
            subject = f"[Tocsin] Action item #{item.id} is due {_day(due)}: {item.title}"
            when = f"is due by the end of {_day(due)} ({left})"
        body = (
            f"Action item #{item.id} of {about} is yours and {when}.\n"
            f"  {item.title}\n"
            f"Status: {item.status.label}."
            + (f" Ticket: {item.ticket_url}" if item.ticket_url else "")
            + f"\n\nWhen it is done, mark it so on {link}\n"
            f"or with: tocsin actions set {item.id} --status done\n"
        )
        post(
            conn,
            config.users,
            user=item.owner,
            kind="action-item-reminder",
            subject=subject,
            body=body,
            dedup=dedup,
            now=now,
            details={
                "link": link,
                "urgency": "low",
                "action_item": item.id,
                "incident": item.incident_id,
                "reminder": reminder.key,
            },
        )

    def _review(
        self, conn: Connection, config: RoutingConfig, pm: PublishedPostmortem, now: datetime
    ) -> None:
        readers = list(pm.authors)
        if not readers:
            incident = incident_store.get(conn, pm.incident_id)
            commander = incident.roles.get("commander") if incident is not None else None
            readers = [commander] if isinstance(commander, str) and commander else []
        readers = [r for r in readers if not _sent(conn, f"follow-up-review:{pm.id}:{r}")]
        if not readers:
            return  # asked already (the usual case on every pass after the first)
        todo = [
            x.item
            for x in store.listing(conn, incident_id=pm.incident_id)
            if not x.item.status.is_closed
        ]
        lines = [self._line(config, i) for i in todo]
        link = f"{self.external_url}/incidents/{pm.incident_id}"
        for reader in readers:
            dedup = f"follow-up-review:{pm.id}:{reader}"
            zone = self._zone(config, reader)
            body = (
                f'The postmortem "{pm.title}" of incident #{pm.incident_id} was published on '
                f"{_day(pm.published_at.astimezone(zone).date())}. "
                f"{len(todo)} of its action items {'is' if len(todo) == 1 else 'are'} "
                "not closed yet:\n" + "\n".join(lines) + "\n\n"
                f"Please review them with their owners: {link}\n"
            )
            post(
                conn,
                config.users,
                user=reader,
                kind="follow-up-review",
                subject=f"[Tocsin] Follow-up review of incident #{pm.incident_id}: "
                f"{len(todo)} action item{'' if len(todo) == 1 else 's'} still open",
                body=body,
                dedup=dedup,
                now=now,
                details={"link": link, "urgency": "low", "postmortem": pm.id},
            )

    def _line(self, config: RoutingConfig, i: ActionItem) -> str:
        """``  #3 Alert on WAL growth (bob, open, due Fri 2026-03-20)``: the due date as its
        owner reads it."""
        due = (
            f", due {_day(due_date_of(i.due_at, self._zone(config, i.owner)))}" if i.due_at else ""
        )
        return f"  #{i.id} {i.title} ({i.owner}, {i.status.label}{due})"
