"""Compile a validated Alertmanager-format configuration into frozen domain objects.

Every problem is collected with where it is (file:line: key: problem) and raised together, so
``tocsin config check`` shows them all at once. The checks are Alertmanager's own.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pydantic

from tocsin.config.alertmanager import AlertmanagerConfig, InhibitRuleConfig, RouteConfig
from tocsin.config.drills import compile_drills
from tocsin.config.durations import parse_duration
from tocsin.config.escalation import compile_policies
from tocsin.config.heartbeats import compile_heartbeats
from tocsin.config.incidents import compile_incident_policy
from tocsin.config.learning import compile_health_policy, compile_postmortem_policy
from tocsin.config.on_call import OnCallPolicy, compile_on_call
from tocsin.config.prometheus import compile_prometheus
from tocsin.config.remediation import compile_remediation
from tocsin.config.runbooks import compile_runbook_policy
from tocsin.config.schedules import compile_schedules
from tocsin.config.secret_refs import KeySource, from_environment, resolve
from tocsin.config.slo_files import load_slo_files
from tocsin.config.slos import compile_slos
from tocsin.config.time_intervals import SpecError, parse_spec
from tocsin.config.users import compile_teams, compile_users
from tocsin.config.yaml_source import YamlSource, load_yaml
from tocsin.domain.drills import DrillPolicy
from tocsin.domain.escalation import EscalationPolicy
from tocsin.domain.heartbeats import Heartbeat
from tocsin.domain.incidents import IncidentPolicy
from tocsin.domain.inhibition import InhibitRule
from tocsin.domain.labels import label_name_problem
from tocsin.domain.learning_policy import HealthPolicy, PostmortemPolicy
from tocsin.domain.matchers import Matcher, MatchOp, parse_matchers
from tocsin.domain.noise import FlapPolicy, VolumePolicy
from tocsin.domain.remediation import RemediationConfig
from tocsin.domain.routing import GroupBy, Route, walk
from tocsin.domain.runbooks import RunbookPolicy
from tocsin.domain.schedules import Schedule
from tocsin.domain.slo_specs import PrometheusSource, SloSpec
from tocsin.domain.time_intervals import TimeInterval
from tocsin.domain.users import Team, User
from tocsin.errors import ConfigError

__all__ = ["RoutingConfig", "compile_config", "load_config"]

DEFAULT_GROUP_WAIT = timedelta(seconds=30)
DEFAULT_GROUP_INTERVAL = timedelta(minutes=5)
DEFAULT_REPEAT_INTERVAL = timedelta(hours=4)

Keys = list[str | int]


@dataclass(frozen=True)
class RoutingConfig:
    route: Route
    receivers: tuple[str, ...]
    inhibit_rules: tuple[InhibitRule, ...] = ()
    time_intervals: dict[str, TimeInterval] = field(default_factory=dict)
    source: str = ""
    #: Receiver integrations by receiver name, e.g. {"team-a": ["webhook_configs"]}.
    integrations: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: What the receivers hook built for each receiver (``channels.registry``: its
    #: ChannelSpecs); empty when compiled without one (routing only).
    channels: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    #: Things that load but deserve attention (file:line: key: text).
    warnings: tuple[str, ...] = ()
    #: The ``global`` section as given (secrets resolved: kept out of the repr).
    globals: Mapping[str, Any] = field(default_factory=dict, repr=False)
    #: Tocsin: (receiver, how long before the end) for silence expiry reminders.
    silence_reminders: tuple[str, timedelta] | None = None
    #: ``global.resolve_timeout`` when the file sets it.
    resolve_timeout: timedelta | None = None
    #: Tocsin: on-call schedules by name.
    schedules: Mapping[str, Schedule] = field(default_factory=dict)
    #: Tocsin: people by id.
    users: Mapping[str, User] = field(default_factory=dict)
    #: Tocsin: handoff summaries, shift reminders, coverage-gap alerts.
    on_call: OnCallPolicy = field(default_factory=OnCallPolicy)
    #: Tocsin: teams by name.
    teams: Mapping[str, Team] = field(default_factory=dict)
    #: Tocsin: escalation policies by name.
    escalation_policies: Mapping[str, EscalationPolicy] = field(default_factory=dict)
    #: Tocsin: receiver name -> the escalation policy it pages (``escalation_policy:``).
    receiver_policies: Mapping[str, str] = field(default_factory=dict)
    #: Tocsin: how alerts become incidents.
    incidents: IncidentPolicy = field(default_factory=IncidentPolicy)
    #: Service level objectives by id (``<service>-<name>``).
    slos: Mapping[str, SloSpec] = field(default_factory=dict)
    #: Where SLIs in Prometheus are read; None: nowhere (their status is unavailable).
    prometheus: PrometheusSource | None = None
    #: Tocsin: which incidents need a postmortem, by when; action item reminders.
    postmortems: PostmortemPolicy = field(default_factory=PostmortemPolicy)
    #: Tocsin: working and sleep hours and the page budget, for on-call health.
    health: HealthPolicy = field(default_factory=HealthPolicy)
    #: Tocsin: actions to run for incidents (docs/remediation.md).
    remediation: RemediationConfig = field(default_factory=RemediationConfig)
    #: What the providers hook built from ``paging:`` (``channels.providers``: the senders
    #: of SMS, voice, push, Slack and webhooks); None when compiled without one.
    providers: Any = None
    #: Tocsin: drills' timeout, scheduled drills, tabletop scenarios (docs/drills.md).
    drills: DrillPolicy = field(default_factory=DrillPolicy)
    #: Tocsin: heartbeat monitors (dead man's switches) by name (docs/heartbeats.md).
    heartbeats: Mapping[str, Heartbeat] = field(default_factory=dict)
    #: Tocsin: runbooks (their files read) and how they are kept reviewed.
    runbooks: RunbookPolicy = field(default_factory=RunbookPolicy)

    @functools.cached_property
    def routes_by_id(self) -> dict[str, Route]:
        return {r.id: r for r in walk(self.route)}


#: Builds receivers' channels from the raw ``receivers`` list and ``global`` section; reports
#: problems through the callback and returns (channels by receiver, warnings as (keys, text)).
ReceiversHook = Callable[
    [Sequence[Any], Mapping[str, Any], Callable[[list[str | int], str], None]],
    tuple[Mapping[str, tuple[Any, ...]], list[tuple[list[str | int], str]]],
]
#: Builds the contact methods' senders from the raw ``paging`` section; reports problems.
ProvidersHook = Callable[[Mapping[str, Any] | None, Callable[[list[str | int], str], None]], Any]


class _Compiler:
    def __init__(self, source: YamlSource) -> None:
        self.source = source
        self.problems: list[str] = []

    def problem(self, keys: Keys, text: str) -> None:
        self.problems.append(str(self.source.error(keys, text)))

    def duration(self, value: str | None, keys: Keys, inherited: timedelta) -> timedelta:
        if value is None:
            return inherited
        try:
            return parse_duration(value)
        except ValueError as exc:
            self.problem(keys, str(exc))
            return inherited

    def matchers(
        self,
        equal: dict[str, str],
        regex: dict[str, str],
        texts: Sequence[str],
        keys: Keys,
        names: tuple[str, str, str] = ("match", "match_re", "matchers"),
    ) -> tuple[Matcher, ...]:
        found: list[Matcher] = []
        for kind, op, pairs in ((names[0], MatchOp.EQ, equal), (names[1], MatchOp.RE, regex)):
            for name, value in pairs.items():
                problem = label_name_problem(name)
                if problem:
                    self.problem([*keys, kind, name], problem)
                    continue
                try:
                    found.append(Matcher.of(name, op, value))
                except ValueError as exc:
                    self.problem([*keys, kind, name], str(exc))
        for i, text in enumerate(texts):
            try:
                found.extend(parse_matchers(text))
            except ValueError as exc:
                self.problem([*keys, names[2], i], str(exc))
        return tuple(found)

    def group_by(self, labels: list[str] | None, keys: Keys, inherited: GroupBy) -> GroupBy:
        if not labels:  # absent or [] inherits, as in Alertmanager
            return inherited
        if "..." in labels:
            if len(labels) > 1:
                self.problem(
                    [*keys, "group_by"],
                    "cannot have wildcard group_by (`...`) and other labels at the same time",
                )
            return GroupBy(everything=True)
        seen: set[str] = set()
        for i, name in enumerate(labels):
            problem = label_name_problem(name)
            if problem:
                self.problem([*keys, "group_by", i], problem)
            if name in seen:
                self.problem([*keys, "group_by", i], f"duplicated label {name!r} in group_by")
            seen.add(name)
        return GroupBy(labels=tuple(labels))

    def route(
        self,
        cfg: RouteConfig,
        keys: Keys,
        parent: Route | None,
        path: tuple[int, ...],
        receivers: set[str],
        intervals: set[str],
    ) -> Route:
        matchers = self.matchers(cfg.match, cfg.match_re, cfg.matchers, keys)
        receiver = cfg.receiver or (parent.receiver if parent else "")
        if cfg.receiver is not None and cfg.receiver not in receivers:
            self.problem([*keys, "receiver"], f"undefined receiver {cfg.receiver!r} used in route")
        for kind in ("mute_time_intervals", "active_time_intervals"):
            for i, name in enumerate(getattr(cfg, kind)):
                if name not in intervals:
                    self.problem(
                        [*keys, kind, i], f"undefined time interval {name!r} used in route"
                    )
        group_interval = self.duration(
            cfg.group_interval,
            [*keys, "group_interval"],
            parent.group_interval if parent else DEFAULT_GROUP_INTERVAL,
        )
        repeat_interval = self.duration(
            cfg.repeat_interval,
            [*keys, "repeat_interval"],
            parent.repeat_interval if parent else DEFAULT_REPEAT_INTERVAL,
        )
        if group_interval == timedelta(0):
            self.problem([*keys, "group_interval"], "group_interval cannot be zero")
        if repeat_interval == timedelta(0):
            self.problem([*keys, "repeat_interval"], "repeat_interval cannot be zero")
        own = "{" + ",".join(str(m) for m in sorted(matchers, key=str)) + "}"
        flap = parent.flap_detection if parent else None
        if cfg.flap_detection is not None:
            f = cfg.flap_detection
            flap = (
                FlapPolicy(
                    f.changes,
                    self.duration(f.window, [*keys, "flap_detection", "window"], timedelta(0)),
                    self.duration(f.quiet, [*keys, "flap_detection", "quiet"], timedelta(0)),
                )
                if f.enabled
                else None
            )
        volume = parent.volume if parent else VolumePolicy()
        if cfg.min_alerts is not None or cfg.min_firing_for is not None:
            volume = VolumePolicy(
                cfg.min_alerts if cfg.min_alerts is not None else volume.min_alerts,
                self.duration(cfg.min_firing_for, [*keys, "min_firing_for"], volume.min_firing_for),
            )
        route = Route(
            receiver=receiver,
            group_by=self.group_by(cfg.group_by, keys, parent.group_by if parent else GroupBy()),
            group_wait=self.duration(
                cfg.group_wait,
                [*keys, "group_wait"],
                parent.group_wait if parent else DEFAULT_GROUP_WAIT,
            ),
            group_interval=group_interval,
            repeat_interval=repeat_interval,
            matchers=matchers,
            continue_=cfg.continue_,
            mute_time_intervals=tuple(cfg.mute_time_intervals),
            active_time_intervals=tuple(cfg.active_time_intervals),
            key=f"{parent.key}/{own}" if parent else "{}",
            id=f"{parent.id}/{own}{path[-1]}" if parent else "{}",
            send_resolved_on_silence=(
                cfg.send_resolved_on_silence
                if cfg.send_resolved_on_silence is not None
                else (parent.send_resolved_on_silence if parent else False)
            ),
            flap_detection=flap,
            volume=volume,
        )
        children = tuple(
            self.route(child, [*keys, "routes", i], route, (*path, i), receivers, intervals)
            for i, child in enumerate(cfg.routes)
        )
        return Route(**{**route.__dict__, "routes": children})

    def inhibit_rule(self, cfg: InhibitRuleConfig, keys: Keys) -> InhibitRule:
        source = self.matchers(
            cfg.source_match,
            cfg.source_match_re,
            cfg.source_matchers,
            keys,
            ("source_match", "source_match_re", "source_matchers"),
        )
        target = self.matchers(
            cfg.target_match,
            cfg.target_match_re,
            cfg.target_matchers,
            keys,
            ("target_match", "target_match_re", "target_matchers"),
        )
        for i, name in enumerate(cfg.equal):
            problem = label_name_problem(name)
            if problem:
                self.problem([*keys, "equal", i], problem)
        return InhibitRule(source, target, tuple(cfg.equal))


def compile_config(
    source: YamlSource,
    *,
    receivers_hook: ReceiversHook | None = None,
    providers_hook: ProvidersHook | None = None,
) -> RoutingConfig:
    """Validate and compile; ConfigError listing every problem with file:line: key."""
    if not isinstance(source.data, dict):
        raise source.error([], "must be a mapping with route and receivers")
    try:
        cfg = AlertmanagerConfig.model_validate(source.data)
    except pydantic.ValidationError as exc:
        raise source.validation_error(exc) from None
    c = _Compiler(source)
    receivers: set[str] = set()
    for i, receiver in enumerate(cfg.receivers):
        if receiver.name in receivers:
            c.problem(
                ["receivers", i, "name"],
                f"notification config name {receiver.name!r} is not unique",
            )
        receivers.add(receiver.name)
    intervals: dict[str, TimeInterval] = {}
    for kind in ("time_intervals", "mute_time_intervals"):
        for i, interval in enumerate(getattr(cfg, kind)):
            if interval.name in intervals:
                c.problem([kind, i, "name"], f"time interval {interval.name!r} is not unique")
            specs = []
            for j, raw in enumerate(interval.time_intervals):
                try:
                    specs.append(parse_spec(raw))
                except SpecError as exc:
                    c.problem([kind, i, "time_intervals", j, *exc.keys], str(exc))
            intervals[interval.name] = TimeInterval(interval.name, tuple(specs))
    if cfg.route is None:
        raise source.error(["route"], "no route provided in config")
    root = cfg.route
    if not root.receiver:
        c.problem(["route", "receiver"], "root route must specify a default receiver")
    if root.match or root.match_re or root.matchers:
        c.problem(["route"], "root route must not have any matchers")
    if root.continue_:
        c.problem(["route", "continue"], "cannot have continue in root route")
    if root.mute_time_intervals or root.active_time_intervals:
        c.problem(["route"], "root route must not have any mute or active time intervals")
    route = c.route(root, ["route"], None, (), receivers, set(intervals))
    rules = tuple(c.inhibit_rule(r, ["inhibit_rules", i]) for i, r in enumerate(cfg.inhibit_rules))
    reminders = None
    if cfg.silence_reminders is not None:
        r = cfg.silence_reminders
        if r.receiver not in receivers:
            c.problem(["silence_reminders", "receiver"], f"undefined receiver {r.receiver!r}")
        before = c.duration(r.before, ["silence_reminders", "before"], timedelta(minutes=15))
        reminders = (r.receiver, before)
    resolve_timeout = None
    if "resolve_timeout" in cfg.global_:
        resolve_timeout = c.duration(
            str(cfg.global_["resolve_timeout"]), ["global", "resolve_timeout"], timedelta(0)
        )
    users = compile_users(cfg.users, c.problem)
    schedules = compile_schedules(cfg.schedules, c.problem, users)
    on_call = compile_on_call(cfg.on_call, c.problem)
    teams = compile_teams(cfg.teams, c.problem, users)
    for i, raw in enumerate(cfg.schedules):
        team = raw.get("team") if isinstance(raw, dict) else None
        if isinstance(team, str) and team not in teams:
            c.problem(["schedules", i, "team"], f"no team {team!r} in teams")
    policies = compile_policies(cfg.escalation_policies, c.problem, users, schedules, teams)
    receiver_policies: dict[str, str] = {}
    for i, receiver in enumerate(cfg.receivers):
        if receiver.escalation_policy is None:
            continue
        if receiver.escalation_policy not in policies:
            c.problem(
                ["receivers", i, "escalation_policy"],
                f"no escalation policy {receiver.escalation_policy!r} in escalation_policies",
            )
        receiver_policies[receiver.name] = receiver.escalation_policy
    incident_policy = compile_incident_policy(cfg.incidents, c.problem)
    slos = dict(compile_slos(cfg.slos, c.problem))
    for slo_id, spec in load_slo_files(cfg.slo_files, source.base, c.problems.append).items():
        if slo_id in slos:
            c.problem(["slo_files"], f"SLO {slo_id!r} is also in slos:")
        slos[slo_id] = spec
    prometheus = compile_prometheus(cfg.prometheus, c.problem)
    postmortems = compile_postmortem_policy(cfg.postmortems, source.base, c.problem)
    health = compile_health_policy(cfg.reports, c.problem)
    drills = compile_drills(cfg.drills, source.base, policies, c.problem, c.problems.append)
    heartbeats = compile_heartbeats(cfg.heartbeats, c.problem)
    runbooks = compile_runbook_policy(
        cfg.runbooks, source.base, c.problem, c.problems.append, {*users, *teams}
    )
    remediation = compile_remediation(cfg.remediation, c.problem, policies)
    providers = providers_hook(cfg.paging, c.problem) if providers_hook is not None else None
    channels: Mapping[str, tuple[Any, ...]] = {}
    warnings: list[str] = []
    if receivers_hook is not None:
        channels, raw_warnings = receivers_hook(
            source.data.get("receivers") or [], cfg.global_, c.problem
        )
        warnings = [str(source.error(keys, text)) for keys, text in raw_warnings]
    if c.problems:
        raise ConfigError("\n".join(c.problems))
    return RoutingConfig(
        route=route,
        receivers=tuple(r.name for r in cfg.receivers),
        inhibit_rules=rules,
        time_intervals=intervals,
        source=source.path,
        integrations={r.name: tuple(r.integrations()) for r in cfg.receivers},
        channels=channels,
        warnings=tuple(warnings),
        globals=dict(cfg.global_),
        silence_reminders=reminders,
        resolve_timeout=resolve_timeout,
        schedules=schedules,
        users=users,
        on_call=on_call,
        teams=teams,
        escalation_policies=policies,
        receiver_policies=receiver_policies,
        incidents=incident_policy,
        slos=slos,
        prometheus=prometheus,
        postmortems=postmortems,
        remediation=remediation,
        health=health,
        runbooks=runbooks,
        providers=providers,
        drills=drills,
        heartbeats=heartbeats,
    )


def load_config(
    path: str,
    *,
    receivers_hook: ReceiversHook | None = None,
    providers_hook: ProvidersHook | None = None,
    keys: KeySource = from_environment,
) -> RoutingConfig:
    """The file at ``path``, its secret references (``${NAME}``, ``enc:``) resolved with
    the environment and ``keys``, validated and compiled."""
    return compile_config(
        resolve(load_yaml(path), keys), receivers_hook=receivers_hook, providers_hook=providers_hook
    )
