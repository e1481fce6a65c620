"""Remediation triggers (docs/remediation.md): an action runs by itself when an alert
matching its ``triggers.matchers`` joins an incident (``notify.incident_alerts`` calls
``on_alerts`` with the alerts that just joined), or when the level of an escalation policy
named in ``triggers.escalation`` fires (``notify.paging`` calls ``on_level``). Each trigger
asks once per incident and action (a renewal, a second alert or a second pass of the
policy asks no more), in the transaction that linked the alert or fired the level; the
action's lock is taken before looking for an earlier run, so two nodes cannot both ask.
On a drill incident a trigger records a dry run: the drill shows what would have run.
Paging goes on as before: people are still paged, and a dangerous action waits for one of
them to approve it; each level that fires while a run waits tells the people it paged.

Nothing is read when no action has a trigger of that kind.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import Connection

from tocsin.config.compile import RoutingConfig
from tocsin.domain.alerts import Alert
from tocsin.domain.incidents import Incident
from tocsin.domain.remediation import EscalationTrigger, RunState
from tocsin.notify.remediation_requests import ask_responders, incident_labels, request_run
from tocsin.store import remediation_runs as runs

__all__ = ["BY_ESCALATION", "BY_MATCHERS", "RemediationTriggers"]

BY_MATCHERS = "trigger:matchers"
BY_ESCALATION = "trigger:escalation"


class RemediationTriggers:
    def __init__(
        self, routing: Callable[[], RoutingConfig | None], link: Callable[[int], str]
    ) -> None:
        self.routing = routing
        self.link = link

    def on_alerts(
        self, conn: Connection, incident: Incident, alerts: Sequence[Alert], now: datetime
    ) -> None:
        """``alerts`` joined ``incident`` (firing)."""
        config = self.routing()
        if config is None or not alerts:
            return
        for action in config.remediation.matcher_actions:
            alert = next((a for a in alerts if action.matches(a.labels)), None)
            if alert is None:
                continue
            runs.lock_action(conn, action.name)
            if runs.triggered(conn, incident.id, action.name, BY_MATCHERS):
                continue
            request_run(
                conn,
                config.users,
                incident,
                action,
                BY_MATCHERS,
                dry_run=False,
                labels=alert.labels,
                annotations=alert.annotations,
                link=self.link(incident.id),
                now=now,
                approval_ttl=config.remediation.approval_ttl,
            )

    def on_level(
        self, conn: Connection, incident: Incident, policy: str, level: int, now: datetime
    ) -> None:
        """Level ``level`` (1: the first) of ``policy`` fired for ``incident``."""
        config = self.routing()
        if config is None:
            return
        if any(a.dangerous for a in config.remediation.actions.values()):
            # Runs waiting for approval: the people this level paged are told too.
            link = self.link(incident.id)
            for run in runs.runs_of(conn, incident.id, states=[RunState.AWAITING_APPROVAL]):
                ask_responders(conn, config.users, incident, run, run.requested_by, link, now)
        fired = EscalationTrigger(policy, level)
        actions = [a for a in config.remediation.escalation_actions if a.escalation == fired]
        if not actions:
            return
        labels, annotations = incident_labels(conn, incident.id)
        for action in actions:
            runs.lock_action(conn, action.name)
            if runs.triggered(conn, incident.id, action.name, BY_ESCALATION):
                continue
            request_run(
                conn,
                config.users,
                incident,
                action,
                BY_ESCALATION,
                dry_run=False,
                labels=labels,
                annotations=annotations,
                link=self.link(incident.id),
                now=now,
                approval_ttl=config.remediation.approval_ttl,
            )
