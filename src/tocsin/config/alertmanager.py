"""The Alertmanager configuration format, as Tocsin reads it (``tocsin.yaml`` or an existing
``alertmanager.yml``): the shapes only. Meaning and cross-references are checked in
``compile.py``."""

from __future__ import annotations

from typing import Any

import pydantic

__all__ = ["AlertmanagerConfig", "InhibitRuleConfig", "ReceiverConfig", "RouteConfig"]


class _Strict(pydantic.BaseModel):
    # Alertmanager rejects unknown keys (yaml.UnmarshalStrict); so do we, naming them.
    model_config = pydantic.ConfigDict(extra="forbid", populate_by_name=True)


class RouteConfig(_Strict):
    """A route; the last four fields are Tocsin's own."""

    receiver: str | None = None
    group_by: list[str] | None = None
    continue_: bool = pydantic.Field(default=False, alias="continue")
    match: dict[str, str] = pydantic.Field(default_factory=dict)
    match_re: dict[str, str] = pydantic.Field(default_factory=dict)
    matchers: list[str] = pydantic.Field(default_factory=list)
    group_wait: str | None = None
    group_interval: str | None = None
    repeat_interval: str | None = None
    mute_time_intervals: list[str] = pydantic.Field(default_factory=list)
    active_time_intervals: list[str] = pydantic.Field(default_factory=list)
    routes: list[RouteConfig] = pydantic.Field(default_factory=list)
    # Tocsin's noise controls (not in Alertmanager; inherited by child routes).
    send_resolved_on_silence: bool | None = None
    flap_detection: FlapDetectionConfig | None = None
    min_alerts: int | None = pydantic.Field(default=None, ge=1)
    min_firing_for: str | None = None


class FlapDetectionConfig(_Strict):
    changes: int = pydantic.Field(ge=1)
    window: str
    quiet: str
    enabled: bool = True


class ReceiverConfig(pydantic.BaseModel):
    # Receiver kinds are many (webhook_configs, slack_configs, ...); each is kept as given
    # and checked by the notifier that owns it.
    model_config = pydantic.ConfigDict(extra="allow")

    name: str = pydantic.Field(min_length=1)
    #: Tocsin: alert groups routed here open (or update) an incident on this policy.
    escalation_policy: str | None = None

    def integrations(self) -> dict[str, list[Any]]:
        extra = self.model_extra or {}
        return {k: v for k, v in extra.items() if k.endswith("_configs")}


class InhibitRuleConfig(_Strict):
    source_matchers: list[str] = pydantic.Field(default_factory=list)
    target_matchers: list[str] = pydantic.Field(default_factory=list)
    source_match: dict[str, str] = pydantic.Field(default_factory=dict)
    source_match_re: dict[str, str] = pydantic.Field(default_factory=dict)
    target_match: dict[str, str] = pydantic.Field(default_factory=dict)
    target_match_re: dict[str, str] = pydantic.Field(default_factory=dict)
    equal: list[str] = pydantic.Field(default_factory=list)


class TimeIntervalConfig(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    name: str = pydantic.Field(min_length=1)
    time_intervals: list[dict[str, Any]] = pydantic.Field(default_factory=list)


class SilenceRemindersConfig(_Strict):
    """Tocsin: remind a silence's creator, through a receiver, before the silence ends."""

    receiver: str
    before: str = "15m"


class AlertmanagerConfig(_Strict):
    global_: dict[str, Any] = pydantic.Field(default_factory=dict, alias="global")
    route: RouteConfig | None = None
    receivers: list[ReceiverConfig] = pydantic.Field(default_factory=list)
    inhibit_rules: list[InhibitRuleConfig] = pydantic.Field(default_factory=list)
    time_intervals: list[TimeIntervalConfig] = pydantic.Field(default_factory=list)
    mute_time_intervals: list[TimeIntervalConfig] = pydantic.Field(default_factory=list)
    templates: list[str] = pydantic.Field(default_factory=list)
    silence_reminders: SilenceRemindersConfig | None = None
    # Tocsin: on-call schedules (checked in schedules.py).
    schedules: list[Any] = pydantic.Field(default_factory=list)
    # Tocsin: people (users.py) and the engine's on-call duties (on_call.py).
    users: list[Any] = pydantic.Field(default_factory=list)
    on_call: dict[str, Any] | None = None
    # Tocsin: paging (users.py, escalation.py, incidents.py; ``paging`` holds the providers
    # of contact methods and is checked by the channels that use it).
    teams: list[Any] = pydantic.Field(default_factory=list)
    escalation_policies: list[Any] = pydantic.Field(default_factory=list)
    incidents: dict[str, Any] | None = None
    paging: dict[str, Any] | None = None
    # Tocsin: service level objectives (slos.py), also from Sloth and OpenSLO files.
    slos: Any = None
    slo_files: list[str] = pydantic.Field(default_factory=list)
    # Tocsin: where Prometheus SLIs are read (prometheus.py).
    prometheus: Any = None
    # Tocsin: postmortem policy and on-call health (learning.py).
    postmortems: Any = None
    reports: Any = None
    # Tocsin: issue 10 (docs/runbooks.md, docs/remediation.md, docs/heartbeats.md, docs/drills.md)
    runbooks: Any = None
    remediation: Any = None
    heartbeats: Any = None
    drills: Any = None
