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

__all__ = [
    "COUNTED",
    "METADATA_ADDRESSES",
    "METADATA_HOSTS",
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
#: Cloud metadata services: AWS/GCP/Azure/OpenStack (IPv4 and AWS's IPv6), Alibaba.
METADATA_ADDRESSES = frozenset(
    {"169.254.169.254", "fd00:ec2::254", "100.100.100.200", "169.254.170.2"}
)
METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata.goog", "metadata"})
#: How long after a run started (plus its timeout) an engine that finds it still ``running``
#: takes it for interrupted: until then the engine running it may still be at work.
RUNNING_GRACE = timedelta(seconds=30)
#: IPv6 prefixes that carry an IPv4 address in their last 32 bits: NAT64 (RFC 6052, and
#: RFC 8215's local use) and IPv4-compatible addresses (deprecated, ``::a.b.c.d``).
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
_COMPATIBLE = ipaddress.IPv6Network("::/96")


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


def host_refusal(host: str, allow_link_local: bool) -> str | None:
    """Why a host named literally in a URL may not be called: a metadata service's name or
    address, or a link-local address (unless allowed)."""
    if allow_link_local:
        return None
    name = host.lower().rstrip(".").strip("[]")
    if name in METADATA_HOSTS:
        return f"{name} is a cloud metadata service"
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        return None
    return address_refusal(str(ip), allow_private=True, allow_link_local=False)


def address_refusal(
    address: str,
    *,
    allow_private: bool,
    allow_link_local: bool,
    explicit: Collection[str] = (),
) -> str | None:
    """Why a resolved IP ``address`` may not be called (None: it may). Link-local and cloud
    metadata addresses are refused unless ``allow_link_local``; loopback, private and
    other non-public ones unless ``allow_private`` or the address is written literally in
    ``allowed_urls`` (``explicit``). An IPv4 address inside IPv6 counts as the IPv4 one."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"{address!r} is not an IP address"
    for inner in _embedded_ipv4(ip):
        reason = address_refusal(
            str(inner),
            allow_private=allow_private,
            allow_link_local=allow_link_local,
            explicit=explicit,
        )
        if reason is not None:
            return f"{ip} carries {inner}: {reason}"
    if not allow_link_local:
        if str(ip) in METADATA_ADDRESSES:
            return f"{ip} is a cloud metadata address; set allow_link_local to allow it"
        if ip.is_link_local:
            return f"{ip} is a link-local address; set allow_link_local to allow it"
    if ip.is_multicast or ip.is_unspecified:
        return f"{ip} is not an address to call"
    if allow_private or str(ip) in explicit or ip.is_link_local or str(ip) in METADATA_ADDRESSES:
        return None
    if not ip.is_global:
        kind = "loopback" if ip.is_loopback else "private"
        return f"{ip} is a {kind} address; put it in allowed_urls literally or set allow_private"
    return None


def _embedded_ipv4(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> list[Any]:
    """The IPv4 addresses an IPv6 one leads to: IPv4-mapped (``::ffff:a.b.c.d``),
    IPv4-compatible (``::a.b.c.d``), NAT64 (``64:ff9b::a.b.c.d``), 6to4 (``2002:AABB:CCDD::``)
    and Teredo (its client address)."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return []
    low = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    found: list[Any] = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip in _COMPATIBLE and int(ip) > 1:  # not :: or ::1
        found.append(low)
    if any(ip in net for net in _NAT64):
        found.append(low)
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found += list(ip.teredo)
    return found


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
