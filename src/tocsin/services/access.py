"""Principals from the configuration: a person's role and the teams they manage; which team
owns an incident, a service, a runbook (``domain.access`` decides what each may do)."""

from __future__ import annotations

from tocsin.config.compile import RoutingConfig
from tocsin.domain.access import Need, Principal, refusal
from tocsin.domain.incidents import Incident
from tocsin.errors import Forbidden

__all__ = ["incident_team", "managed_by", "person_principal", "require_role", "service_team"]


def managed_by(config: RoutingConfig | None, user: str) -> frozenset[str]:
    """The teams ``user`` manages."""
    if config is None:
        return frozenset()
    return frozenset(t.name for t in config.teams.values() if user in t.managers)


def person_principal(config: RoutingConfig | None, user: str) -> Principal | None:
    """``user`` as a principal (None: no such person)."""
    person = config.users.get(user) if config else None
    if person is None:
        return None
    assert config is not None
    teams = frozenset(t.name for t in config.teams.values() if user in t.members)
    return Principal(user, person.role, managed_by(config, user), teams, user=user)


def require_role(
    config: RoutingConfig | None, user: str, need: Need, team: str | None = None
) -> None:
    """Forbidden when ``user`` is a configured person whose role does not allow what needs
    ``need`` (to an object of ``team``), whichever way they act: the web, a token's
    ``user``, Slack, an SMS reply, a page link, the CLI's ``--as``. Someone the
    configuration does not know is not checked here (the CLI's operator)."""
    principal = person_principal(config, user)
    if principal is not None and not principal.may(need, team):
        raise Forbidden(f"{user}: {refusal(principal, need, team)}")


def service_team(config: RoutingConfig | None, service: str | None) -> str | None:
    """The team that owns ``service`` (``teams[].services``)."""
    if config is None or not service:
        return None
    for team in config.teams.values():
        if service in team.services:
            return team.name
    return None


def incident_team(config: RoutingConfig | None, incident: Incident) -> str | None:
    """The team an incident belongs to: its own, else its escalation policy's, else its
    service's owner."""
    if incident.team:
        return incident.team
    if config is not None and incident.policy:
        policy = config.escalation_policies.get(incident.policy)
        if policy is not None and policy.team:
            return policy.team
    return service_team(config, incident.service)
