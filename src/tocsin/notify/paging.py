"""The escalation engine: pages that cannot be lost.

Three timer kinds, each a row claimed under a lease and decided in the transaction that also
writes the timeline and the outbox:

* ``incident.escalate`` (key: the incident): the next level of the incident's policy is due.
  It fires the level (who is on call is asked now), plans each person's notification rules,
  and re-arms itself for the level after, until the policy is exhausted.
* ``incident.page`` (key: incident/epoch/loop/level/user/rule): one step of one person's
  notification rules is due. If the incident is still triggered (and not re-triggered since),
  the message goes to the outbox (``messages``), whose job sends and retries it.
* ``incident.ack-timeout`` (key: the incident): an acknowledgement (or snooze) ran out.

Each message's dedup key is (incident, epoch, loop, level, user, method, rule): planning the
same step twice creates one message, and a crash between sending and recording repeats at
most one attempt.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection

from tocsin.config.compile import RoutingConfig
from tocsin.domain.action_tokens import ActionClaim, sign
from tocsin.domain.escalation import (
    EscalationPolicy,
    Mode,
    Position,
    Reached,
    TargetKind,
    next_position,
    policy_from_snapshot,
    resolve_level,
)
from tocsin.domain.incidents import Incident, Status
from tocsin.domain.schedules import oncall_at
from tocsin.domain.users import ContactMethod, User
from tocsin.engine.runner import Again
from tocsin.notify import incident_rooms as rooms
from tocsin.notify.incident_audit import audited, row_locked, timer_incident
from tocsin.notify.messages import post
from tocsin.notify.page_texts import page_text
from tocsin.notify.runbook_links import PagedRunbook, paged
from tocsin.store import incidents as store
from tocsin.store import timers as timer_store
from tocsin.store.overrides import effective_schedules
from tocsin.store.timers import Timer

__all__ = ["ACK_TIMEOUT", "ENGINE", "ESCALATE", "PAGE_STEP", "Paging"]

ESCALATE = "incident.escalate"
PAGE_STEP = "incident.page"
ACK_TIMEOUT = "incident.ack-timeout"
#: The actor of what the engine does by itself.
ENGINE = "tocsin"
#: How long signed links in pages stay valid.
LINK_LIFETIME = timedelta(days=7)
#: Characters of SMS reply codes (no 0/O, 1/I/L).
_CODE_CHARS = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_reply_code(taken: Callable[[str], bool]) -> str:
    """A short code no open incident has (``taken(code)`` asks): four characters while
    there are few, longer when a draw keeps colliding."""
    length = 4
    while True:
        for _ in range(5):
            code = "".join(secrets.choice(_CODE_CHARS) for _ in range(length))
            if not taken(code):
                return code
        length += 1


class Paging:
    def __init__(
        self,
        routing: Callable[[], RoutingConfig | None],
        external_url: str,
        signing_key: Callable[[], bytes],
    ) -> None:
        self.routing = routing
        self.external_url = external_url.rstrip("/")
        self.signing_key = signing_key
        #: Told when a level fires: (conn, incident, policy, level from 1, now).
        self.on_level: Callable[[Connection, Incident, str, int, datetime], None] | None = None

    # -- links -------------------------------------------------------------------------------

    def link(self, incident_id: int) -> str:
        """The incident's page in the web UI (signing in first, if need be)."""
        return f"{self.external_url}/incidents/{incident_id}"

    def action_url(self, incident_id: int, user: str, action: str, now: datetime) -> str:
        token = sign(
            ActionClaim(incident_id, user, action, now + LINK_LIFETIME), self.signing_key()
        )
        return f"{self.external_url}/act/{token}"

    def runbooks(self, conn: Connection, incident_id: int) -> list[PagedRunbook]:
        """The runbooks a page about the incident names (docs/runbooks.md)."""
        return paged(conn, self.routing(), incident_id, self.external_url)

    # -- starting and stopping escalation ----------------------------------------------------

    def start(self, conn: Connection, incident_id: int, now: datetime) -> None:
        """Fire level 0 now (the engine picks the timer up at once)."""
        timer_store.schedule(conn, ESCALATE, str(incident_id), now)

    def stop(self, conn: Connection, incident_id: int) -> None:
        """No more levels and no re-trigger. Planned steps find the incident no longer
        triggered and do nothing."""
        timer_store.cancel(conn, ESCALATE, str(incident_id))
        timer_store.cancel(conn, ACK_TIMEOUT, str(incident_id))

    # -- the handlers ------------------------------------------------------------------------

    @audited("incident.escalated", incident=timer_incident, actor=ENGINE, read=row_locked)
    def escalate(self, conn: Connection, timer: Timer, now: datetime) -> Again | None:
        incident = store.get(conn, int(timer.key), lock=True)
        config = self.routing()
        if incident is None or incident.status is not Status.TRIGGERED or config is None:
            return None
        if incident.policy is None or incident.assignees:
            return None  # paged directly, no policy to climb
        snapshot = store.policy_snapshot(conn, incident.id)
        if snapshot is None:
            return None
        policy = policy_from_snapshot(snapshot)
        at: Position | None = Position(incident.loop, incident.level)
        if incident.level >= len(policy.levels):  # exhausted; "escalate now" starts a pass
            at = Position(incident.loop + 1, 0)
        oncall = self._oncall(conn, config, policy, now)
        skipped = 0
        while at is not None:
            level = policy.levels[at.level]
            counter = (
                store.rr_counter(conn, policy.name, at.level)
                if level.mode is Mode.ROUND_ROBIN
                else 0
            )
            reached = resolve_level(level, oncall, counter)
            if reached.next_counter is not None:
                store.set_rr_counter(conn, policy.name, at.level, reached.next_counter)
            for schedule in reached.gaps:
                store.add_event(
                    conn,
                    incident.id,
                    now,
                    "nobody-on-call",
                    ENGINE,
                    f"Nobody is on call for schedule {schedule} (level {at.level + 1})",
                    {"schedule": schedule, "level": at.level + 1},
                )
            if reached.users and self._fire(conn, config, incident, policy, at, reached, now):
                break
            if not reached.users:
                for channel in reached.slack_channels:  # heard of, though nobody is paged
                    self._post_channel(conn, incident, channel, at, now)
            who = "nobody who can be paged" if reached.users else "nobody"
            store.add_event(
                conn,
                incident.id,
                now,
                "level-skipped",
                ENGINE,
                f"Level {at.level + 1} reached {who}: skipped",
                {"level": at.level + 1, "loop": at.loop + 1},
            )
            skipped += 1
            if skipped >= len(policy.levels):
                self._fallback(conn, config, incident, policy, at, now)
                break
            at = next_position(policy, at)
        rooms.touch(conn, incident.id, now)  # who was paged joins the incident's room
        if at is None:
            why = "reached nobody on its last levels"
            self._exhausted(conn, incident, policy, incident.loop, why, now)
            return None
        following = next_position(policy, at)
        if following is None:
            why = (
                "has no more levels; paging continues only as each person's notification rules say"
            )
            self._exhausted(conn, incident, policy, at.loop, why, now)
            return None
        store.update_incident(
            conn,
            incident.id,
            {"level": following.level, "loop": following.loop, "updated_at": now},
        )
        return Again(now + policy.levels[at.level].delay)

    def _exhausted(
        self,
        conn: Connection,
        incident: Incident,
        policy: EscalationPolicy,
        loop: int,
        why: str,
        now: datetime,
    ) -> None:
        """No level is left to fire ("escalate now" starts another pass)."""
        store.update_incident(
            conn, incident.id, {"level": len(policy.levels), "loop": loop, "updated_at": now}
        )
        store.add_event(
            conn,
            incident.id,
            now,
            "policy-exhausted",
            ENGINE,
            f"Escalation policy {policy.name} {why}",
            {},
        )

    def oncall_now(
        self, conn: Connection, config: RoutingConfig, schedule: str, now: datetime
    ) -> str | None:
        """Who is on call for ``schedule`` at ``now`` (overrides and swaps included)."""
        found = effective_schedules(conn, config, {schedule}, ending_after=now)
        return oncall_at(found[schedule], now) if schedule in found else None

    def request_responder(
        self,
        conn: Connection,
        config: RoutingConfig,
        incident: Incident,
        user: str,
        reason: str,
        now: datetime,
    ) -> int:
        """Page ``user`` about ``incident`` because someone asked for them. While it is
        triggered their notification rules run as for any page (and stop when it is
        acknowledged); once acknowledged, their immediate rules are sent once, as a
        responder request that acknowledging does not cancel. How many methods were used."""
        tag = f"r{int(now.timestamp() * 1000)}"
        if incident.status is Status.TRIGGERED:
            return self.page_users(
                conn, config, incident, [user], Position(0, 0), reason, now, tag=tag
            )
        person = config.users.get(user)
        if person is None:
            return 0
        alerts = store.alerts_of(conn, [incident.id])[incident.id]
        subject, body = page_text(incident, alerts, reason, self.runbooks(conn, incident.id))
        rules = [r for r in person.rules_for(incident.urgency.value) if not r.delay]
        for index, rule in enumerate(rules):
            self.send(
                conn,
                incident,
                person,
                user,
                rule.method,
                subject,
                body,
                f"{tag}/{index}",
                now,
                kind="responder",
            )
        return len(rules)

    def _oncall(
        self, conn: Connection, config: RoutingConfig, policy: EscalationPolicy, now: datetime
    ) -> Callable[[str], str | None]:
        names = {
            t.name
            for level in policy.levels
            for t in level.targets
            if t.kind is TargetKind.SCHEDULE and t.name in config.schedules
        }
        schedules = effective_schedules(conn, config, names, ending_after=now) if names else {}

        def oncall(name: str) -> str | None:
            schedule = schedules.get(name)
            return oncall_at(schedule, now) if schedule is not None else None

        return oncall

    def _fire(
        self,
        conn: Connection,
        config: RoutingConfig,
        incident: Incident,
        policy: EscalationPolicy,
        at: Position,
        reached: Reached,
        now: datetime,
    ) -> int:
        """Page the level's people and post to its channels; how many people can be paged."""
        pass_note = f", pass {at.loop + 1}" if at.loop else ""
        store.add_event(
            conn,
            incident.id,
            now,
            "escalated",
            ENGINE,
            f"Level {at.level + 1}{pass_note} of {policy.name}: paging "
            + ", ".join([*reached.users, *(f"#{c}" for c in reached.slack_channels)]),
            {
                "level": at.level + 1,
                "loop": at.loop + 1,
                "users": list(reached.users),
                "slack_channels": list(reached.slack_channels),
            },
        )
        reason = f"level {at.level + 1} of {policy.name}"
        planned = self.page_users(conn, config, incident, reached.users, at, reason, now)
        if self.on_level is not None:  # remediation triggers
            self.on_level(conn, incident, policy.name, at.level + 1, now)
        for channel in reached.slack_channels:
            self._post_channel(conn, incident, channel, at, now)
        return planned

    def _fallback(
        self,
        conn: Connection,
        config: RoutingConfig,
        incident: Incident,
        policy: EscalationPolicy,
        at: Position,
        now: datetime,
    ) -> None:
        if policy.owner:
            users: tuple[str, ...] = (policy.owner,)
            who = f"its owner {policy.owner}"
        else:
            # Admins who can be reached (one made only to sign in to the web UI has no
            # contact method and is not paged).
            users = tuple(u.id for u in config.users.values() if u.admin and u.methods)
            who = "the admins " + ", ".join(users)
        if not users:
            store.add_event(
                conn,
                incident.id,
                now,
                "nobody-paged",
                ENGINE,
                f"Nobody could be paged: {policy.name} reached nobody, it has no owner and "
                "there are no admins",
                {},
            )
            return
        store.add_event(
            conn,
            incident.id,
            now,
            "fallback",
            ENGINE,
            f"{policy.name} reached nobody: paging {who}",
            {"users": list(users)},
        )
        self.page_users(conn, config, incident, users, at, f"fallback of {policy.name}", now)

    def page_users(
        self,
        conn: Connection,
        config: RoutingConfig,
        incident: Incident,
        users: Sequence[str],
        at: Position,
        reason: str,
        now: datetime,
        *,
        tag: str | None = None,
    ) -> int:
        """Plan each person's notification rules for ``incident`` from ``now``; how many of
        them can be paged (have a rule with an address). ``tag`` names a page outside the
        policy's levels (a responder someone asked for) in place of the position."""
        where = tag or f"{at.loop}/{at.level}"
        items: list[tuple[str, datetime, dict[str, Any]]] = []
        for user in users:
            person = config.users.get(user)
            if person is None:
                store.add_event(
                    conn,
                    incident.id,
                    now,
                    "notify-failed",
                    ENGINE,
                    f"Cannot page {user}: not in the configuration",
                    {"user": user},
                )
                continue
            rules = person.rules_for(incident.urgency.value)
            if not rules:
                store.add_event(
                    conn,
                    incident.id,
                    now,
                    "notify-failed",
                    ENGINE,
                    f"Cannot page {user}: no contact methods",
                    {"user": user},
                )
                continue
            for index, rule in enumerate(rules):
                key = f"{incident.id}/{incident.epoch}/{where}/{user}/{index}"
                payload = {
                    "incident": incident.id,
                    "epoch": incident.epoch,
                    "user": user,
                    "method": rule.method.value,
                    "step": f"{where}/{index}",
                    "reason": reason,
                }
                items.append((key, now + rule.delay, payload))
        for key, due, payload in items:
            timer_store.schedule(conn, PAGE_STEP, key, due, payload, replace=False)
        return len({payload["user"] for _, _, payload in items})

    def page_step(self, conn: Connection, timer: Timer, now: datetime) -> None:
        p = timer.payload
        incident = store.get(conn, int(p["incident"]))
        config = self.routing()
        if incident is None or config is None:
            return None
        if incident.status is not Status.TRIGGERED or incident.epoch != p["epoch"]:
            return None  # acknowledged (or re-triggered) since: this step is moot
        person = config.users.get(p["user"])
        method = ContactMethod(p["method"])
        alerts = store.alerts_of(conn, [incident.id])[incident.id]
        subject, body = page_text(incident, alerts, p["reason"], self.runbooks(conn, incident.id))
        self.send(conn, incident, person, p["user"], method, subject, body, p["step"], now)
        return None

    def send(
        self,
        conn: Connection,
        incident: Incident,
        person: User | None,
        user: str,
        method: ContactMethod,
        subject: str,
        body: str,
        step: str,
        now: datetime,
        *,
        kind: str = "page",
    ) -> None:
        """Put one page to one person in the outbox (once per step)."""
        address = person.address(method) if person is not None else None
        key = f"tocsin-{incident.id}-{incident.epoch}-{step}-{user}-{method}"
        person_link = not user.startswith("#")  # a person: links that act as them
        link = (
            self.action_url(incident.id, user, "open", now)
            if person_link
            else self.link(incident.id)
        )
        actions = [{"kind": "open", "label": "Open", "url": link}]
        if person_link:
            actions[:0] = [
                {
                    "kind": kind,
                    "label": label,
                    "url": self.action_url(incident.id, user, kind, now),
                }
                for kind, label in (("ack", "Acknowledge"), ("resolve", "Resolve"))
            ]
        details: dict[str, Any] = {
            "urgency": incident.urgency.value,
            "link": link,
            "reply_code": "" if user.startswith("#") else incident.reply_code,
            "idempotency_key": key,
            "actions": actions,
        }
        if method in (ContactMethod.SMS, ContactMethod.VOICE):
            details["status_url"] = (
                f"{self.external_url}/integrations/twilio/status?key={quote(key, safe='')}"
            )
        message_id = post(
            conn,
            {user: person} if person is not None else {},
            user=user,
            kind=kind,
            subject=subject,
            body=body,
            dedup=key,
            now=now,
            method=method,
            incident_id=incident.id,
            details=details,
            drill=incident.drill,
        )
        if message_id is not None and address is None:
            store.add_event(
                conn,
                incident.id,
                now,
                "notify-failed",
                ENGINE,
                f"Cannot page {user} by {method.value}: no address for it",
                {"user": user, "method": method.value},
            )

    def _post_channel(
        self, conn: Connection, incident: Incident, channel: str, at: Position, now: datetime
    ) -> None:
        alerts = store.alerts_of(conn, [incident.id])[incident.id]
        subject, body = page_text(
            incident, alerts, f"channel #{channel}", self.runbooks(conn, incident.id)
        )
        person = User(id=f"#{channel}", slack_user_id=channel)
        self.send(
            conn,
            incident,
            person,
            f"#{channel}",
            ContactMethod.SLACK,
            subject,
            body,
            f"{at.loop}/{at.level}/channel",
            now,
        )

    @audited("incident.retriggered", incident=timer_incident, actor=ENGINE, read=row_locked)
    def ack_timeout(self, conn: Connection, timer: Timer, now: datetime) -> None:
        """An acknowledgement or snooze ran out: page again from the first level."""
        incident = store.get(conn, int(timer.key), lock=True)
        if incident is None or incident.status is not Status.ACKNOWLEDGED:
            return None
        snoozed = incident.snoozed_until is not None
        self.retrigger(
            conn,
            incident,
            now,
            "snooze-ended" if snoozed else "ack-timeout",
            "The snooze ended: paging again"
            if snoozed
            else "Acknowledged but not resolved in time: paging again",
        )
        return None

    def retrigger(
        self,
        conn: Connection,
        incident: Incident,
        now: datetime,
        kind: str,
        text: str,
        actor: str = ENGINE,
    ) -> None:
        """Back to triggered, paging from the first level again; steps planned before are
        recognised as stale by the new epoch."""
        store.update_incident(
            conn,
            incident.id,
            {
                "status": Status.TRIGGERED.value,
                "epoch": incident.epoch + 1,
                "level": 0,
                "loop": 0,
                "snoozed_until": None,
                "acknowledged_at": None,
                "acknowledged_by": None,
                "updated_at": now,
            },
        )
        store.add_event(conn, incident.id, now, kind, actor, text, {})
        timer_store.cancel(conn, ACK_TIMEOUT, str(incident.id))
        rooms.touch(conn, incident.id, now)
        if incident.assignees:
            config = self.routing()
            fresh = store.get(conn, incident.id)
            if config is not None and fresh is not None:
                self.page_users(
                    conn, config, fresh, incident.assignees, Position(0, 0), "assignee", now
                )
        else:
            self.start(conn, incident.id, now)
