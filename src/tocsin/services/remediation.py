"""Remediation, as people use it (docs/remediation.md): the actions there are, running one
for an incident (or a dry run), approving or rejecting a dangerous run, the runs of an
incident. Each command is one transaction; the run itself happens in the engine's
``remediation.run`` job.

Approval: a person in the configuration, signed in to the web or at the CLI (not through
the API: an integration token names no person; Slack has no approve command yet) may
approve or reject a run, except the person who asked for it; an administrator may approve
their own, and the run and the timeline say "self-approved by an admin". A run a trigger
asked for may be approved by any of them. A run whose incident is resolved may no longer
be approved (409); one nobody approves within ``approval_ttl`` expires
(``notify.remediation_job``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from tocsin.config.compile import RoutingConfig
from tocsin.domain.incidents import Status
from tocsin.domain.remediation import RemediationAction, RemediationConfig, RunState
from tocsin.engine.clock import Clock
from tocsin.errors import Conflict, FieldProblem, InputError, NotFound, TocsinError
from tocsin.notify.remediation_requests import event, incident_labels, queue, request_run
from tocsin.store import incidents as incident_store
from tocsin.store import remediation_runs as runs
from tocsin.store.database import Database
from tocsin.store.remediation_runs import Run

__all__ = ["RateLimited", "RemediationService"]


class RateLimited(TocsinError):
    """A person asked for a run over the action's rate limit (HTTP 429). The run is
    recorded as ``rate_limited`` all the same."""

    def __init__(self, run: Run, frees_at: datetime) -> None:
        super().__init__(run.reason or "rate limited")
        self.run = run
        self.frees_at = frees_at


@dataclass(frozen=True)
class Approver:
    user: str
    admin: bool = False


class RemediationService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        routing: Callable[[], RoutingConfig | None],
        link: Callable[[int], str],
        wake: Callable[[], None],
    ) -> None:
        self.db = db
        self.clock = clock
        self.routing = routing
        self.link = link
        self.wake = wake

    def config(self) -> RemediationConfig:
        config = self.routing()
        return config.remediation if config is not None else RemediationConfig()

    def actions(self) -> list[RemediationAction]:
        return sorted(self.config().actions.values(), key=lambda a: a.name)

    def _person(self, user: str, field: str) -> None:
        config = self.routing()
        if config is None or user not in config.users:
            raise InputError(FieldProblem(field, f"no user {user!r} in the configuration"))

    def request(self, incident_id: int, action: str, actor: str, *, dry_run: bool) -> Run:
        """Run ``action`` for the incident (or render it only, ``dry_run``). A run over the
        rate limit is recorded and raises RateLimited."""
        config = self.routing()
        found = self.config().actions.get(action)
        if config is None or found is None:
            known = ", ".join(sorted(self.config().actions)) or "none are configured"
            raise InputError(FieldProblem("action", f"no action {action!r} ({known})"))
        now = self.clock.now()
        with self.db.write() as conn:
            incident = incident_store.get(conn, incident_id, lock=True)
            if incident is None:
                raise NotFound(f"no incident {incident_id}")
            labels, annotations = incident_labels(conn, incident_id)
            requested = request_run(
                conn,
                config.users,
                incident,
                found,
                actor,
                dry_run=dry_run,
                labels=labels,
                annotations=annotations,
                link=self.link(incident_id),
                now=now,
                approval_ttl=self.config().approval_ttl,
            )
        if requested.frees_at is not None:
            raise RateLimited(requested.run, requested.frees_at)
        self.wake()
        return requested.run

    def approve(self, run_id: int, approver: str, *, admin: bool = False) -> Run:
        return self._decide(run_id, Approver(approver, admin), approve=True)

    def reject(self, run_id: int, approver: str, *, admin: bool = False) -> Run:
        return self._decide(run_id, Approver(approver, admin), approve=False)

    def _decide(self, run_id: int, who: Approver, *, approve: bool) -> Run:
        self._person(who.user, "user")
        now = self.clock.now()
        with self.db.write() as conn:
            run = runs.get(conn, run_id)
            if run is None:
                raise NotFound(f"no remediation run {run_id}")
            if run.state is not RunState.AWAITING_APPROVAL:
                raise Conflict(f"run {run_id} is {run.state.value}, not awaiting approval")
            incident = incident_store.get(conn, run.incident_id, lock=True)
            if approve and (incident is None or incident.status is Status.RESOLVED):
                raise Conflict(
                    f"incident {run.incident_id} is resolved: run {run_id} may no longer be "
                    "approved; reject it, or reopen the incident and ask again"
                )
            own = run.requested_by == who.user
            if own and not who.admin:
                raise InputError(
                    FieldProblem("user", "the person who asked for a run cannot approve it")
                )
            state = RunState.QUEUED if approve else RunState.REJECTED
            values: dict[str, object] = {"approver": who.user, "approved_at": now}
            if not approve:
                values["finished_at"] = now
            self_approved = approve and own
            if self_approved:
                values["self_approved"] = True
            if not runs.move(conn, run_id, [RunState.AWAITING_APPROVAL], state, **values):
                raise Conflict(f"run {run_id} was decided by someone else meanwhile")
            verb = "approved" if approve else "rejected"
            text = f"{verb} by {who.user}"
            if self_approved:
                text = f"self-approved by an admin ({who.user}), who asked for it"
            event(conn, run, verb, who.user, text, now, self_approved=self_approved)
            if approve:
                queue(conn, run, now)
            decided = runs.get(conn, run_id)
        assert decided is not None
        if approve:
            self.wake()
        return decided

    def runs(self, incident_id: int | None = None, *, limit: int = 100) -> list[Run]:
        with self.db.read() as conn:
            if incident_id is not None and incident_store.get(conn, incident_id) is None:
                raise NotFound(f"no incident {incident_id}")
            return runs.runs_of(conn, incident_id, limit=limit)

    def run(self, run_id: int) -> Run:
        with self.db.read() as conn:
            found = runs.get(conn, run_id)
        if found is None:
            raise NotFound(f"no remediation run {run_id}")
        return found
