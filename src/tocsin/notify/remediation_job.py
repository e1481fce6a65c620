"""The ``remediation.run`` job: run a queued remediation run, out of any transaction.

``prepare`` reads the run; ``perform`` first marks it ``running`` in a transaction of its own
(committed before anything is sent, so a crash part-way is known), then checks the address
(``status_webhook_guard`` with remediation's rule: the host is resolved, each address
checked, and the call pinned to a checked one) and makes the call or runs the command;
``complete`` records the outcome and its timeline entry.

A run found ``running`` when the job is claimed again was interrupted (the engine died
mid-run). Remediation is rarely idempotent (a restart, a failover), so it is not repeated
blindly: it is marked ``failed`` with the reason "interrupted", unless the action says
``retry: true``, when it runs again.

Secrets: header values' ``${NAME}`` references are read from the environment only here, at
the call; the stored request keeps the references, and any secret value the answer echoes
is masked in the stored output.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import Connection

from tocsin.config.compile import RoutingConfig
from tocsin.domain.remediation import (
    SECRET,
    Outcome,
    RemediationAction,
    RemediationConfig,
    RunState,
    address_refusal,
    command_env,
)
from tocsin.engine.clock import Clock
from tocsin.integrations.remediation_command import run_command
from tocsin.integrations.remediation_http import call
from tocsin.notify.remediation_requests import event
from tocsin.notify.status_webhook_guard import Refused, Resolver, WebhookGuard, system_resolver
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
    #: Why it must not run (interrupted, no longer configured); None: run it.
    stop: str | None = None


class RemediationJob:
    def __init__(
        self,
        routing: Callable[[], RoutingConfig | None],
        write: Callable[[], AbstractContextManager[Connection]],
        clock: Clock,
        *,
        resolve: Resolver = system_resolver,
        environ: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.routing = routing
        self.write = write
        self.clock = clock
        self.resolve = resolve
        self.environ = environ if environ is not None else os.environ
        self.transport = transport

    def prepare(self, conn: Connection, timer: Timer, now: datetime) -> _Work | None:
        run = runs.get(conn, int(timer.key))
        if run is None or run.state not in (RunState.QUEUED, RunState.RUNNING):
            return None
        config = self.routing()
        remediation = config.remediation if config is not None else RemediationConfig()
        action = remediation.actions.get(run.action)
        stop = None
        if action is None:
            stop = "the action is no longer in the configuration"
        elif run.state is RunState.RUNNING and not action.retry:
            stop = "interrupted: Tocsin stopped while it ran; not run again (retry: false)"
        return _Work(run, action, remediation, stop)

    def perform(self, work: _Work) -> Outcome | None:
        run, action = work.run, work.action
        if work.stop is not None or action is None:
            return Outcome(RunState.FAILED, reason=work.stop)
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
        request, config = work.run.request, work.config
        secrets: dict[str, str] = {}
        headers: dict[str, str] = {}
        for name, value in request.headers:
            for ref in SECRET.findall(value):
                if ref not in self.environ:
                    return Outcome(RunState.FAILED, reason=f"environment variable {ref} is not set")
                secrets[ref] = self.environ[ref]
            headers[name] = SECRET.sub(lambda m: secrets[m.group(1)], value)
        explicit = config.explicit_addresses

        def refusal(address: str) -> str | None:
            return address_refusal(
                address,
                allow_private=config.allow_private,
                allow_link_local=config.allow_link_local,
                explicit=explicit,
            )

        guard = WebhookGuard(False, self.resolve, refusal=refusal)
        assert request.url is not None and request.method is not None
        try:
            target = guard.target(request.url)
        except Refused as exc:
            return Outcome(RunState.REFUSED, reason=str(exc))
        except (OSError, UnicodeError, httpx.InvalidURL) as exc:
            return Outcome(RunState.FAILED, reason=f"the host does not resolve: {exc}")
        outcome = call(
            request.method,
            target.url,
            headers={**headers, **target.headers},
            body=request.body,
            timeout=timeout,
            extensions=target.extensions,
            transport=self.transport,
        )
        output = outcome.output
        for name, secret in secrets.items():
            if secret:
                output = output.replace(secret, f"${{{name}}}")
        return Outcome(outcome.state, outcome.result, output, outcome.reason)

    def complete(
        self, conn: Connection, timer: Timer, work: _Work, result: Outcome | None, now: datetime
    ) -> None:
        if result is None:
            return None
        run = work.run
        moved = runs.move(
            conn,
            run.id,
            [RunState.RUNNING, RunState.QUEUED],
            result.state,
            result=result.result,
            output=result.output or None,
            reason=result.reason,
            finished_at=now,
        )
        if moved:
            text = _summary(result, "exit status" if run.request.argv else "HTTP")
            event(conn, run, result.state, "tocsin", text, now, result=result.result)
        return None


def _summary(outcome: Outcome, result_is: str) -> str:
    what: dict[RunState, str] = {
        RunState.SUCCEEDED: "succeeded",
        RunState.FAILED: "failed",
        RunState.TIMED_OUT: "timed out",
        RunState.REFUSED: "refused",
    }
    text = what.get(outcome.state, outcome.state.value)
    details: list[Any] = []
    if outcome.result is not None:
        details.append(f"{result_is} {outcome.result}")
    if outcome.reason:
        details.append(outcome.reason)
    return text + (f" ({'; '.join(str(d) for d in details)})" if details else "")
