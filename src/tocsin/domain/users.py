"""The people Tocsin pages and puts on call: their contact methods, their personal
notification rules, their teams."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from tocsin.domain.access import Role

__all__ = ["ContactMethod", "Rule", "Team", "User", "reading_zone"]


class ContactMethod(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    VOICE = "voice"
    #: Push through ntfy (the address is a topic).
    PUSH = "push"
    #: A Slack DM (the address is a Slack user id) or a channel (its id or name).
    SLACK = "slack"
    WEBHOOK = "webhook"


@dataclass(frozen=True)
class Rule:
    """Notify over ``method`` this long after the person is paged (if still unacknowledged)."""

    method: ContactMethod
    delay: timedelta = timedelta(0)


@dataclass(frozen=True)
class User:
    #: The handle schedules and overrides name, e.g. ``ann``.
    id: str
    name: str = ""
    email: str | None = None
    #: Where the person lives: times in their messages are shown in it (else the schedule's).
    time_zone: ZoneInfo | None = None
    #: E.164, e.g. +4915112345678 (SMS and voice).
    phone: str | None = None
    slack_user_id: str | None = None
    ntfy_topic: str | None = None
    webhook_url: str | None = None
    #: Kept in step with ``role``: True exactly when the role is admin.
    admin: bool = False
    #: Personal notification rules by urgency ("high", "low"); empty: the defaults.
    rules: Mapping[str, tuple[Rule, ...]] = field(default_factory=dict)
    #: What the person may do (docs/security.md); ``admin=True`` makes it admin.
    role: Role = Role.RESPONDER

    def __post_init__(self) -> None:
        if self.admin and self.role is not Role.ADMIN:
            object.__setattr__(self, "role", Role.ADMIN)
        object.__setattr__(self, "admin", self.role is Role.ADMIN)

    @property
    def display(self) -> str:
        return self.name or self.id

    def address(self, method: ContactMethod) -> str | None:
        """Where ``method`` reaches this person (None: they have no such method)."""
        return {
            ContactMethod.EMAIL: self.email,
            ContactMethod.SMS: self.phone,
            ContactMethod.VOICE: self.phone,
            ContactMethod.PUSH: self.ntfy_topic,
            ContactMethod.SLACK: self.slack_user_id,
            ContactMethod.WEBHOOK: self.webhook_url,
        }[method]

    @property
    def methods(self) -> tuple[ContactMethod, ...]:
        """The contact methods this person has an address for."""
        return tuple(m for m in ContactMethod if self.address(m))

    def rules_for(self, urgency: str) -> tuple[Rule, ...]:
        """The person's rules for ``urgency``, else the defaults: for high urgency push, Slack
        and email at once, SMS at 1 minute and a call at 5 (each only if they have it); for
        low urgency email (else push, else Slack) at once."""
        own = self.rules.get(urgency)
        if own:
            return own
        have = set(self.methods)
        if urgency == "high":
            plan = [
                (ContactMethod.PUSH, 0),
                (ContactMethod.SLACK, 0),
                (ContactMethod.EMAIL, 0),
                (ContactMethod.WEBHOOK, 0),
                (ContactMethod.SMS, 1),
                (ContactMethod.VOICE, 5),
            ]
            return tuple(Rule(m, timedelta(minutes=d)) for m, d in plan if m in have)
        for method in (ContactMethod.EMAIL, ContactMethod.PUSH, ContactMethod.SLACK):
            if method in have:
                return (Rule(method),)
        return tuple(Rule(m) for m in self.methods[:1])


@dataclass(frozen=True)
class Team:
    name: str
    members: tuple[str, ...] = ()
    #: Members who manage the team (its policies, schedules, ...).
    managers: tuple[str, ...] = ()
    description: str = ""
    #: The services the team owns (incidents naming one belong to the team).
    services: tuple[str, ...] = ()


def reading_zone(users: Mapping[str, User], user: str, fallback: ZoneInfo) -> ZoneInfo:
    """The zone ``user`` reads times in: their own, else ``fallback`` (a schedule's)."""
    person = users.get(user)
    return (person.time_zone if person is not None else None) or fallback
