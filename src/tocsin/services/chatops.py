"""Working an incident from Slack: the ``/tocsin`` command, the incident card's buttons, the
"Page someone" modal, and messages marked as notes (a reaction, or a pin).

Slack users are Tocsin users by ``slack_user_id``, else by the email on their Slack profile
(``users.info``). A command typed in an incident's channel acts on that incident unless it
names another (``#12``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, replace

from tocsin.channels.slack_app import SlackApp, SlackCallError
from tocsin.channels.slack_views import PAGE_CALLBACK, page_modal
from tocsin.config.compile import RoutingConfig
from tocsin.domain.access import Need
from tocsin.domain.chat_commands import HELP, Command, CommandError, Verb, parse_command
from tocsin.domain.incident_rooms import Provider
from tocsin.domain.incident_updates import UpdateParts
from tocsin.domain.incidents import Incident, Status
from tocsin.errors import Conflict, FieldProblem, InputError, NotFound, TocsinError, Unauthorized
from tocsin.integrations.slack_events import MarkedMessage, SlashCommand, Submission, slack_plain
from tocsin.integrations.slack_inbound import SlackAction
from tocsin.notify.incident_rooms import slack_app
from tocsin.services.access import require_role
from tocsin.services.incident_comms import IncidentComms
from tocsin.services.incidents import IncidentService
from tocsin.services.remediation import RemediationService
from tocsin.services.schedules import ScheduleService
from tocsin.store import incident_chats as room_store
from tocsin.store import incidents as incident_store
from tocsin.store.database import Database

__all__ = ["ChatOps", "Reply"]

#: A role as a sentence says it ("bob is now communications lead of #12").
ROLE_WORDS = {
    "commander": "commander",
    "communications": "communications lead",
    "investigator": "an investigator",
}
#: The timeline kind of a message marked in Slack.
SLACK_NOTE = "slack-note"


@dataclass(frozen=True)
class Reply:
    text: str
    #: Shown to the whole channel (else only to the person who typed it).
    public: bool = False


class ChatOps:
    def __init__(
        self,
        db: Database,
        config: Callable[[], RoutingConfig | None],
        incidents: IncidentService,
        schedules: ScheduleService,
        comms: IncidentComms,
        remediation: RemediationService | None = None,
    ) -> None:
        self.db = db
        self.config = config
        self.incidents = incidents
        self.schedules = schedules
        self.comms = comms
        self.remediation = remediation

    # -- who and where -----------------------------------------------------------------------

    def app(self) -> SlackApp:
        app = slack_app(self.config())
        if app is None:
            raise Conflict("Slack is not configured (paging.slack)")
        return app

    def person(self, slack_user_id: str) -> str:
        """The Tocsin user behind a Slack user id."""
        config = self.config()
        users = list(config.users.values()) if config is not None else []
        for user in users:
            if user.slack_user_id == slack_user_id:
                return user.id
        try:
            email = self.app().email_of(slack_user_id)
        except SlackCallError as exc:
            raise Unauthorized(
                f"Slack user {slack_user_id} is not a Tocsin user (asking Slack failed: "
                f"{exc.error})"
            ) from None
        if email:
            for user in users:
                if user.email and user.email.lower() == email.lower():
                    return user.id
        raise Unauthorized(
            f"Slack user {slack_user_id} is not a Tocsin user: no slack_user_id or email matches"
        )

    def acting(self, slack_user_id: str, need: Need = Need.RESPOND) -> str:
        """The Tocsin user behind a Slack user id, if their role allows what they ask
        (a stakeholder or viewer acts in Slack no more than in the web UI)."""
        user = self.person(slack_user_id)
        require_role(self.config(), user, need)
        return user

    def _incident_of(self, command: Command, channel_id: str) -> int:
        if command.incident is not None:
            return command.incident
        with self.db.read() as conn:
            room = room_store.by_channel(conn, channel_id)
        if room is None:
            raise InputError(
                FieldProblem(
                    "text",
                    "this channel is not an incident's: name one, e.g. "
                    f"/tocsin {command.verb.value} #12",
                )
            )
        return room.incident_id

    def _user(self, target: str, mention: bool) -> str:
        if mention:
            return self.person(target)
        config = self.config()
        if config is None or target not in config.users:
            raise InputError(FieldProblem("text", f"no user {target!r}"))
        return target

    # -- /tocsin -----------------------------------------------------------------------------

    def command(self, slash: SlashCommand) -> Reply:
        try:
            command = parse_command(slash.text)
            if command.verb is Verb.HELP:
                return Reply("Usage:\n" + HELP)
            need = Need.READ if command.verb is Verb.ONCALL else Need.RESPOND
            actor = self.acting(slash.slack_user_id, need)
            return self._run(
                replace(command, text=slack_plain(command.text)), actor, slash.channel_id
            )
        except CommandError as exc:
            return Reply(str(exc))
        except TocsinError as exc:
            return Reply(str(exc))

    def _run(self, c: Command, actor: str, channel_id: str) -> Reply:
        s = self.incidents
        if c.verb is Verb.DECLARE:
            config = self.config()
            severity = c.severity or (config.incidents.default_severity if config else None)
            made = s.declare(
                title=c.text,
                severity=str(severity or "SEV3"),
                actor=actor,
                rooms=[Provider.SLACK.value] if self._slack_rooms() else [],
            )
            return Reply(
                f"{actor} declared {made.severity.value} #{made.id}: {made.title}", public=True
            )
        if c.verb is Verb.ONCALL:
            return Reply(self._oncall(c.target))
        incident_id = self._incident_of(c, channel_id)
        done = self._act(c, incident_id, actor)
        return Reply(done, public=True)

    def _act(self, c: Command, incident_id: int, actor: str) -> str:
        s = self.incidents
        if c.verb is Verb.ACK:
            s.acknowledge(incident_id, actor, via="slack")
            return f"{actor} acknowledged #{incident_id}"
        if c.verb is Verb.MITIGATE:
            s.mitigate(incident_id, actor, note=c.text)
            return f"{actor} marked #{incident_id} mitigated" + (f": {c.text}" if c.text else "")
        if c.verb is Verb.RESOLVE:
            s.resolve(incident_id, actor, note=c.text, via="slack")
            return f"{actor} resolved #{incident_id}" + (f": {c.text}" if c.text else "")
        if c.verb is Verb.SEVERITY:
            assert c.severity is not None
            s.set_severity(incident_id, c.severity.value, actor)
            return f"{actor} set #{incident_id} to {c.severity.value}"
        if c.verb is Verb.ROLE:
            assert c.role is not None and c.target is not None
            user = self._user(c.target, c.mention)
            s.assign_role(incident_id, c.role, user, actor)
            return f"{user} is now {ROLE_WORDS[c.role]} of #{incident_id}"
        if c.verb is Verb.NOTE:
            s.add_note(incident_id, c.text, actor)
            return f"{actor} noted on #{incident_id}: {c.text}"
        if c.verb is Verb.UPDATE:
            updated, _ = self.comms.post_update(incident_id, actor, UpdateParts(message=c.text))
            due = updated.next_update_at
            return f"{actor} posted an update on #{incident_id}" + (
                f"; the next is due at {due:%H:%M} UTC" if due else ""
            )
        if c.verb is Verb.PAGE:
            assert c.target is not None
            return self._page(incident_id, actor, c.target, c.mention)
        if c.verb is Verb.CHANNEL:
            made = s.request_room(incident_id, Provider.SLACK.value, actor)
            return (
                f"{actor} asked for a channel for #{incident_id}"
                if made
                else f"#{incident_id} has a channel already"
            )
        if c.verb is Verb.RUN and self.remediation is not None:
            run = self.remediation.request(incident_id, c.text, actor, dry_run=c.dry_run)
            words = run.state.value.replace("_", " ")
            return f"{actor} asked for {run.action} on #{incident_id} (run {run.id}): {words}"
        raise InputError(FieldProblem("text", f"{c.verb.value} is not something to do here"))

    def _page(self, incident_id: int, actor: str, target: str, mention: bool) -> str:
        config = self.config()
        if not mention and config is not None and target in config.schedules:
            self.incidents.add_responder(incident_id, actor, schedule=target)
            return f"{actor} paged whoever is on call for {target} about #{incident_id}"
        user = self._user(target, mention)
        self.incidents.add_responder(incident_id, actor, user=user)
        return f"{actor} paged {user} about #{incident_id}"

    def _slack_rooms(self) -> bool:
        config = self.config()
        return config is not None and config.incidents.chat.slack is not None

    def _oncall(self, schedule: str | None) -> str:
        config = self.config()
        names = sorted(config.schedules) if config is not None else []
        if schedule is not None:
            if schedule not in names:
                raise InputError(FieldProblem("text", f"no schedule {schedule!r}"))
            names = [schedule]
        if not names:
            return "There are no schedules."
        users = config.users if config is not None else {}
        lines = []
        for name in names:
            who = self.schedules.oncall(name)
            person = users.get(who) if who else None
            lines.append(f"{name}: {person.display if person else who or 'nobody'}")
        return "On call now:\n" + "\n".join(lines)

    # -- buttons and the modal ---------------------------------------------------------------

    def button(self, action: SlackAction) -> Reply | None:
        """A button on a card or a page; None when there is nothing to say (a link button,
        or a modal opened)."""
        if action.action_id == "tocsin_open" or not action.action_id.startswith("tocsin_"):
            return None
        try:
            incident_id = int(action.value)
        except ValueError:
            return Reply(f"unknown action {action.action_id!r}")
        try:
            actor = self.acting(action.slack_user_id)
            if action.action_id == "tocsin_page":
                return self._open_page_modal(incident_id, action.trigger_id)
            incident = self._press(action.action_id, incident_id, actor)
            reply = Reply(f"Incident #{incident.id} is {incident.status.value}.")
        except TocsinError as exc:
            reply = Reply(str(exc))
        self._whisper(action, reply.text)
        return reply

    def _whisper(self, action: SlackAction, text: str) -> None:
        """Slack shows nothing of an answer to a button press: say it to the presser alone
        (best effort: the press itself was done, or refused, either way)."""
        if not action.channel_id:
            return
        with contextlib.suppress(SlackCallError, TocsinError):
            self.app().whisper(action.channel_id, action.slack_user_id, text)

    def _press(self, action_id: str, incident_id: int, actor: str) -> Incident:
        s = self.incidents
        current = s.get(incident_id)
        if action_id == "tocsin_ack":
            if current.status is not Status.TRIGGERED:
                return current  # a second press, or someone was quicker: not an error
            return s.acknowledge(incident_id, actor, via="slack")
        if action_id == "tocsin_mitigate":
            if current.status in (Status.MITIGATED, Status.RESOLVED):
                return current
            return s.mitigate(incident_id, actor)
        if action_id == "tocsin_resolve":
            if current.status is Status.RESOLVED:
                return current
            return s.resolve(incident_id, actor, via="slack")
        raise InputError(FieldProblem("action", f"unknown action {action_id!r}"))

    def _open_page_modal(self, incident_id: int, trigger_id: str | None) -> Reply | None:
        if not trigger_id:
            return Reply("Slack sent no trigger_id: use /tocsin page @someone")
        incident = self.incidents.get(incident_id)
        config = self.config()
        people = sorted(
            ((u.id, u.display) for u in (config.users.values() if config else ())),
            key=lambda p: p[1].lower(),
        )
        schedules = sorted(config.schedules) if config else []
        try:
            self.app().open_view(
                trigger_id, page_modal(incident.id, incident.title, people, schedules)
            )
        except SlackCallError as exc:
            return Reply(f"Could not open the form: {exc.error}")
        return None

    def submit(self, submission: Submission) -> dict[str, str] | None:
        """A submitted modal; errors per block (shown in the modal) or None when done."""
        if submission.callback_id != PAGE_CALLBACK:
            return None
        target = submission.values.get("who", {}).get("target", "")
        kind, _, name = target.partition(":")
        note = submission.values.get("why", {}).get("text", "").strip()
        try:
            incident_id = int(submission.private_metadata)
            actor = self.acting(submission.slack_user_id)
            if kind == "user":
                self.incidents.add_responder(incident_id, actor, user=name, note=note)
            elif kind == "schedule":
                self.incidents.add_responder(incident_id, actor, schedule=name, note=note)
            else:
                return {"who": "Choose a person or a schedule"}
        except ValueError:
            return {"who": "This form is not for an incident"}
        except TocsinError as exc:
            return {"who": str(exc)[:150]}
        return None

    # -- marked messages ---------------------------------------------------------------------

    def marked(self, mark: MarkedMessage) -> bool:
        """A message marked with the note emoji, or pinned, in an incident's channel goes
        on its timeline (once). Whether it did."""
        config = self.config()
        policy = config.incidents.chat.slack if config is not None else None
        if policy is None:
            return False
        if mark.how == "reaction" and mark.reaction != policy.note_emoji:
            return False
        if mark.how == "pin" and not policy.pinned_notes:
            return False
        with self.db.read() as conn:
            room = room_store.by_channel(conn, mark.channel_id)
            if room is None or room.state.card_ref == mark.ts:
                return False  # not an incident's channel, or Tocsin's own card
            seen = incident_store.events(conn, room.incident_id, kinds=(SLACK_NOTE,))
        if any(e.data.get("ts") == mark.ts for e in seen):
            return False  # marked twice, or Slack retried the event
        text, author = mark.text, mark.author
        if text is None:
            found = self.app().message(mark.channel_id, mark.ts)
            if found is None:
                raise NotFound(f"no message {mark.ts} in {mark.channel_id}")
            text, author = str(found.get("text", "")), found.get("user")
        text = slack_plain(text or "")
        if not text.strip():
            return False
        actor = self.acting(mark.slack_user_id)
        written = self._author(str(author)) if author else None
        by = f" (written by {written})" if written and written != actor else ""
        self.incidents.add_slack_note(
            room.incident_id, f"From Slack{by}: {text.strip()}", actor, mark.ts
        )
        return True

    def _author(self, slack_user_id: str) -> str:
        try:
            return self.person(slack_user_id)
        except Unauthorized:
            return slack_user_id
