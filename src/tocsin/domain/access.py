"""Who may do what: roles, what an action needs, and who is asking (docs/security.md,
"Roles and teams").

A person has one role. Team managers are the people a team lists under ``managers``: they
manage what their team owns (runbooks, integrations, SLO gate exceptions, ...), and no other
team's. An API token acts as its owner (personal) or as itself (service), never beyond its
scope, and only on one team's objects when it names a team.

Responding is open to every responder, whichever team an incident belongs to: an incident
at night needs whoever is awake (PagerDuty's and Grafana OnCall's default). A token
restricted to a team responds only to that team's incidents.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum

__all__ = ["Need", "Principal", "Role", "Scope", "refusal"]


class Role(StrEnum):
    #: Reads incidents and the status page; cannot act.
    STAKEHOLDER = "stakeholder"
    #: Reads everything but secrets and the audit log; cannot act.
    VIEWER = "viewer"
    #: Takes pages and acts on incidents, alerts, silences and on-call shifts.
    RESPONDER = "responder"
    #: Everything, every team.
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANK[self]


class Scope(StrEnum):
    """What an API token may do (at most what its owner may)."""

    READ = "read"
    RESPOND = "respond"
    MANAGE = "manage"


class Need(IntEnum):
    """What an action needs, from least to most."""

    #: Incidents and the status page (stakeholders and up).
    STATUS = 1
    #: Everything else there is to read (viewers and up).
    READ = 2
    #: Act on incidents, alerts, silences, overrides (responders and up).
    RESPOND = 3
    #: Change what a team owns (its managers, and admins).
    MANAGE = 4
    #: People, tokens of others, the audit log, site settings (admins).
    ADMIN = 5


_RANK = {Role.STAKEHOLDER: 1, Role.VIEWER: 2, Role.RESPONDER: 3, Role.ADMIN: 5}
#: The most each role may need (a manager reaches MANAGE on their teams' objects).
_ROLE_REACH = {Role.STAKEHOLDER: Need.STATUS, Role.VIEWER: Need.READ}
_SCOPE_REACH = {Scope.READ: Need.READ, Scope.RESPOND: Need.RESPOND, Scope.MANAGE: Need.ADMIN}


@dataclass(frozen=True)
class Principal:
    """Who is asking: a signed-in person, a person's token, a service token, or the local
    operator of the CLI."""

    #: Who the audit log and timelines name: a user id, or ``token:<name>``.
    actor: str
    role: Role
    #: The teams this principal manages.
    manages: frozenset[str] = frozenset()
    #: The teams this principal is a member of (managers included).
    teams: frozenset[str] = frozenset()
    #: A token's scope (None: a signed-in person, as far as their role reaches).
    scope: Scope | None = None
    #: A token restricted to one team's objects.
    team: str | None = None
    #: The person behind it (None: a service token).
    user: str | None = None
    #: The API token it came with (its rate limit is counted per token).
    token_id: int | None = None

    @property
    def is_person(self) -> bool:
        return self.user is not None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN and self.may(Need.ADMIN)

    def may(self, need: Need, team: str | None = None) -> bool:
        """Whether this principal may do something that needs ``need`` to an object of
        ``team`` (None: an object no team owns, or no object)."""
        if self.scope is not None and need > _SCOPE_REACH[self.scope]:
            return False
        if self.team is not None and team != self.team and need >= Need.RESPOND:
            return False
        if self.role is Role.ADMIN:
            return True
        if need is Need.ADMIN:
            return False
        if need is Need.MANAGE:
            if self.role.rank < Role.RESPONDER.rank:
                return False
            if team is None:
                return False
            return team in self.manages or (self.user is None and self.team == team)
        return need <= _ROLE_REACH.get(self.role, Need.RESPOND)

    def may_change(self, team: str | None) -> bool:
        """Whether this principal may change something a team keeps together, such as a
        runbook: anyone who responds when no team owns it, else the team's members (and
        its managers, and admins)."""
        if not self.may(Need.RESPOND, team):
            return False
        if team is None or self.role is Role.ADMIN or team in self.manages:
            return True
        return team in self.teams if self.user is not None else self.team == team


def refusal(principal: Principal, need: Need, team: str | None = None) -> str:
    """Why ``principal`` may not: one sentence naming what it would take."""
    if principal.scope is not None and need > _SCOPE_REACH[principal.scope]:
        return f"this token's scope is {principal.scope.value}: it cannot {_VERB[need]}"
    if principal.team is not None and team != principal.team and need >= Need.RESPOND:
        owner = f"team {team!r}" if team else "no team"
        return f"this token is for team {principal.team!r}; this belongs to {owner}"
    if need is Need.MANAGE:
        if team is None:
            return "only an admin can change this"
        return f"only managers of team {team!r} and admins can change this"
    return f"a {principal.role.value} cannot {_VERB[need]}"


_VERB = {
    Need.STATUS: "read incidents",
    Need.READ: "read this",
    Need.RESPOND: "act on incidents, alerts or shifts",
    Need.MANAGE: "change what a team owns",
    Need.ADMIN: "do what only admins can",
}
