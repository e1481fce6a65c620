"""The ``/tocsin`` chat command's grammar, vendor-neutral: the text after the command, read
into what to do.

    declare [SEV1..SEV4] <title>        open an incident (the default severity unless given)
    ack [#ID]                           acknowledge
    mitigate [#ID] [note]               mark mitigated
    resolve [#ID] [note]                resolve
    severity <SEV> [#ID]                change the severity
    role <commander|comms|investigator> <person> [#ID]
    note [#ID] <text>                   add a note to the timeline
    update [#ID] <text>                 post a stakeholder update
    page <person|schedule> [#ID]        page someone to help
    oncall [schedule]                   who is on call
    channel [#ID]                       make the incident's channel
    run <action> [dry-run] [#ID]        run a remediation action (docs/remediation.md)
    help

Without ``#ID`` a command acts on the incident whose channel it is typed in. A person is a
chat mention (``<@U0123>``, ``<@U0123|ann>``) or a Tocsin user id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from tocsin.domain.incidents import ROLES, Severity

__all__ = ["HELP", "Command", "CommandError", "Verb", "parse_command"]


class Verb(StrEnum):
    DECLARE = "declare"
    ACK = "ack"
    MITIGATE = "mitigate"
    RESOLVE = "resolve"
    SEVERITY = "severity"
    ROLE = "role"
    NOTE = "note"
    UPDATE = "update"
    PAGE = "page"
    ONCALL = "oncall"
    CHANNEL = "channel"
    RUN = "run"
    HELP = "help"


_ALIASES = {
    "acknowledge": Verb.ACK,
    "sev": Verb.SEVERITY,
    "assign": Verb.ROLE,
    "who": Verb.ONCALL,
    "on-call": Verb.ONCALL,
    "room": Verb.CHANNEL,
}
_ROLE_ALIASES = {"comms": "communications", "ic": "commander", "lead": "commander"}
_INCIDENT = re.compile(r"#?(\d{1,12})")
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")

HELP = "\n".join(line.strip() for line in __doc__.split("\n\n")[1].splitlines() if line.strip())


class CommandError(ValueError):
    """The text is not a command; the message says how to write it."""


@dataclass(frozen=True)
class Command:
    verb: Verb
    #: The incident named with ``#ID`` (None: the channel's).
    incident: int | None = None
    text: str = ""
    severity: Severity | None = None
    role: str | None = None
    #: A chat user id (from a mention) or a Tocsin user id / schedule name as typed.
    target: str | None = None
    #: Whether ``target`` is a chat user id from a mention.
    mention: bool = False
    #: ``run``: render and record only.
    dry_run: bool = False


def _take_incident(words: list[str], *, bare: bool = False) -> int | None:
    """Remove and return the first ``#ID`` among ``words`` (or a bare number first, when
    ``bare``); None when there is none."""
    for i, word in enumerate(words):
        if word.startswith("#") and _INCIDENT.fullmatch(word):
            del words[i]
            return int(word[1:])
    if bare and words and words[0].isdigit() and _INCIDENT.fullmatch(words[0]):
        return int(words.pop(0))
    return None


def _target(word: str) -> tuple[str, bool]:
    found = _MENTION.fullmatch(word)
    if found:
        return found.group(1), True
    return word.lstrip("@"), False


_HEAD = re.compile(r"\s*(\S+)(.*)", re.S)
_LEADING_ID = re.compile(r"#(\d{1,12})(?:\s+|$)(.*)", re.S)
_LEADING_SEVERITY = re.compile(r"(sev[1-4])(?:\s+|$)(.*)", re.S | re.I)


def parse_command(text: str) -> Command:
    head_and_rest = _HEAD.match(text)
    if head_and_rest is None:
        return Command(Verb.HELP)
    head, rest = head_and_rest.group(1).lower(), head_and_rest.group(2).strip()
    words = rest.split()
    verb = _ALIASES.get(head) or (Verb(head) if head in Verb.__members__.values() else None)
    if verb is None:
        raise CommandError(f"unknown command {head!r}: try /tocsin help")
    if verb in (Verb.HELP, Verb.ONCALL):
        return Command(verb, target=words[0] if words else None)
    if verb is Verb.DECLARE:
        # Only "SEV2" names a severity here: "declare 3 pods crashlooping" is a title.
        leading = _LEADING_SEVERITY.match(rest)
        severity = Severity.parse(leading.group(1)) if leading else None
        title = (leading.group(2) if leading else rest).strip()
        if not title:
            raise CommandError("declare needs a title: /tocsin declare SEV2 Checkout errors")
        return Command(verb, text=title, severity=severity)
    if verb in (Verb.ACK, Verb.CHANNEL):
        incident = _take_incident(words, bare=True)
        if words:
            raise CommandError(f"{verb.value} takes only an incident: /tocsin {verb.value} #12")
        return Command(verb, incident)
    if verb in (Verb.MITIGATE, Verb.RESOLVE, Verb.NOTE, Verb.UPDATE):
        # Free text keeps its lines; "#12" first names the incident.
        leading = _LEADING_ID.match(rest)
        incident = int(leading.group(1)) if leading else None
        body = (leading.group(2) if leading else rest).strip()
        if verb in (Verb.NOTE, Verb.UPDATE) and not body:
            raise CommandError(f"{verb.value} needs text: /tocsin {verb.value} What we know")
        return Command(verb, incident, text=body)
    if verb is Verb.SEVERITY:
        incident = _take_incident(words)
        if len(words) != 1:
            raise CommandError("severity takes one severity: /tocsin severity SEV1 [#12]")
        try:
            return Command(verb, incident, severity=Severity.parse(words[0]))
        except ValueError as exc:
            raise CommandError(str(exc)) from None
    if verb is Verb.ROLE:
        incident = _take_incident(words)
        if len(words) != 2:
            raise CommandError("role takes a role and a person: /tocsin role commander @ann")
        role = _ROLE_ALIASES.get(words[0].lower(), words[0].lower())
        if role not in ROLES:
            raise CommandError(f"{words[0]!r} is not a role: commander, comms or investigator")
        target, mention = _target(words[1])
        return Command(verb, incident, role=role, target=target, mention=mention)
    if verb is Verb.RUN:
        incident = _take_incident(words)
        dry = [w for w in words[1:] if w.lower() in ("dry-run", "dry_run", "dryrun", "--dry-run")]
        if not words or len(words) - len(dry) != 1:
            raise CommandError("run takes an action: /tocsin run restart-api [dry-run] [#12]")
        return Command(verb, incident, text=words[0], dry_run=bool(dry))
    # PAGE
    incident = _take_incident(words)
    if len(words) != 1:
        raise CommandError("page takes one person or schedule: /tocsin page @ann [#12]")
    target, mention = _target(words[0])
    return Command(verb, incident, target=target, mention=mention)
