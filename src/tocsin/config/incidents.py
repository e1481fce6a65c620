"""``incidents:`` in tocsin.yaml: how alerts become incidents, and how an incident keeps its
people and stakeholders informed.

```yaml
incidents:
  severity_map: {critical: SEV1, error: SEV2, warning: SEV3, info: SEV4}
  default_severity: SEV3
  urgency: {SEV1: high, SEV2: high, SEV3: low, SEV4: low}
  auto_resolve: true          # resolve when every alert of the incident has resolved
  service_label: service
  slack:                      # a channel per serious incident (needs paging.slack)
    channel_for: [SEV1, SEV2] # made when the incident opens or is raised to one of these
    prefix: inc               # inc-20260301-checkout-errors
    private: false
    invite: [U0INCMGR]        # Slack users invited to every incident channel
    announce: C0INCIDENTS     # told of every new incident channel
    note_emoji: memo          # react with :memo: to put a message on the timeline
    pinned_notes: true        # pinned messages go on the timeline too
  teams:                      # the incident card in Microsoft Teams
    webhook_url: https://...  # an incoming webhook or a Workflows URL (or webhook_url_file)
    severities: [SEV1, SEV2]
  update_every: {SEV1: 30m, SEV2: 1h, SEV3: 4h}   # stakeholder update cadence
```
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import pydantic

from tocsin.config.durations import parse_duration
from tocsin.config.validation import Problem, validated
from tocsin.domain.incidents import ChatPolicy, IncidentPolicy, Severity, SlackRoomPolicy, Urgency

__all__ = ["compile_incident_policy"]

Keys = list[str | int]


class _Slack(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    channel_for: list[str | int] = ["SEV1", "SEV2"]
    prefix: str = pydantic.Field(default="inc", pattern=r"^[a-z0-9][a-z0-9_-]{0,20}$")
    private: bool = False
    invite: list[pydantic.constr(pattern=r"^[UW][A-Z0-9]{2,20}$")] = []  # type: ignore[valid-type]
    announce: str | None = pydantic.Field(default=None, pattern=r"^[CG][A-Z0-9]{2,20}$")
    note_emoji: str = pydantic.Field(default="memo", pattern=r"^[a-z0-9_+'-]{1,100}$")
    pinned_notes: bool = True


class _Teams(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    webhook_url: str | None = pydantic.Field(default=None, pattern=r"^https?://")
    webhook_url_file: str | None = None
    severities: list[str | int] = ["SEV1", "SEV2"]


class _Incidents(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    severity_map: dict[str, str] | None = None
    default_severity: str = "SEV3"
    urgency: dict[str, Urgency] | None = None
    auto_resolve: bool = True
    service_label: str = "service"
    slack: _Slack | None = None
    teams: _Teams | None = None
    update_every: dict[str, str] | None = None


class _Compiler:
    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.keys: Keys = ["incidents"]

    def severity(self, text: str, where: Keys) -> Severity | None:
        try:
            return Severity.parse(text)
        except ValueError as exc:
            self.problem([*self.keys, *where], str(exc))
            return None

    def severities(self, texts: list[str | int], where: Keys) -> frozenset[Severity]:
        found = (self.severity(str(t), [*where, i]) for i, t in enumerate(texts))
        return frozenset(s for s in found if s is not None)

    def slack(self, cfg: _Slack | None) -> SlackRoomPolicy | None:
        if cfg is None:
            return None
        return SlackRoomPolicy(
            severities=self.severities(cfg.channel_for, ["slack", "channel_for"]),
            prefix=cfg.prefix,
            private=cfg.private,
            invite=tuple(cfg.invite),
            announce=cfg.announce,
            note_emoji=cfg.note_emoji,
            pinned_notes=cfg.pinned_notes,
        )

    def teams(self, cfg: _Teams | None) -> tuple[frozenset[Severity], str | None]:
        if cfg is None:
            return frozenset(), None
        keys: Keys = [*self.keys, "teams"]
        url = cfg.webhook_url
        if cfg.webhook_url and cfg.webhook_url_file:
            self.problem([*keys, "webhook_url_file"], "at most one of webhook_url and its _file")
        elif cfg.webhook_url_file:
            try:
                url = Path(cfg.webhook_url_file).read_text().strip()
            except OSError as exc:
                self.problem([*keys, "webhook_url_file"], f"cannot read it: {exc.strerror}")
        if url is None:
            self.problem([*keys, "webhook_url"], "is required (or webhook_url_file)")
        elif not url.startswith(("http://", "https://")):
            self.problem([*keys, "webhook_url_file"], "does not hold an http(s) URL")
            url = None
        return self.severities(cfg.severities, ["teams", "severities"]), url

    def cadence(self, raw: dict[str, str] | None) -> dict[Severity, timedelta]:
        out: dict[Severity, timedelta] = {}
        for name, text in (raw or {}).items():
            where: Keys = ["update_every", name]
            severity = self.severity(name, where)
            try:
                every = parse_duration(str(text))
            except ValueError as exc:
                self.problem([*self.keys, *where], str(exc))
                continue
            if not timedelta(minutes=1) <= every <= timedelta(days=7):
                self.problem([*self.keys, *where], "must be between 1m and 7d")
            elif severity is not None:
                out[severity] = every
        return out


def compile_incident_policy(raw: Mapping[str, Any] | None, problem: Problem) -> IncidentPolicy:
    keys: Keys = ["incidents"]
    defaults = IncidentPolicy()
    if raw is None:
        return defaults
    cfg = validated(_Incidents, raw, keys, problem)
    if cfg is None:
        return defaults
    c = _Compiler(problem)

    def severity(text: str, where: Keys) -> Severity:
        return c.severity(text, where) or defaults.default_severity

    severity_map = defaults.severity_map
    if cfg.severity_map is not None:
        severity_map = {
            label.lower(): severity(value, ["severity_map", label])
            for label, value in cfg.severity_map.items()
        }
    urgency = dict(defaults.urgency)
    for name, value in (cfg.urgency or {}).items():
        urgency[severity(name, ["urgency", name])] = value
    teams, teams_url = c.teams(cfg.teams)
    return IncidentPolicy(
        severity_map=severity_map,
        default_severity=severity(cfg.default_severity, ["default_severity"]),
        urgency=urgency,
        auto_resolve=cfg.auto_resolve,
        service_label=cfg.service_label,
        chat=ChatPolicy(
            slack=c.slack(cfg.slack),
            teams=teams,
            teams_url=teams_url,
            update_every=c.cadence(cfg.update_every),
        ),
    )
