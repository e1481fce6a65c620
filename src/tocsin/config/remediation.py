"""``remediation:`` in tocsin.yaml: the actions Tocsin may run (docs/remediation.md)::

remediation:
  allowed_urls: ["https://deploy.example.com/", "http://127.0.0.1:9000/"]
  allow_private: false      # loopback / RFC 1918 names outside allowed_urls' literal IPs
  allow_link_local: false   # 169.254/16, fe80::/10 and cloud metadata services
  approval_ttl: 1h          # a dangerous run nobody approves in this long expires
  actions:
    - name: restart-api
      description: Rolling restart of the API deployment
      http: {method: POST, url: "https://deploy.example.com/restart",
             headers: {Authorization: "Bearer ${DEPLOY_TOKEN}"},
             body: '{"service": {{ labels.service | tojson }}, "incident": {{ incident.id }}}'}
      # or: command: ["/usr/local/bin/flush-cache", "--region", "eu"]
      timeout: 15s           # at most 20s: the whole call, name lookup included
      dangerous: true        # a person approves each run
      dry_run: false         # render and record, never execute
      retry: false           # run again after a crash interrupted it
      rate_limit: {runs: 3, per: 1h}
      triggers:
        matchers: ['alertname="APIHighLatency"']
        escalation: {policy: platform, level: 2}

Bodies are Jinja templates in the same sandbox (and with the same forgiving undefined) as
receivers' templates (``channels.templates``), compiled and rendered against sample data
when the file loads. URLs and commands are literal: what is allowed is known at load.
A label is text an alert's sender chose: in a JSON body write ``{{ labels.x | tojson }}``
(quoted and escaped), never ``"{{ labels.x }}"``, which a ``"`` in the label breaks out of.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import jinja2
import pydantic
from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment

from tocsin.config.validation import Problem, positive_duration, validated
from tocsin.domain.escalation import EscalationPolicy
from tocsin.domain.matchers import Matcher, parse_matchers
from tocsin.domain.remediation import (
    Command,
    EscalationTrigger,
    HttpCall,
    RateLimit,
    RemediationAction,
    RemediationConfig,
    host_refusal,
    url_allowed,
)

__all__ = ["NAMES", "BodyTemplate", "compile_remediation"]

Keys = list[str | int]
#: What a body template may use.
NAMES = frozenset({"labels", "annotations", "incident", "action", "requested_by"})
#: Longest a run may take. The engine's lease is 1 minute (``engine.runner``) and a job may
#: start up to half of it (30s) after its claim: 30s + 20s leaves 10s for recording the
#: run before another engine could claim its timer. The timeout bounds the whole run (an
#: HTTP call's name lookup, connection, request and answer; a command until it is killed).
MAX_TIMEOUT = timedelta(seconds=20)
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,99}$")
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_HEADER = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$")

# Receivers' template sandbox (channels.templates), which config may not import.
_env = SandboxedEnvironment(
    undefined=jinja2.ChainableUndefined, autoescape=False, keep_trailing_newline=False
)


def _tojson(value: Any) -> str:
    """``x | tojson``: the value as JSON, a label absent from the alert as ``""`` (Jinja's
    own filter fails on it, and a body must not fail for want of a label)."""
    if isinstance(value, jinja2.Undefined):
        value = ""
    return json.dumps(value, default=lambda v: "" if isinstance(v, jinja2.Undefined) else str(v))


_env.filters["tojson"] = _tojson
_SAMPLE: dict[str, Any] = {
    "labels": {"alertname": "Sample", "service": "api", "severity": "critical"},
    "annotations": {"summary": "A sample alert"},
    "incident": {
        "id": 1,
        "title": "Sample",
        "severity": "SEV2",
        "status": "triggered",
        "service": "api",
        "url": "http://tocsin/incidents/1",
    },
    "action": {"name": "sample", "description": ""},
    "requested_by": "ann",
}


class BodyTemplate:
    """A compiled body; ``render`` raises ValueError naming the template's problem."""

    def __init__(self, source: str) -> None:
        self.source = source
        try:
            unknown = meta.find_undeclared_variables(_env.parse(source)) - NAMES
            if unknown:
                raise ValueError(
                    f"unknown name(s) {', '.join(sorted(unknown))}; "
                    f"available: {', '.join(sorted(NAMES))}"
                )
            self._template = _env.from_string(source)
        except jinja2.TemplateError as exc:
            raise ValueError(_describe(exc)) from None
        self.render(_SAMPLE)

    def render(self, data: Mapping[str, Any]) -> str:
        try:
            return self._template.render(dict(data))
        except (jinja2.TemplateError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(_describe(exc)) from None

    def __repr__(self) -> str:
        return f"BodyTemplate({self.source!r})"


def _describe(exc: Exception) -> str:
    line = getattr(exc, "lineno", None)
    return f"template error{f' (template line {line})' if line else ''}: {exc}"


class _Strict(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")


class _Http(_Strict):
    method: str = "POST"
    url: str
    headers: dict[str, str] = {}
    body: str | None = None


class _Rate(_Strict):
    runs: int = pydantic.Field(ge=1, le=10_000)
    per: str


class _Escalation(_Strict):
    policy: str
    level: int = pydantic.Field(ge=1)


class _Triggers(_Strict):
    matchers: list[str] = []
    escalation: _Escalation | None = None


class _Action(_Strict):
    name: str
    description: str = ""
    http: _Http | None = None
    command: list[str] | None = None
    timeout: str = "10s"
    dangerous: bool = False
    dry_run: bool = False
    retry: bool = False
    rate_limit: _Rate | None = None
    triggers: _Triggers = _Triggers()


class _Remediation(_Strict):
    allowed_urls: list[str] = []
    allow_private: bool = False
    allow_link_local: bool = False
    approval_ttl: str = "1h"
    actions: list[_Action] = []


def compile_remediation(
    raw: Any, problem: Problem, policies: Mapping[str, EscalationPolicy]
) -> RemediationConfig:
    if raw is None:
        return RemediationConfig()
    keys: Keys = ["remediation"]
    cfg = validated(_Remediation, raw, keys, problem)
    if cfg is None:
        return RemediationConfig()
    for i, prefix in enumerate(cfg.allowed_urls):
        parts = urlsplit(prefix)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            problem([*keys, "allowed_urls", i], f"{prefix!r} is not an http(s) URL prefix")
    ttl = positive_duration(cfg.approval_ttl, [*keys, "approval_ttl"], problem) or timedelta(
        hours=1
    )
    actions: dict[str, RemediationAction] = {}
    for i, action in enumerate(cfg.actions):
        at: Keys = [*keys, "actions", i]
        if not _NAME.match(action.name):
            problem([*at, "name"], "must be lower case letters, digits, '-', '_' or '.'")
        elif action.name in actions:
            problem([*at, "name"], f"action {action.name!r} is not unique")
        compiled = _action(action, at, problem, cfg, policies)
        if compiled is not None:
            actions[action.name] = compiled
    return RemediationConfig(
        allowed_urls=tuple(cfg.allowed_urls),
        allow_private=cfg.allow_private,
        allow_link_local=cfg.allow_link_local,
        actions=actions,
        approval_ttl=ttl,
    )


def _action(
    cfg: _Action,
    at: Keys,
    problem: Problem,
    section: _Remediation,
    policies: Mapping[str, EscalationPolicy],
) -> RemediationAction | None:
    ok = True
    if (cfg.http is None) == (cfg.command is None):
        problem(at, "give exactly one of http or command")
        return None
    http = _http(cfg.http, [*at, "http"], problem, section) if cfg.http else None
    command = None
    if cfg.command is not None:
        if not cfg.command or not cfg.command[0].startswith("/"):
            problem([*at, "command", 0], "must be an absolute program path (no shell, no PATH)")
            ok = False
        else:
            command = Command(tuple(cfg.command))
    timeout = positive_duration(cfg.timeout, [*at, "timeout"], problem)
    if timeout is not None and timeout > MAX_TIMEOUT:
        problem([*at, "timeout"], "at most 20s (a run must finish within the engine's lease)")
    rate = None
    if cfg.rate_limit is not None:
        per = positive_duration(cfg.rate_limit.per, [*at, "rate_limit", "per"], problem)
        rate = RateLimit(cfg.rate_limit.runs, per) if per is not None else None
    matchers: list[Matcher] = []
    for j, text in enumerate(cfg.triggers.matchers):
        try:
            matchers += parse_matchers(text)
        except ValueError as exc:
            problem([*at, "triggers", "matchers", j], str(exc))
    escalation = None
    if cfg.triggers.escalation is not None:
        esc = cfg.triggers.escalation
        where = [*at, "triggers", "escalation"]
        policy = policies.get(esc.policy)
        if policy is None:
            problem([*where, "policy"], f"no escalation policy {esc.policy!r}")
        elif esc.level > len(policy.levels):
            problem([*where, "level"], f"{esc.policy} has {len(policy.levels)} level(s)")
        else:
            escalation = EscalationTrigger(esc.policy, esc.level)
    if not ok or (cfg.http is not None and http is None) or timeout is None:
        return None
    return RemediationAction(
        name=cfg.name,
        description=cfg.description,
        http=http,
        command=command,
        timeout=timeout,
        dangerous=cfg.dangerous,
        dry_run=cfg.dry_run,
        rate_limit=rate,
        retry=cfg.retry,
        matchers=tuple(matchers),
        escalation=escalation,
    )


def _http(cfg: _Http, at: Keys, problem: Problem, section: _Remediation) -> HttpCall | None:
    ok = True
    method = cfg.method.upper()
    if method not in _METHODS:
        problem([*at, "method"], f"must be one of {', '.join(_METHODS)}")
        ok = False
    parts = urlsplit(cfg.url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        problem([*at, "url"], f"{cfg.url!r} is not an http(s) URL")
        return None
    refusal = host_refusal(parts.hostname, section.allow_link_local)
    if refusal is not None:
        problem([*at, "url"], f"{refusal}; set allow_link_local to allow it")
        ok = False
    elif not url_allowed(cfg.url, section.allowed_urls):
        problem([*at, "url"], f"{cfg.url} is not under any of remediation.allowed_urls")
        ok = False
    for name in cfg.headers:
        if not _HEADER.match(name):
            problem([*at, "headers", name], "is not a valid header name")
            ok = False
    body = None
    if cfg.body is not None:
        try:
            body = BodyTemplate(cfg.body)
        except ValueError as exc:
            problem([*at, "body"], str(exc))
            ok = False
    if not ok:
        return None
    return HttpCall(method, cfg.url, tuple(cfg.headers.items()), body)
