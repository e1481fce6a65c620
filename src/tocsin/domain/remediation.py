"""Remediation: actions Tocsin runs to fix what an incident is about (docs/remediation.md).

An action is an HTTP call or a command, named in ``remediation:`` of tocsin.yaml. It runs
when a responder asks (incident page, API, CLI, Slack) or on a trigger (an alert matching
joins an incident; a level of an escalation policy fires). Each run is recorded; its state
moves ``awaiting_approval -> queued -> running -> succeeded | failed | timed_out``, or ends
at once as ``dry_run``, ``rate_limited``, ``refused`` or ``rejected``; a run nobody approves
within ``approval_ttl`` (or whose incident was resolved meanwhile) ends ``expired``.

Everything here is pure: which URL is allowed, which address is refused, whether a rate
limit is reached, what a run's request looks like once rendered (secrets left as their
``${NAME}`` reference, so what is stored and shown never holds one).
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol
from urllib.parse import urlsplit

from tocsin.domain.durations import duration_text
from tocsin.domain.matchers import Matcher, matches_all
from tocsin.outbound_rules import Rule

__all__ = [
    "COUNTED",
    "OUTPUT_LIMIT",
    "SECRET",
    "Command",
    "EscalationTrigger",
    "HttpCall",
    "RUNNING_GRACE",
    "RateLimit",
    "RemediationAction",
    "RemediationConfig",
    "RenderedRequest",
    "RunState",
    "Template",
    "address_refusal",
    "address_rule",
    "changed_since",
    "command_env",
    "frees_at",
    "host_refusal",
    "render_request",
    "secret_names",
    "Outcome",
    "truncate",
    "url_allowed",
]

#: Output kept of a run (the rest is cut, and says so).
OUTPUT_LIMIT = 16 * 1024
#: ``${NAME}`` in a header: the environment variable NAME, read only when the call is made.
SECRET = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
#: How long after a run started (plus its timeout) an engine that finds it still ``running``
#: takes it for interrupted: until then the engine running it may still be at work.
RUNNING_GRACE = timedelta(seconds=30)


class RunState(StrEnum):
    AWAITING_APPROVAL = "awaiting_approval"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    REFUSED = "refused"
    DRY_RUN = "dry_run"
    RATE_LIMITED = "rate_limited"
    REJECTED = "rejected"
    EXPIRED = "expired"

    @property
    def finished(self) -> bool:
        return self not in (RunState.AWAITING_APPROVAL, RunState.QUEUED, RunState.RUNNING)


#: The states that count against a rate limit: runs that ran, or will unless rejected.
COUNTED = frozenset(
    {
        RunState.AWAITING_APPROVAL,
        RunState.QUEUED,
        RunState.RUNNING,
        RunState.SUCCEEDED,
        RunState.FAILED,
        RunState.TIMED_OUT,
    }
)


@dataclass(frozen=True)
class Outcome:
    """How a run ended: its final state, the HTTP status or exit code, what it printed or
    answered (cut to ``OUTPUT_LIMIT``), and why it did not run or failed, in words."""

    state: RunState
    result: int | None = None
    output: str = ""
    reason: str | None = None


class Template(Protocol):
    """A compiled, sandboxed template (``config.remediation`` makes them)."""

    source: str

    def render(self, data: Mapping[str, Any]) -> str: ...


@dataclass(frozen=True)
class HttpCall:
    method: str
    url: str
    #: As configured: values may hold ``${NAME}`` references, expanded when the call is made.
    headers: tuple[tuple[str, str], ...] = ()
    body: Template | None = None


@dataclass(frozen=True)
class Command:
    #: An absolute program path and its arguments; no shell.
    argv: tuple[str, ...]


@dataclass(frozen=True)
class RateLimit:
    runs: int
    per: timedelta

    def __str__(self) -> str:
        return f"{self.runs} run{'s' if self.runs != 1 else ''} per {duration_text(self.per)}"


@dataclass(frozen=True)
class EscalationTrigger:
    policy: str
    #: 1 for the first level, as the timeline numbers them.
    level: int


@dataclass(frozen=True)
class RemediationAction:
    name: str
    description: str
    http: HttpCall | None
    command: Command | None
    timeout: timedelta
    dangerous: bool = False
    dry_run: bool = False
    rate_limit: RateLimit | None = None
    #: Run again after a crash interrupted it (only for actions safe to repeat).
    retry: bool = False
    #: All must match an alert joining an incident; empty: no matcher trigger.
    matchers: tuple[Matcher, ...] = ()
    escalation: EscalationTrigger | None = None

    @property
    def what(self) -> str:
        if self.http is not None:
            return f"{self.http.method} {self.http.url}"
        assert self.command is not None
        return " ".join(self.command.argv)

    def matches(self, labels: Mapping[str, str]) -> bool:
        return bool(self.matchers) and matches_all(self.matchers, labels)


@dataclass(frozen=True)
class RemediationConfig:
    allowed_urls: tuple[str, ...] = ()
    allow_private: bool = False
    allow_link_local: bool = False
    actions: Mapping[str, RemediationAction] = field(default_factory=dict)
    #: How long a dangerous run waits for approval before it expires.
    approval_ttl: timedelta = timedelta(hours=1)

    @property
    def matcher_actions(self) -> tuple[RemediationAction, ...]:
        return tuple(a for a in self.actions.values() if a.matchers)

    @property
    def escalation_actions(self) -> tuple[RemediationAction, ...]:
        return tuple(a for a in self.actions.values() if a.escalation is not None)

    @property
    def explicit_addresses(self) -> frozenset[str]:
        """IP addresses written literally in ``allowed_urls``: allowed even when private."""
        found = set()
        for url in self.allowed_urls:
            host = urlsplit(url).hostname or ""
            with contextlib.suppress(ValueError):
                found.add(str(ipaddress.ip_address(host)))
        return frozenset(found)

    def explicit_for(self, url: str) -> frozenset[str]:
        """The private address a call to ``url`` may reach: only the URL's own host, when
        it is an IP address written literally in ``allowed_urls``. A host *name* allowed
        there never reaches a private address (unless ``allow_private``), even one another
        allowed URL names literally."""
        try:
            host = str(ipaddress.ip_address((urlsplit(url).hostname or "").strip("[]")))
        except ValueError:
            return frozenset()
        return frozenset({host}) & self.explicit_addresses


def _origin_and_path(url: str) -> tuple[str, str, int | None, str] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    port = port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, parts.hostname.lower(), port, parts.path or "/"


def url_allowed(url: str, allowed: Sequence[str]) -> bool:
    """``url`` is under one of the ``allowed`` prefixes: same scheme, host and port, and a
    path that starts with the prefix's path (``/api/`` allows ``/api/x``, not ``/apix``
    unless the prefix is ``/api``)."""
    mine = _origin_and_path(url)
    if mine is None:
        return False
    for prefix in allowed:
        theirs = _origin_and_path(prefix)
        if theirs is not None and mine[:3] == theirs[:3] and mine[3].startswith(theirs[3]):
            return True
    return False


def address_rule(
    *, allow_private: bool, allow_link_local: bool, explicit: Collection[str] = ()
) -> Rule:
    """The addresses a remediation call may reach (``tocsin.outbound_rules``): link-local
    and cloud metadata ones only with ``allow_link_local``; loopback, private and other
    non-public ones only with ``allow_private`` or when written literally in
    ``allowed_urls`` (``explicit``)."""
    return Rule(
        private=allow_private,
        link_local=allow_link_local,
        explicit=frozenset(explicit),
        private_hint="; put it in allowed_urls literally or set allow_private",
        link_local_hint="; set allow_link_local to allow it",
    )


def host_refusal(host: str, allow_link_local: bool) -> str | None:
    """Why a host named literally in a URL may not be called: a metadata service's name or
    address, or a link-local address (unless allowed)."""
    return address_rule(allow_private=True, allow_link_local=allow_link_local).host_refusal(host)


def address_refusal(
    address: str,
    *,
    allow_private: bool,
    allow_link_local: bool,
    explicit: Collection[str] = (),
) -> str | None:
    """Why a resolved IP ``address`` may not be called (None: it may), by ``address_rule``.
    An IPv4 address inside IPv6 counts as the IPv4 one."""
    rule = address_rule(
        allow_private=allow_private, allow_link_local=allow_link_local, explicit=explicit
    )
    return rule.refusal(address)


def changed_since(action: RemediationAction, request: RenderedRequest) -> str | None:
    """What of ``action`` as configured now differs from the ``request`` a run was asked for
    with (None: the same call, or the same command)."""
    if action.http is not None:
        call = action.http
        if request.url is None:
            return "it is now an HTTP call, not a command"
        if (call.method, call.url) != (request.method, request.url):
            return f"it now calls {call.method} {call.url}"
        if tuple(call.headers) != tuple(request.headers):
            return "its headers changed"
        return None
    assert action.command is not None
    if tuple(action.command.argv) != tuple(request.argv):
        return f"it now runs {' '.join(action.command.argv)}"
    return None


def frees_at(
    counted: Sequence[datetime], limit: RateLimit | None, now: datetime
) -> datetime | None:
    """When a run may start again, given when the counted runs were asked for (None: now)."""
    if limit is None:
        return None
    recent = sorted(t for t in counted if t > now - limit.per)
    if len(recent) < limit.runs:
        return None
    return recent[len(recent) - limit.runs] + limit.per


def secret_names(action: RemediationAction) -> list[str]:
    if action.http is None:
        return []
    return [m for _, v in action.http.headers for m in SECRET.findall(v)]


@dataclass(frozen=True)
class RenderedRequest:
    """What a run does, rendered; headers keep their ``${NAME}`` references."""

    method: str | None = None
    url: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    body: str | None = None
    argv: tuple[str, ...] = ()

    @property
    def what(self) -> str:
        if self.url is not None:
            return f"{self.method} {self.url}"
        return " ".join(self.argv)

    def as_json(self) -> dict[str, Any]:
        if self.url is not None:
            return {
                "method": self.method,
                "url": self.url,
                "headers": {k: v for k, v in self.headers},
                "body": self.body,
            }
        return {"argv": list(self.argv)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RenderedRequest:
        if "url" in data:
            return cls(
                method=str(data["method"]),
                url=str(data["url"]),
                headers=tuple((str(k), str(v)) for k, v in dict(data["headers"]).items()),
                body=data.get("body"),
            )
        return cls(argv=tuple(str(a) for a in data.get("argv", ())))


def render_request(action: RemediationAction, data: Mapping[str, Any]) -> RenderedRequest:
    """The action's request for one run (raises the template's error when it fails)."""
    if action.http is not None:
        call = action.http
        body = call.body.render(data) if call.body is not None else None
        return RenderedRequest(call.method, call.url, call.headers, body)
    assert action.command is not None
    return RenderedRequest(argv=action.command.argv)


def command_env(
    incident_id: int, action: str, labels: Mapping[str, str], path: str
) -> dict[str, str]:
    """A command's whole environment: a PATH, the incident and action, and each label as
    ``TOCSIN_LABEL_<NAME>`` (upper case); nothing of Tocsin's own environment."""
    env = {
        "PATH": path,
        "LANG": "C.UTF-8",
        "TOCSIN_INCIDENT_ID": str(incident_id),
        "TOCSIN_ACTION": action,
    }
    for name, value in labels.items():
        env[f"TOCSIN_LABEL_{name.upper()}"] = value
    return env


def truncate(text: str, limit: int = OUTPUT_LIMIT) -> str:
    data = text.encode("utf-8", "replace")
    if len(data) <= limit:
        return text
    cut = data[:limit].decode("utf-8", "ignore")
    return cut + f"\n[... {len(data) - limit} more bytes cut]"
