"""Incidents: the human workflow around alerts. Severity, urgency, roles and the lifecycle
triggered -> acknowledged -> mitigated -> resolved (with reopen), as pure rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

__all__ = [
    "ROLES",
    "Action",
    "ChatPolicy",
    "Incident",
    "IncidentPolicy",
    "Severity",
    "SlackRoomPolicy",
    "Status",
    "TransitionError",
    "Urgency",
    "severity_of",
    "transition",
]


class Severity(StrEnum):
    SEV1 = "SEV1"
    SEV2 = "SEV2"
    SEV3 = "SEV3"
    SEV4 = "SEV4"

    @classmethod
    def parse(cls, text: str) -> Severity:
        value = text.strip().upper()
        if value in {"1", "2", "3", "4"}:
            value = f"SEV{value}"
        try:
            return cls(value)
        except ValueError:
            raise ValueError(f"{text!r} is not a severity: use SEV1, SEV2, SEV3 or SEV4") from None


class Urgency(StrEnum):
    HIGH = "high"
    LOW = "low"


class Status(StrEnum):
    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"

    @property
    def is_open(self) -> bool:
        return self is not Status.RESOLVED


class Action(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    MITIGATE = "mitigate"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    #: Paging starts again: an acknowledgement timed out, a snooze ended, escalate now.
    RETRIGGER = "retrigger"


#: The roles an incident can have: commander and communications lead are one person each,
#: investigators are many.
ROLES = ("commander", "communications", "investigator")

_ALLOWED: dict[Action, tuple[frozenset[Status], Status]] = {
    Action.ACKNOWLEDGE: (frozenset({Status.TRIGGERED}), Status.ACKNOWLEDGED),
    Action.MITIGATE: (frozenset({Status.TRIGGERED, Status.ACKNOWLEDGED}), Status.MITIGATED),
    Action.RESOLVE: (
        frozenset({Status.TRIGGERED, Status.ACKNOWLEDGED, Status.MITIGATED}),
        Status.RESOLVED,
    ),
    Action.REOPEN: (frozenset({Status.RESOLVED, Status.MITIGATED}), Status.TRIGGERED),
    Action.RETRIGGER: (frozenset({Status.TRIGGERED, Status.ACKNOWLEDGED}), Status.TRIGGERED),
}


class TransitionError(ValueError):
    pass


def transition(status: Status, action: Action) -> Status:
    """The status after ``action``; TransitionError when it does not apply (e.g. resolving
    a resolved incident)."""
    allowed, after = _ALLOWED[action]
    if status not in allowed:
        raise TransitionError(f"cannot {action.value} an incident that is {status.value}")
    return after


@dataclass(frozen=True)
class SlackRoomPolicy:
    """``incidents.slack:``: when and how incident channels are made."""

    #: Severities that get a channel as soon as the incident opens (or is raised to one).
    severities: frozenset[Severity] = frozenset({Severity.SEV1, Severity.SEV2})
    prefix: str = "inc"
    private: bool = False
    #: Slack user ids invited to every incident channel (an incident-management group).
    invite: tuple[str, ...] = ()
    #: A channel told of every new incident channel.
    announce: str | None = None
    #: Reacting to a message with this emoji (its name, without colons) puts it on the
    #: incident's timeline.
    note_emoji: str = "memo"
    #: Pinning a message in the channel puts it on the timeline too.
    pinned_notes: bool = True


@dataclass(frozen=True)
class ChatPolicy:
    slack: SlackRoomPolicy | None = None
    #: ``incidents.teams.severities``: severities whose card goes to Teams.
    teams: frozenset[Severity] = frozenset()
    #: The Teams incoming webhook (or Workflows) URL the cards go to.
    teams_url: str | None = field(default=None, repr=False)
    #: How often stakeholders expect an update, per severity (missing: no cadence).
    update_every: Mapping[Severity, timedelta] = field(default_factory=dict)


@dataclass(frozen=True)
class IncidentPolicy:
    """``incidents:`` in tocsin.yaml: how alerts become incidents."""

    #: The alert's ``severity`` label -> incident severity (lower-cased keys).
    severity_map: Mapping[str, Severity] = field(
        default_factory=lambda: {
            "critical": Severity.SEV1,
            "page": Severity.SEV1,
            "error": Severity.SEV2,
            "high": Severity.SEV2,
            "warning": Severity.SEV3,
            "medium": Severity.SEV3,
            "info": Severity.SEV4,
            "low": Severity.SEV4,
        }
    )
    default_severity: Severity = Severity.SEV3
    #: Severity -> urgency (high pages with the person's high-urgency rules).
    urgency: Mapping[Severity, Urgency] = field(
        default_factory=lambda: {
            Severity.SEV1: Urgency.HIGH,
            Severity.SEV2: Urgency.HIGH,
            Severity.SEV3: Urgency.LOW,
            Severity.SEV4: Urgency.LOW,
        }
    )
    #: Resolve an incident opened from alerts when all of them have resolved.
    auto_resolve: bool = True
    #: The alert label naming the service.
    service_label: str = "service"
    #: Chat rooms, Teams cards and the update cadence.
    chat: ChatPolicy = field(default_factory=lambda: ChatPolicy())


def severity_of(labels: Mapping[str, str], policy: IncidentPolicy) -> Severity:
    """The incident severity for an alert's labels (its ``severity`` label, mapped)."""
    raw = labels.get("severity", "").strip().lower()
    if raw in policy.severity_map:
        return policy.severity_map[raw]
    try:
        return Severity.parse(raw) if raw else policy.default_severity
    except ValueError:
        return policy.default_severity


@dataclass(frozen=True)
class Incident:
    id: int
    title: str
    status: Status
    severity: Severity
    urgency: Urgency
    created_at: datetime
    service: str | None = None
    team: str | None = None
    policy: str | None = None
    summary: str = ""
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    #: commander / communications: one user; investigator: a list.
    roles: Mapping[str, object] = field(default_factory=dict)
    #: The alert group it was opened for (None: declared by hand).
    group_ident: str | None = None
    previous_id: int | None = None
    merged_into: int | None = None
    #: Escalation: the level that fires next (the number of levels: none left), in which
    #: pass; ``epoch`` counts re-triggers, so steps planned before one are recognised as
    #: stale.
    level: int = 0
    loop: int = 0
    epoch: int = 0
    snoozed_until: datetime | None = None
    #: Who is being paged directly instead of the policy (a reassignment).
    assignees: tuple[str, ...] = ()
    updated_at: datetime | None = None
    #: What people reply to an SMS with to act on it ("4 K7Q" acknowledges).
    reply_code: str = ""
    #: When stakeholders are owed the next update (None: no cadence).
    next_update_at: datetime | None = None
    #: A practice incident (docs/drills.md): every message says DRILL; no metrics count it.
    drill: bool = False

    @property
    def is_open(self) -> bool:
        return self.status.is_open
