"""The ``remediation.run`` job: run a queued remediation run, out of any transaction.

``prepare`` reads the run and checks it against the configuration in force now (not the one
it was asked under): an action removed, changed, or whose URL is no longer allowed is
``refused``; one now ``dry_run`` ends as a dry run; one now ``dangerous`` and not approved
goes back to waiting for approval. ``perform`` first marks it ``running`` in a transaction
of its own (committed before anything is sent, so a crash part-way is known), then checks
the address (``tocsin.outbound`` with remediation's rule, ``address_rule``: the host is
resolved, each address checked, and the connection made to a checked one) as it makes the
call, or runs the command; ``complete`` records the outcome and its timeline entry.

One deadline bounds the whole run (the action's ``timeout``, at most 20s): an HTTP call's
name lookup, connection, request and answer all run on a worker thread the job waits for
only until the deadline, so a run always ends well within the engine's lease.

A run found ``running`` when the job is claimed again is left alone until its start plus
its timeout plus ``RUNNING_GRACE`` has passed (the engine running it may still be at
work). After that it was interrupted (the engine died mid-run). Remediation is rarely
idempotent (a restart, a failover), so it is not repeated blindly: it is marked ``failed``
with the reason "interrupted", unless the action says ``retry: true``, when it runs again.

The same timer waits on a run awaiting approval: at ``approval_ttl`` after it was asked
for (or once its incident is resolved) an unapproved run ends ``expired``.

Secrets: header values' ``${NAME}`` references are read from the environment only here, at
the call; the stored request keeps the references, and any secret value the answer echoes
is masked in the stored output.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection

from tocsin.config.compile import RoutingConfig
from tocsin.config.remediation import MAX_TIMEOUT
from tocsin.domain.durations import duration_text
from tocsin.domain.incidents import Status
from tocsin.domain.remediation import (
    RUNNING_GRACE,
    SECRET,
    Outcome,
    RemediationAction,
    RemediationConfig,
    RunState,
    address_rule,
    changed_since,
    command_env,
    host_refusal,
    url_allowed,
)
from tocsin.engine.clock import Clock
from tocsin.engine.runner import Again
from tocsin.integrations.remediation_command import run_command
from tocsin.integrations.remediation_http import call
from tocsin.notify.remediation_requests import ask_responders, event
from tocsin.outbound import Guard, Resolver, system_resolver
from tocsin.store import incidents as incident_store
from tocsin.store import remediation_runs as runs
from tocsin.store.remediation_runs import Run
from tocsin.store.timers import Timer

__all__ = ["COMMAND_PATH", "RemediationJob"]

#: The PATH a command gets (its own program is an absolute path).
COMMAND_PATH = "/usr/local/bin:/usr/bin:/bin"


@dataclass(frozen=True)
class _Work:
    run: Run
    action: RemediationAction | None
    config: RemediationConfig
    #: Decided without running it: the state it moves to and why (refused, dry run, back
    #: to awaiting approval, expired, interrupted). None: run it.
    verdict: Outcome | None = None
    #: Not yet: look at the run again then (it may still be running elsewhere; it awaits
    #: approval).
    later: datetime | None = None


class RemediationJob:
    def __init__(
        self,
        routing: Callable[[], RoutingConfig | None],
        write: Callable[[], AbstractContextManager[Connection]],
        clock: Clock,
        *,
        resolve: Resolver = system_resolver,
        environ: Mapping[str, str] | None = None,
        link: Callable[[int], str] | None = None,
    ) -> None:
        self.routing = routing
        self.write = write
        self.clock = clock
        self.resolve = resolve
        self.environ = environ if environ is not None else os.environ
        self.link = link or (lambda incident_id: f"/incidents/{incident_id}")

    def prepare(self, conn: Connection, timer: Timer, now: datetime) -> _Work | None:
        run = runs.get(conn, int(timer.key))
        if run is None or run.state.finished:
            return None
        config = self.routing()
        remediation = config.remediation if config is not None else RemediationConfig()
        action = remediation.actions.get(run.action)
        if run.state is RunState.AWAITING_APPROVAL:
            return self._waiting(conn, run, action, remediation, now)
        if run.state is RunState.RUNNING:
            timeout = action.timeout if action is not None else MAX_TIMEOUT
            until = (run.started_at or run.created_at) + timeout + RUNNING_GRACE
            if now < until:  # the engine that started it may still be at work
                return _Work(run, action, remediation, later=until)
            if action is None or not action.retry:
                stop = "interrupted: Tocsin stopped while it ran; not run again (retry: false)"
                return _Work(run, action, remediation, Outcome(RunState.FAILED, reason=stop))
        return _Work(run, action, remediation, _recheck(run, action, remediation))

    def _waiting(
        self,
        conn: Connection,
        run: Run,
        action: RemediationAction | None,
        remediation: RemediationConfig,
        now: datetime,
    ) -> _Work:
        incident = incident_store.get(conn, run.incident_id)
        expires = run.created_at + remediation.approval_ttl
        if incident is None or incident.status is Status.RESOLVED:
            why = "the incident was resolved before anyone approved it"
        elif now >= expires:
            why = f"nobody approved it within {duration_text(remediation.approval_ttl)}"
        else:
            return _Work(run, action, remediation, later=expires)
        return _Work(run, action, remediation, Outcome(RunState.EXPIRED, reason=why))

    def perform(self, work: _Work) -> Outcome | None:
        run, action = work.run, work.action
        if work.later is not None:
            return None
        if work.verdict is not None or action is None:
            return work.verdict
        now = self.clock.now()
        with self.write() as conn:
            if not runs.move(conn, run.id, [run.state], RunState.RUNNING, started_at=now):
                return None  # someone else has it
            again = " again after an interruption" if run.state is RunState.RUNNING else ""
            event(conn, run, RunState.RUNNING, "tocsin", f"running{again}: {run.request.what}", now)
        timeout = action.timeout.total_seconds()
        if run.request.argv:
            env = command_env(run.incident_id, run.action, run.labels, COMMAND_PATH)
            return run_command(run.request.argv, env, timeout)
        return self._call(work, timeout)

    def _call(self, work: _Work, timeout: float) -> Outcome:
        deadline = time.monotonic() + timeout
        request, config = work.run.request, work.config
        secrets: dict[str, str] = {}
        headers: dict[str, str] = {}
        for name, value in request.headers:
            for ref in SECRET.findall(value):
                if ref not in self.environ:
                    return Outcome(RunState.FAILED, reason=f"environment variable {ref} is not set")
                secrets[ref] = self.environ[ref]
            headers[name] = SECRET.sub(lambda m: secrets[m.group(1)], value)
        assert request.url is not None and request.method is not None
        url, method = request.url, request.method
        rule = address_rule(
            allow_private=config.allow_private,
            allow_link_local=config.allow_link_local,
            explicit=config.explicit_for(url),
        )
        guard = Guard(rule, self.resolve)

        def attempt() -> Outcome:
            return call(
                method,
                url,
                headers=headers,
                body=request.body,
                timeout=timeout,
                deadline=deadline,
                guard=guard,
            )

        outcome = _within(attempt, deadline, timeout)
        output = outcome.output
        for name, secret in secrets.items():
            if secret:
                output = output.replace(secret, f"${{{name}}}")
        return Outcome(outcome.state, outcome.result, output, outcome.reason)

    def complete(
        self, conn: Connection, timer: Timer, work: _Work, result: Outcome | None, now: datetime
    ) -> Again | None:
        if work.later is not None:
            return Again(work.later)
        if result is None:
            return None
        run = work.run
        if result.state is RunState.AWAITING_APPROVAL:
            return self._back_to_approval(conn, work, result, now)
        before = (
            [RunState.AWAITING_APPROVAL]
            if result.state is RunState.EXPIRED
            else [
                RunState.RUNNING,
                RunState.QUEUED,
            ]
        )
        extra: dict[str, Any] = {"dry_run": True} if result.state is RunState.DRY_RUN else {}
        moved = runs.move(
            conn,
            run.id,
            before,
            result.state,
            result=result.result,
            output=result.output or None,
            reason=result.reason,
            finished_at=now,
            **extra,
        )
        if moved:
            text = _summary(result, "exit status" if run.request.argv else "HTTP")
            event(conn, run, result.state, "tocsin", text, now, result=result.result)
        return None

    def _back_to_approval(
        self, conn: Connection, work: _Work, result: Outcome, now: datetime
    ) -> Again | None:
        run = work.run
        if not runs.move(conn, run.id, [RunState.QUEUED], RunState.AWAITING_APPROVAL):
            return None
        event(conn, run, "requested", "tocsin", result.reason or "waiting for approval", now)
        config = self.routing()
        incident = incident_store.get(conn, run.incident_id)
        if config is not None and incident is not None:
            link = self.link(run.incident_id)
            ask_responders(conn, config.users, incident, run, run.requested_by, link, now)
        return Again(max(now, run.created_at + work.config.approval_ttl))


def _recheck(
    run: Run, action: RemediationAction | None, config: RemediationConfig
) -> Outcome | None:
    """Why the run may not run under the configuration in force now (None: it may)."""

    def refused(why: str) -> Outcome:
        return Outcome(RunState.REFUSED, reason=f"{why}; ask again if it is still wanted")

    if action is None:
        return refused("the action is no longer in the configuration")
    changed = changed_since(action, run.request)
    if changed is not None:
        return refused(f"the action changed since it was asked for: {changed}")
    url = run.request.url
    if url is not None:
        if not url_allowed(url, config.allowed_urls):
            return refused(f"{url} is no longer under remediation.allowed_urls")
        host_problem = host_refusal(urlsplit(url).hostname or "", config.allow_link_local)
        if host_problem is not None:
            return refused(host_problem)
    if action.dry_run:
        return Outcome(RunState.DRY_RUN, reason="the action is now dry_run: recorded, not run")
    if action.dangerous and run.approver is None:
        why = "the action is now dangerous: waiting for someone else to approve it"
        return Outcome(RunState.AWAITING_APPROVAL, reason=why)
    return None


def _within(attempt: Callable[[], Outcome], deadline: float, timeout: float) -> Outcome:
    """``attempt()`` on a worker thread, waited for until ``deadline`` and no longer (a name
    lookup has no timeout of its own). A late attempt is abandoned: its own per-phase
    timeouts end it soon after."""
    box: list[Outcome] = []

    def work() -> None:
        try:
            box.append(attempt())
        except Exception as exc:  # noqa: BLE001 - every failure is an outcome
            box.append(Outcome(RunState.FAILED, reason=f"the call failed: {exc}"))

    thread = threading.Thread(target=work, name="remediation-call", daemon=True)
    thread.start()
    thread.join(max(0.0, deadline - time.monotonic()))
    if box:
        return box[0]
    return Outcome(RunState.TIMED_OUT, reason=f"no answer within {timeout:g}s")


def _summary(outcome: Outcome, result_is: str) -> str:
    what: dict[RunState, str] = {
        RunState.SUCCEEDED: "succeeded",
        RunState.FAILED: "failed",
        RunState.TIMED_OUT: "timed out",
        RunState.REFUSED: "refused",
        RunState.DRY_RUN: "dry run only",
        RunState.EXPIRED: "expired",
    }
    text = what.get(outcome.state, outcome.state.value)
    details: list[Any] = []
    if outcome.result is not None:
        details.append(f"{result_is} {outcome.result}")
    if outcome.reason:
        details.append(outcome.reason)
    return text + (f" ({'; '.join(str(d) for d in details)})" if details else "")
