"""Incidents as the API, the CLI, one-click links, SMS replies and Slack buttons use them:
each command one transaction, then the engine is woken for what it made due."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from tocsin.config.compile import RoutingConfig
from tocsin.domain.access import Need
from tocsin.domain.action_tokens import ActionClaim, TokenError, sign, verify
from tocsin.domain.alerts import Alert
from tocsin.domain.escalation import policy_from_snapshot
from tocsin.domain.incident_rooms import Provider
from tocsin.domain.incident_updates import UpdateParts, draft
from tocsin.domain.incidents import Incident, Severity, Status, Urgency
from tocsin.engine.clock import Clock
from tocsin.errors import Conflict, FieldProblem, Forbidden, InputError, Unauthorized
from tocsin.notify import incident_rooms as rooms
from tocsin.notify.drill_watch import DEFAULT_TIMEOUT
from tocsin.notify.drill_watch import arm as arm_drill
from tocsin.notify.incident_desk import Desk, Opening
from tocsin.notify.messages import delivery_receipt
from tocsin.notify.paging import ACK_TIMEOUT, ESCALATE, LINK_LIFETIME
from tocsin.services.access import require_role
from tocsin.store import alerts as alert_store
from tocsin.store import audit
from tocsin.store import incident_chats as room_store
from tocsin.store import incidents as store
from tocsin.store import messages as message_store
from tocsin.store.database import Database
from tocsin.store.incident_chats import ChatRow
from tocsin.store.incidents import Event, IncidentAlert
from tocsin.store.messages import Message

__all__ = ["Escalation", "IncidentDetail", "IncidentService", "IncidentView"]


@dataclass(frozen=True)
class IncidentView:
    incident: Incident
    alerts: list[IncidentAlert]
    timeline: list[Event]
    pages: list[Message]


@dataclass(frozen=True)
class Escalation:
    """Where an incident is on its escalation policy, and when the engine acts next."""

    policy: str | None
    #: The level that fires next, counting from 1 (past ``levels``: none left).
    next_level: int
    levels: int
    #: Who the next level pages (e.g. "schedule primary").
    next_targets: tuple[str, ...]
    #: When the next level fires (None: it is not planned, e.g. acknowledged).
    due_at: datetime | None
    #: When an acknowledgement (or snooze) runs out and paging starts again.
    ack_timeout_at: datetime | None


@dataclass(frozen=True)
class IncidentDetail:
    """An incident's page: its view, each linked alert as last received (labels and
    annotations, by fingerprint), and its escalation."""

    view: IncidentView
    alerts: Mapping[str, Alert]
    escalation: Escalation


class IncidentService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        config: Callable[[], RoutingConfig | None],
        desk: Desk,
        signing_key: Callable[[], bytes],
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.desk = desk
        self.signing_key = signing_key
        self.wake = wake

    def _write(self, work: Callable[[Connection, datetime], Incident]) -> Incident:
        incident = self.db.transact(lambda conn: work(conn, self.clock.now()))
        self.wake()
        return incident

    def actor(self, user: str | None, fallback: str) -> str:
        """The acting person: a configured user, when named."""
        if user is None:
            return fallback
        config = self.config()
        if config is None or user not in config.users:
            raise InputError(FieldProblem("user", f"no user {user!r} in the configuration"))
        return user

    # -- reading -----------------------------------------------------------------------------

    def incidents(
        self,
        *,
        statuses: Collection[str] | None = None,
        severities: Collection[str] | None = None,
        service: str | None = None,
        team: str | None = None,
        since: datetime | None = None,
        search: str | None = None,
        limit: int = 100,
        until: datetime | None = None,
        before_id: int | None = None,
    ) -> list[Incident]:
        for s in statuses or ():
            if s not in {x.value for x in Status}:
                raise InputError(FieldProblem("status", f"{s!r} is not a status"))
        checked = [self._severity(s, "severity").value for s in severities or ()]
        with self.db.read() as conn:
            return store.listing(
                conn,
                statuses=statuses,
                severities=checked,
                service=service,
                team=team,
                since=since,
                search=search,
                limit=limit,
                until=until,
                before_id=before_id,
            )

    def services(self) -> list[str]:
        """The services incidents have named (suggestions for a filter)."""
        with self.db.read() as conn:
            return store.services(conn)

    def get(self, incident_id: int) -> Incident:
        with self.db.read() as conn:
            return self.desk.get(conn, incident_id)

    def view(self, incident_id: int) -> IncidentView:
        with self.db.read() as conn:
            return self._view(conn, incident_id)

    def _view(self, conn: Connection, incident_id: int) -> IncidentView:
        return IncidentView(
            self.desk.get(conn, incident_id),
            store.alerts_of(conn, [incident_id])[incident_id],
            store.events(conn, incident_id),
            list(reversed(message_store.recent(conn, incident_id=incident_id, limit=500))),
        )

    def detail(self, incident_id: int) -> IncidentDetail:
        """Everything an incident's page shows, read in one transaction."""
        with self.db.read() as conn:
            view = self._view(conn, incident_id)
            incident = view.incident
            alerts = alert_store.load_heads(conn, [a.fingerprint for a in view.alerts])
            snapshot = store.policy_snapshot(conn, incident_id)
            levels = policy_from_snapshot(snapshot).levels if snapshot else ()
            targets = (
                tuple(str(t) for t in levels[incident.level].targets)
                if incident.level < len(levels)
                else ()
            )
            escalation = Escalation(
                incident.policy,
                incident.level + 1,
                len(levels),
                targets,
                store.timer_due(conn, incident_id, ESCALATE),
                store.timer_due(conn, incident_id, ACK_TIMEOUT),
            )
        return IncidentDetail(view, alerts, escalation)

    @staticmethod
    def _severity(text: str, field: str) -> Severity:
        try:
            return Severity.parse(text)
        except ValueError as exc:
            raise InputError(FieldProblem(field, str(exc))) from None

    # -- commands ----------------------------------------------------------------------------

    def declare(
        self,
        *,
        title: str,
        severity: str,
        actor: str,
        summary: str = "",
        service: str | None = None,
        team: str | None = None,
        policy: str | None = None,
        urgency: str | None = None,
        assignees: Sequence[str] = (),
        rooms: Sequence[str] = (),
        drill: bool = False,
    ) -> Incident:
        """Open an incident by hand; a ``drill`` pages like any other, every message marked
        DRILL, and ends by itself after ``drills.timeout`` (docs/drills.md)."""
        if not title.strip():
            raise InputError(FieldProblem("title", "must not be empty"))
        config = self.config()
        if policy is not None and (config is None or policy not in config.escalation_policies):
            raise InputError(FieldProblem("policy", f"no escalation policy {policy!r}"))
        if team is not None and (config is None or team not in config.teams):
            raise InputError(FieldProblem("team", f"no team {team!r}"))
        if urgency is not None and urgency not in {u.value for u in Urgency}:
            raise InputError(FieldProblem("urgency", "must be high or low"))
        opening = Opening(
            title=title.strip(),
            severity=self._severity(severity, "severity"),
            urgency=Urgency(urgency) if urgency else None,
            summary=summary,
            service=service,
            team=team,
            policy=policy,
            assignees=tuple(assignees),
            rooms=tuple(Provider(r) for r in rooms),
            drill=drill,
        )

        def work(conn: Connection, now: datetime) -> Incident:
            incident = self.desk.open(conn, opening, actor, now)
            if drill:
                timeout = config.drills.timeout if config is not None else DEFAULT_TIMEOUT
                arm_drill(conn, incident.id, now, timeout)
            return incident

        return self._write(work)

    def acknowledge(self, incident_id: int, actor: str, via: str = "api") -> Incident:
        return self._write(lambda c, now: self.desk.acknowledge(c, incident_id, actor, now, via))

    def resolve(self, incident_id: int, actor: str, note: str = "", via: str = "api") -> Incident:
        return self._write(
            lambda c, now: self.desk.resolve(c, incident_id, actor, now, note=note, via=via)
        )

    def mitigate(self, incident_id: int, actor: str, note: str = "") -> Incident:
        return self._write(lambda c, now: self.desk.mitigate(c, incident_id, actor, now, note))

    def reopen(self, incident_id: int, actor: str) -> Incident:
        return self._write(lambda c, now: self.desk.reopen(c, incident_id, actor, now))

    def escalate(self, incident_id: int, actor: str) -> Incident:
        return self._write(lambda c, now: self.desk.escalate_now(c, incident_id, actor, now))

    def snooze(self, incident_id: int, actor: str, length: timedelta) -> Incident:
        return self._write(lambda c, now: self.desk.snooze(c, incident_id, actor, now, length))

    def set_severity(self, incident_id: int, severity: str, actor: str) -> Incident:
        level = self._severity(severity, "severity")
        return self._write(lambda c, now: self.desk.set_severity(c, incident_id, level, actor, now))

    def assign_role(
        self, incident_id: int, role: str, user: str, actor: str, *, remove: bool = False
    ) -> Incident:
        return self._write(
            lambda c, now: self.desk.assign_role(
                c, incident_id, role, user, actor, now, remove=remove
            )
        )

    def add_slack_note(self, incident_id: int, text: str, actor: str, ts: str) -> Incident:
        """A Slack message someone marked: on the timeline as ``slack-note``."""
        return self._write(
            lambda c, now: self.desk.add_note(
                c, incident_id, text, actor, now, kind="slack-note", data={"ts": ts}
            )
        )

    def add_note(self, incident_id: int, text: str, actor: str) -> Incident:
        return self._write(lambda c, now: self.desk.add_note(c, incident_id, text, actor, now))

    def reassign(
        self,
        incident_id: int,
        actor: str,
        *,
        users: Sequence[str] = (),
        policy: str | None = None,
    ) -> Incident:
        return self._write(
            lambda c, now: self.desk.reassign(
                c, incident_id, actor, now, users=users, policy=policy
            )
        )

    def draft_update(self, incident_id: int) -> UpdateParts:
        """An update prefilled from the incident and its firing alerts."""
        with self.db.read() as conn:
            incident = self.desk.get(conn, incident_id)
            linked = store.alerts_of(conn, [incident_id]).get(incident_id, [])
        return draft(incident, [a.alertname for a in linked if a.firing])

    def add_responder(
        self,
        incident_id: int,
        actor: str,
        *,
        user: str | None = None,
        schedule: str | None = None,
        note: str = "",
    ) -> Incident:
        return self._write(
            lambda c, now: self.desk.add_responder(
                c, incident_id, actor, now, user=user, schedule=schedule, note=note
            )
        )

    def merge(self, source_id: int, target_id: int, actor: str) -> Incident:
        return self._write(lambda c, now: self.desk.merge(c, source_id, target_id, actor, now))

    # -- rooms: a Slack channel, a Teams card -------------------------------------------------

    def request_room(self, incident_id: int, provider: str, actor: str) -> bool:
        """Give the incident a room (``slack`` or ``teams``); False if it has one already."""
        try:
            kind = Provider(provider)
        except ValueError:
            raise InputError(FieldProblem("provider", "must be slack or teams")) from None
        config = self.config()
        chat = config.incidents.chat if config is not None else None
        if kind is Provider.SLACK and (chat is None or chat.slack is None):
            raise Conflict("incident channels need incidents.slack in the configuration")
        if kind is Provider.TEAMS and (chat is None or not chat.teams_url):
            raise Conflict("Teams cards need incidents.teams.webhook_url in the configuration")

        def work(conn: Connection, now: datetime) -> bool:
            self.desk.get(conn, incident_id)
            made = rooms.request(conn, incident_id, kind, actor, now)
            if made:
                store.add_event(
                    conn,
                    incident_id,
                    now,
                    "room-requested",
                    actor,
                    f"{actor} asked for "
                    + ("a Slack channel" if kind is Provider.SLACK else "the Teams card"),
                    {"provider": kind.value},
                )
                audit.record(
                    conn,
                    now,
                    "incident.room_requested",
                    "incident",
                    incident_id,
                    actor=actor,
                    after={"room": kind.value},
                )
            return made

        made = self.db.transact(lambda conn: work(conn, self.clock.now()))
        self.wake()
        return made

    def rooms(self, incident_id: int) -> list[ChatRow]:
        with self.db.read() as conn:
            self.desk.get(conn, incident_id)
            return room_store.for_incident(conn, incident_id)

    # -- acting from a page: signed links, SMS replies, Slack buttons -------------------------

    def claim(self, token: str) -> ActionClaim:
        """What a signed link allows; Unauthorized when it is forged, altered or expired."""
        try:
            return verify(token, self.signing_key(), self.clock.now())
        except TokenError as exc:
            raise Unauthorized(f"this link is not valid: {exc}") from None

    def link(self, incident_id: int, user: str, action: str) -> str:
        """The path of a fresh signed link (for the page an "open" link shows)."""
        expires = self.clock.now() + LINK_LIFETIME
        return "/act/" + sign(ActionClaim(incident_id, user, action, expires), self.signing_key())

    def act_by_link(self, token: str, via: str = "link") -> Incident:
        claim = self.claim(token)
        return self._act(claim.incident_id, claim.action, claim.user, via)

    def _act(self, incident_id: int, action: str, user: str, via: str) -> Incident:
        """Acknowledge or resolve for ``user``; an incident already past that stays as it
        is (a second tap on the same link is not an error). Someone whose role does not
        respond (paged as a stakeholder, or since made a viewer) cannot."""
        require_role(self.config(), user, Need.RESPOND)
        with self.db.read() as conn:
            incident = self.desk.get(conn, incident_id)
        done = {
            "ack": (Status.ACKNOWLEDGED, Status.MITIGATED, Status.RESOLVED),
            "resolve": (Status.RESOLVED,),
        }
        if action not in done:
            raise InputError(FieldProblem("action", f"{action!r} cannot be done from a page"))
        if incident.status in done[action]:
            return incident
        if action == "ack":
            return self.acknowledge(incident_id, user, via)
        return self.resolve(incident_id, user, via=via)

    def sms_reply(self, phone: str, action: str, code: str | None) -> str:
        """Act on an SMS reply from ``phone``; the text to answer with."""
        config = self.config()
        people = [u for u in (config.users.values() if config else ()) if u.phone == phone]
        if not people:
            return "Tocsin does not know this number."
        user = people[0].id
        if action == "help":
            return 'Reply "4 CODE" to acknowledge or "6 CODE" to resolve an incident.'
        with self.db.read() as conn:
            incident = store.by_reply_code(conn, code) if code else self._latest_paged(conn, user)
            paged = incident is not None and message_store.was_paged(conn, user, incident.id)
        if incident is None or not paged:
            # A code typed wrong (or late) must not act on someone else's incident.
            return (
                f"No open incident {code.upper()} paged you."
                if code
                else ("No open incident paged you.")
            )
        try:
            done = self._act(incident.id, action, user, "sms")
        except (Conflict, Forbidden) as exc:
            return str(exc)
        return f"Incident #{done.id} is {done.status.value}."

    def _latest_paged(self, conn: Connection, user: str) -> Incident | None:
        for m in message_store.recent(conn, user=user, limit=50):
            if m.kind == "page" and m.incident_id is not None:
                incident = store.get(conn, m.incident_id)
                if incident is not None and incident.is_open:
                    return incident
        return None

    def delivery_receipt(self, key: str, status: str, error: str = "") -> bool:
        """A provider's delivery report for the page with idempotency key ``key``."""
        with self.db.write() as conn:
            return delivery_receipt(conn, key, status, error, self.clock.now())

    # -- used by the API for the timeline's answer --------------------------------------------

    def open_board(self, per_severity: int) -> list[tuple[Severity, int, list[Incident]]]:
        """Per severity: how many incidents are open, and the newest ``per_severity``."""
        statuses = [s.value for s in Status if s.is_open]
        with self.db.read() as conn:
            counts = store.count_by_severity(conn, statuses)
            return [
                (
                    s,
                    counts.get(s.value, 0),
                    store.listing(conn, statuses=statuses, severities=[s.value], limit=per_severity)
                    if counts.get(s.value)
                    else [],
                )
                for s in Severity
            ]

    def recent_activity(self, limit: int = 20) -> list[Event]:
        """The newest timeline entries across incidents, newest first."""
        with self.db.read() as conn:
            return store.recent_events(conn, limit)

    def events_after(self, incident_id: int, after: int) -> list[Event]:
        with self.db.read() as conn:
            self.desk.get(conn, incident_id)
            return store.events(conn, incident_id, after=after)
