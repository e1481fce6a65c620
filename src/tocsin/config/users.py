"""``users:`` and ``teams:`` in tocsin.yaml: the people Tocsin pages and puts on call (handles,
names, contact methods, personal notification rules) and the teams they form."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pydantic

from tocsin.config.durations import parse_duration
from tocsin.config.validation import Problem, validated
from tocsin.domain.access import Role
from tocsin.domain.users import ContactMethod, Rule, Team, User

__all__ = [
    "PROFILE_FIELDS",
    "USER_ID",
    "UserConfig",
    "compile_teams",
    "compile_users",
    "with_profile",
]


#: A handle: what schedules, overrides, the API and the CLI call a person.
USER_ID = r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$"
#: E.164: a plus, then up to 15 digits.
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


class _Strict(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")


class RuleConfig(_Strict):
    method: ContactMethod
    delay: str = "0m"


class RulesConfig(_Strict):
    high: list[RuleConfig] = pydantic.Field(default_factory=list)
    low: list[RuleConfig] = pydantic.Field(default_factory=list)


class UserConfig(_Strict):
    id: str = pydantic.Field(pattern=USER_ID)
    name: str = ""
    email: str | None = None
    time_zone: str | None = None
    phone: str | None = None
    slack_user_id: str | None = pydantic.Field(default=None, pattern=r"^[UW][A-Z0-9]{2,20}$")
    ntfy_topic: str | None = pydantic.Field(default=None, pattern=r"^[-_A-Za-z0-9]{1,64}$")
    webhook_url: str | None = None
    admin: bool = False
    #: stakeholder, viewer, responder (the default) or admin (``admin: true`` is admin too).
    role: Role | None = None
    notification_rules: RulesConfig = pydantic.Field(default_factory=RulesConfig)


class TeamConfig(_Strict):
    name: str = pydantic.Field(pattern=USER_ID)
    members: list[str] = pydantic.Field(default_factory=list)
    managers: list[str] = pydantic.Field(default_factory=list)
    description: str = ""
    services: list[str] = pydantic.Field(default_factory=list)


def _each(
    raw: Sequence[Any], section: str, model: type[pydantic.BaseModel], problem: Problem
) -> list[tuple[list[str | int], Any]]:
    """The entries of a list section that validate, with their keys; problems reported."""
    out: list[tuple[list[str | int], Any]] = []
    for i, item in enumerate(raw):
        keys: list[str | int] = [section, i]
        cfg = validated(model, item, keys, problem)
        if cfg is not None:
            out.append((keys, cfg))
    return out


def compile_users(raw: Sequence[Any], problem: Problem) -> dict[str, User]:
    out: dict[str, User] = {}
    for keys, cfg in _each(raw, "users", UserConfig, problem):
        where = f"user {cfg.id!r}"
        if cfg.id in out:
            problem([*keys, "id"], f"{where}: the id is used twice")
        zone = None
        if cfg.time_zone is not None:
            try:
                zone = ZoneInfo(cfg.time_zone)
            except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "America"
                problem([*keys, "time_zone"], f"{where}: unknown time zone {cfg.time_zone!r}")
        if cfg.email is not None and "@" not in parseaddr(cfg.email)[1]:
            problem([*keys, "email"], f"{where}: {cfg.email!r} is not an email address")
        if cfg.phone is not None and not E164.match(cfg.phone):
            problem(
                [*keys, "phone"],
                f"{where}: {cfg.phone!r} is not an E.164 number (e.g. +4915112345678)",
            )
        if cfg.webhook_url is not None and urlsplit(cfg.webhook_url).scheme not in (
            "http",
            "https",
        ):
            problem([*keys, "webhook_url"], f"{where}: must be an http or https URL")
        person = User(
            cfg.id,
            cfg.name,
            cfg.email,
            zone,
            phone=cfg.phone,
            slack_user_id=cfg.slack_user_id,
            ntfy_topic=cfg.ntfy_topic,
            webhook_url=cfg.webhook_url,
            admin=cfg.admin,
            role=cfg.role or Role.RESPONDER,
        )
        if cfg.admin and cfg.role not in (None, Role.ADMIN):
            problem([*keys, "admin"], f"{where}: admin: true contradicts role: {cfg.role.value}")
        rules: dict[str, tuple[Rule, ...]] = {}
        for urgency in ("high", "low"):
            found: list[Rule] = []
            for j, rule in enumerate(getattr(cfg.notification_rules, urgency)):
                rule_keys = [*keys, "notification_rules", urgency, j]
                try:
                    delay = parse_duration(rule.delay)
                except ValueError as exc:
                    problem([*rule_keys, "delay"], str(exc))
                    continue
                if person.address(rule.method) is None:
                    problem(
                        [*rule_keys, "method"],
                        f"{where} has no address for {rule.method.value} "
                        f"(set {_ADDRESS_FIELD[rule.method]})",
                    )
                found.append(Rule(rule.method, delay))
            if found:
                rules[urgency] = tuple(sorted(found, key=lambda r: r.delay))
        out[cfg.id] = User(**{**person.__dict__, "rules": rules})
    return out


_ADDRESS_FIELD = {
    ContactMethod.EMAIL: "email",
    ContactMethod.SMS: "phone",
    ContactMethod.VOICE: "phone",
    ContactMethod.PUSH: "ntfy_topic",
    ContactMethod.SLACK: "slack_user_id",
    ContactMethod.WEBHOOK: "webhook_url",
}


#: What a person may set for themselves (the web UI's profile page): how to reach them.
PROFILE_FIELDS = (
    "email",
    "phone",
    "slack_user_id",
    "ntfy_topic",
    "webhook_url",
    "time_zone",
    "notification_rules",
)


def _as_config(person: User) -> dict[str, Any]:
    rules = {
        urgency: [
            {"method": r.method.value, "delay": f"{int(r.delay.total_seconds())}s"} for r in found
        ]
        for urgency, found in person.rules.items()
    }
    return {
        "id": person.id,
        "name": person.name,
        "email": person.email,
        "time_zone": person.time_zone.key if person.time_zone else None,
        "phone": person.phone,
        "slack_user_id": person.slack_user_id,
        "ntfy_topic": person.ntfy_topic,
        "webhook_url": person.webhook_url,
        "admin": person.admin,
        "role": person.role.value,
        "notification_rules": rules,
    }


def with_profile(person: User, profile: Mapping[str, Any], problem: Problem) -> User | None:
    """``person`` with the contact methods and rules they set for themselves (checked as the
    configuration file's would be; problems are reported at the profile's own keys)."""
    raw = _as_config(person)
    raw.update({k: v for k, v in profile.items() if k in PROFILE_FIELDS})
    found = False

    def at_profile(keys: list[str | int], text: str) -> None:
        nonlocal found
        found = True
        words = text.replace(f"user {person.id!r} has", "you have")
        problem(keys[2:] or ["profile"], words.replace(f"user {person.id!r}", "you"))

    out = compile_users([raw], at_profile)
    return None if found else out.get(person.id)


def compile_teams(
    raw: Sequence[Any], problem: Problem, users: Mapping[str, User]
) -> dict[str, Team]:
    out: dict[str, Team] = {}
    owners: dict[str, str] = {}
    for keys, cfg in _each(raw, "teams", TeamConfig, problem):
        where = f"team {cfg.name!r}"
        if cfg.name in out:
            problem([*keys, "name"], f"{where}: the name is used twice")
        for field in ("members", "managers"):
            for j, user in enumerate(getattr(cfg, field)):
                if user not in users:
                    problem([*keys, field, j], f"{where}: no user {user!r} in users")
        members = tuple(dict.fromkeys([*cfg.members, *cfg.managers]))
        for j, service in enumerate(cfg.services):
            other = owners.setdefault(service, cfg.name)
            if other != cfg.name:
                problem(
                    [*keys, "services", j],
                    f"{where}: service {service!r} is owned by team {other!r}",
                )
        out[cfg.name] = Team(
            cfg.name, members, tuple(cfg.managers), cfg.description, tuple(cfg.services)
        )
    return out
