"""PagerDuty's setup as tocsin.yaml: users (contact methods, notification rules), teams,
schedules (layers, rotations, restrictions, upcoming overrides), escalation policies, and a
route per service, read from the REST API v2 (https://developer.pagerduty.com/api-reference,
schema: github.com/PagerDuty/api-schema reference/REST/openapiv3.json) or from its answers
saved as files. docs/import-pagerduty.md says what maps to what.

Not to be confused with ``tocsin.integrations.pagerduty``, the Events API v2 intake.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tocsin.integrations.importers.imported import Imported, slug
from tocsin.integrations.importers.sources import JsonSource, SourceError

__all__ = ["import_pagerduty", "pagerduty_headers"]

Json = dict[str, Any]

#: Offset pagination: ``limit`` per page, follow while ``more`` is true.
PAGE = 100
_MAX_PAGES = 1000

_ROLES = {
    "owner": "admin",
    "admin": "admin",
    "user": None,  # responder, the default
    "limited_user": None,
    "observer": "stakeholder",
    "restricted_access": "stakeholder",
    "read_only_user": "viewer",
    "read_only_limited_user": "viewer",
}
_APPROXIMATE_ROLES = {"limited_user", "observer", "restricted_access", "read_only_limited_user"}
_RULE_METHOD = {
    "email_contact_method": "email",
    "phone_contact_method": "voice",
    "sms_contact_method": "sms",
}
_ROTATIONS = {3600: "hourly", 86400: "daily", 604800: "weekly"}
_UNITS = ((604800, "weeks"), (86400, "days"), (3600, "hours"))
_DEFAULT_LAYER = re.compile(r"^Layer (\d+)$")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_USER_INCLUDES = {"include[]": ["contact_methods", "notification_rules"]}
_SERVICE_INCLUDES = {"include[]": ["integrations"]}


def pagerduty_headers(token: str) -> dict[str, str]:
    """How the REST API v2 wants a (read-only) API key."""
    return {
        "Authorization": f"Token token={token}",
        "Accept": "application/vnd.pagerduty+json;version=2",
    }


def import_pagerduty(
    source: JsonSource, now: datetime, horizon: timedelta = timedelta(days=90)
) -> Imported:
    """Everything read from ``source``; overrides from ``now`` to ``now + horizon``."""
    return _Importer(source, now, horizon).run()


def pages(
    source: JsonSource, path: str, key: str, params: Mapping[str, Any] | None = None
) -> Iterator[Json]:
    """Every item of a paginated list (offset/limit/more)."""
    offset = 0
    for _ in range(_MAX_PAGES):
        page = source.get(path, {**(params or {}), "offset": offset, "limit": PAGE})
        if page is None:  # saved files: one answer per list, which said there was more
            raise SourceError(
                f"{path}: the saved answer says there is more (more: true): save every item "
                "in one answer (all pages' items in one list), or import from the API"
            )
        items = _list(page, key, path)
        yield from items
        if not page.get("more") or not items:
            return
        offset += len(items)
    raise SourceError(f"{path}: more than {_MAX_PAGES} pages")


def _list(page: Any, key: str, path: str) -> list[Json]:
    items = page.get(key) if isinstance(page, dict) else None
    if not isinstance(items, list):
        raise SourceError(f"{path}: the answer has no {key!r} list")
    return [i for i in items if isinstance(i, dict)]


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _local(text: str, zone: ZoneInfo) -> str:
    """An API time as wall-clock time in the schedule's zone (how tocsin.yaml reads it)."""
    return _when(text).astimezone(zone).replace(tzinfo=None).isoformat()


def _clock(text: str) -> str:
    """``08:00:00`` -> ``08:00`` (seconds kept only when set)."""
    return text[:5] if text.endswith(":00") and len(text) == 8 else text


def duration(seconds: int) -> str:
    """Seconds as a Prometheus duration: 32400 -> ``9h``, 5400 -> ``1h30m``."""
    out = ""
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m"), (1, "s")):
        if seconds >= size:
            out += f"{seconds // size}{unit}"
            seconds %= size
    return out or "0"


def rotation(seconds: int, virtual_start: datetime) -> tuple[dict[str, Any], str | None]:
    """A Tocsin rotation for a turn of ``seconds`` from ``virtual_start`` (local), and why
    it is only approximate (None when exact)."""
    note = None
    out: dict[str, Any] = {}
    if seconds in _ROTATIONS:
        out["type"] = _ROTATIONS[seconds]
    else:
        for size, unit in _UNITS:
            if seconds % size == 0:
                out.update(type="custom", length=seconds // size, unit=unit)
                break
        else:
            hours = max(1, round(seconds / 3600))
            out.update(type="custom", length=hours, unit="hours")
            note = (
                f"turns of {duration(seconds)} rounded to {hours}h (Tocsin turns are whole hours)"
            )
    out["handoff"] = virtual_start.strftime("%H:%M")
    if out["type"] == "weekly" or out.get("unit") == "weeks":
        out["handoff_weekday"] = virtual_start.isoweekday()
    out["virtual_start"] = virtual_start.replace(tzinfo=None).isoformat()  # local
    return out, note


class _Importer:
    def __init__(self, source: JsonSource, now: datetime, horizon: timedelta) -> None:
        self.source = source
        self.now = now
        self.horizon = horizon
        self.out = Imported("PagerDuty")
        self.users: dict[str, str] = {}  # PagerDuty id -> Tocsin id
        self.teams: dict[str, Json] = {}  # PagerDuty id -> Tocsin team
        self.schedules: dict[str, str] = {}
        self.policies: dict[str, Json] = {}

    def user(self, ref: Any) -> str | None:
        return self.users.get(ref.get("id", "")) if isinstance(ref, dict) else None

    def run(self) -> Imported:
        self.import_users()
        self.import_teams()
        self.import_schedules()
        services = list(pages(self.source, "/services", "services", _SERVICE_INCLUDES))
        self.import_policies(services)
        self.import_services(services)
        return self.out

    # -- users ---------------------------------------------------------------------------

    def import_users(self) -> None:
        found = list(pages(self.source, "/users", "users", _USER_INCLUDES))
        taken: set[str] = set()
        for u in sorted(found, key=lambda u: str(u.get("id", ""))):
            email = str(u.get("email") or "")
            self.users[u["id"]] = slug(email.split("@")[0] or u.get("name") or u["id"], taken)
        for u in found:
            self.out.add("users", self.user_config(u))

    def user_config(self, u: Json) -> Json:
        uid, name = self.users[u["id"]], str(u.get("name") or u["id"])
        cfg: Json = {"id": uid, "name": name}
        if u.get("email"):
            cfg["email"] = u["email"]
        zone = u.get("time_zone")
        if zone:
            if _zone(zone) is None:
                self.out.check("user", name, f"time zone {zone!r} unknown to Tocsin: left out")
            else:
                cfg["time_zone"] = zone
        role = str(u.get("role") or "user")
        if _ROLES.get(role):
            cfg["role"] = _ROLES[role]
        if role in _APPROXIMATE_ROLES or role not in _ROLES:
            self.out.check(
                "user",
                name,
                f"role {role} has no exact Tocsin match: made {cfg.get('role', 'responder')} "
                "(docs/security.md)",
            )
        methods = self.contact_methods(u)
        for m in methods:
            kind, address = m.get("type", ""), str(m.get("address") or "")
            label = f"{m.get('label') or kind} ({address})"
            if kind == "email_contact_method":
                if "email" not in cfg:
                    cfg["email"] = address
                elif address != cfg["email"]:
                    self.out.check("user", name, f"email {label}: Tocsin keeps one email, not this")
            elif kind in ("phone_contact_method", "sms_contact_method"):
                number = "+" + re.sub(r"\D", "", f"{m.get('country_code') or ''}{address}")
                if not _E164.match(number):
                    self.out.check("user", name, f"phone {label}: not an E.164 number, left out")
                elif "phone" not in cfg:
                    cfg["phone"] = number
                elif number != cfg["phone"]:
                    self.out.check(
                        "user", name, f"phone {label}: Tocsin keeps one number, not this"
                    )
            elif kind == "push_notification_contact_method":
                self.out.check("user", name, f"push to the PagerDuty app {label}: set ntfy_topic")
            else:
                self.out.check("user", name, f"contact method {label}: no Tocsin equivalent")
        kinds = {m.get("id"): m.get("type", "") for m in methods}
        rules = self.rules(u, kinds, name, has_phone="phone" in cfg)
        if rules:
            cfg["notification_rules"] = rules
        have = [k for k in ("email", "phone", "time_zone") if k in cfg]
        count = sum(len(r) for r in rules.values())
        self.out.ok("user", name, f"-> {uid}: {', '.join(have)}, {count} notification rules")
        return cfg

    def contact_methods(self, u: Json) -> list[Json]:
        methods = [m for m in u.get("contact_methods") or [] if isinstance(m, dict)]
        if all("address" in m for m in methods):
            return methods  # include[]=contact_methods gave them whole
        path = f"/users/{u['id']}/contact_methods"
        return _list(self.source.get(path), "contact_methods", path)

    def rules(
        self, u: Json, kinds: Mapping[Any, str], name: str, has_phone: bool
    ) -> dict[str, list[Json]]:
        rules = [r for r in u.get("notification_rules") or [] if isinstance(r, dict)]
        if not all("start_delay_in_minutes" in r for r in rules):
            path = f"/users/{u['id']}/notification_rules"
            rules = _list(self.source.get(path), "notification_rules", path)
        out: dict[str, list[Json]] = {}
        seen: set[tuple[str, str, int]] = set()
        for r in sorted(rules, key=lambda r: int(r.get("start_delay_in_minutes") or 0)):
            urgency = str(r.get("urgency") or "high")
            delay = int(r.get("start_delay_in_minutes") or 0)
            ref = r.get("contact_method") or {}
            kind = kinds.get(ref.get("id")) or str(ref.get("type", "")).removesuffix("_reference")
            method = _RULE_METHOD.get(kind)
            if method in ("sms", "voice") and not has_phone:
                method = None
            if method is None:
                self.out.check(
                    "user",
                    name,
                    f"{urgency}-urgency rule at {delay}m by {kind or 'an unknown method'}: "
                    "no Tocsin address for it, left out",
                )
                continue
            if (urgency, method, delay) not in seen and urgency in ("high", "low"):
                seen.add((urgency, method, delay))
                out.setdefault(urgency, []).append({"method": method, "delay": f"{delay}m"})
        return out

    # -- teams ---------------------------------------------------------------------------

    def import_teams(self) -> None:
        taken: set[str] = set()
        for t in pages(self.source, "/teams", "teams"):
            name = str(t.get("name") or t["id"])
            team: Json = {"name": slug(name, taken), "members": [], "managers": []}
            if t.get("description"):
                team["description"] = str(t["description"])
            for m in pages(self.source, f"/teams/{t['id']}/members", "members"):
                uid = self.user(m.get("user"))
                if uid is None:
                    self.out.check("team", name, f"member {_ref_name(m.get('user'))}: not a user")
                    continue
                role = m.get("role") or "responder"
                team["members"].append(uid)
                if role == "manager":
                    team["managers"].append(uid)
                elif role == "observer":
                    self.out.check("team", name, f"{uid} is an observer: made a plain member")
            if not team["managers"]:
                del team["managers"]
            self.teams[t["id"]] = team
            self.out.add("teams", team)
            self.out.ok("team", name, f"-> {team['name']}: {len(team['members'])} members")

    def team_of(self, refs: Any, kind: str, name: str) -> str | None:
        teams = [self.teams[r["id"]]["name"] for r in refs or [] if r.get("id") in self.teams]
        if len(teams) > 1:
            self.out.check(kind, name, f"has {len(teams)} teams: Tocsin keeps one, {teams[0]}")
        return teams[0] if teams else None

    # -- schedules -----------------------------------------------------------------------

    def import_schedules(self) -> None:
        listed = list(pages(self.source, "/schedules", "schedules"))
        taken: set[str] = set()
        for s in sorted(listed, key=lambda s: str(s.get("id", ""))):
            self.schedules[s["id"]] = slug(str(s.get("name") or s["id"]), taken)
        for s in listed:
            path = f"/schedules/{s['id']}"
            detail = self.source.get(path)
            if not isinstance(detail, dict) or not isinstance(detail.get("schedule"), dict):
                raise SourceError(f"{path}: the answer has no 'schedule'")
            schedule = self.schedule(detail["schedule"])
            if schedule is None:
                del self.schedules[s["id"]]
            else:
                self.out.add("schedules", schedule)

    def schedule(self, s: Json) -> Json | None:
        name, sid = str(s.get("name") or s["id"]), self.schedules[s["id"]]
        zone = _zone(s.get("time_zone") or "")
        if zone is None:
            self.out.check("schedule", name, f"time zone {s.get('time_zone')!r} unknown: used UTC")
            zone = ZoneInfo("UTC")
        layers = [x for x in s.get("schedule_layers") or [] if isinstance(x, dict)]
        layers = self.by_priority(layers, name)
        out: Json = {"name": sid, "time_zone": zone.key}
        team = self.team_of(s.get("teams"), "schedule", name)
        if team:
            out["team"] = team
        out["layers"] = [x for x in (self.layer(x, zone, name) for x in layers) if x]
        if not out["layers"]:
            self.out.check("schedule", name, "no current layer with users: left out")
            return None
        overrides = self.overrides(s["id"], zone, name)
        if overrides:
            out["overrides"] = overrides
        self.out.ok(
            "schedule",
            name,
            f"-> {sid}: {len(out['layers'])} layers, {len(overrides)} upcoming overrides",
        )
        return out

    def by_priority(self, layers: list[Json], name: str) -> list[Json]:
        """Lowest priority first, as in tocsin.yaml (later layers win)."""
        numbers = [_DEFAULT_LAYER.match(str(x.get("name") or "")) for x in layers]
        if all(numbers) and len({m.group(1) for m in numbers if m}) == len(layers):
            return sorted(layers, key=lambda x: int(str(x["name"]).split()[1]))
        if len(layers) > 1:
            self.out.check(
                "schedule",
                name,
                "layer order taken as the API's, highest priority first (reversed here: the "
                "last layer wins in Tocsin): compare `tocsin schedule shifts` with PagerDuty",
            )
        return list(reversed(layers))

    def layer(self, x: Json, zone: ZoneInfo, schedule: str) -> Json | None:
        lname = str(x.get("name") or "")
        where = f"{schedule} / {lname or x.get('id')}"
        if x.get("end") and _when(str(x["end"])) <= self.now:
            self.out.ok("layer", where, f"ended {x['end']}: history, left out")
            return None
        users: list[str] = []
        for entry in x.get("users") or []:
            uid = self.user(entry.get("user") if isinstance(entry, dict) else None)
            if uid is None:
                self.out.check("layer", where, f"user {_ref_name(entry.get('user'))}: not a user")
            else:
                users.append(uid)
        if not users:
            self.out.check("layer", where, "no users left: layer left out")
            return None
        vstart = _when(str(x.get("rotation_virtual_start") or x["start"])).astimezone(zone)
        turn, note = rotation(int(x.get("rotation_turn_length_seconds") or 86400), vstart)
        if note:
            self.out.check("layer", where, note)
        out: Json = {"name": lname} if lname else {}
        out["start"] = _local(str(x["start"]), zone)
        if x.get("end"):
            out["end"] = _local(str(x["end"]), zone)
        out["rotation"] = turn
        out["users"] = users
        restrictions = [self.restriction(r, where) for r in x.get("restrictions") or []]
        if any(restrictions):
            out["restrictions"] = [r for r in restrictions if r]
        return out

    def restriction(self, r: Any, where: str) -> Json | None:
        seconds = int(r.get("duration_seconds") or 0)
        if not 0 < seconds <= 7 * 86400:
            self.out.check("layer", where, f"restriction of {seconds}s left out")
            return None
        out: Json = {"type": "daily", "start": _clock(str(r.get("start_time_of_day")))}
        if r.get("type") == "weekly_restriction":
            out.update(type="weekly", weekday=int(r.get("start_day_of_week") or 1))
        out["duration"] = duration(seconds)
        return out

    def overrides(self, pd_id: str, zone: ZoneInfo, name: str) -> list[Json]:
        if not self.horizon:
            return []
        path = f"/schedules/{pd_id}/overrides"
        until = self.now + self.horizon
        try:
            answer = self.source.get(
                path, {"since": self.now.isoformat(), "until": until.isoformat()}
            )
            found = _list(answer, "overrides", path)
        except SourceError as exc:
            self.out.check("schedule", name, f"overrides not read ({exc}): recreate upcoming ones")
            return []
        out = []
        for o in found:
            uid = self.user(o.get("user"))
            if _when(str(o["end"])) <= self.now:
                continue  # past overrides are history
            if uid is None:
                self.out.check(
                    "schedule", name, f"override for {_ref_name(o.get('user'))} left out"
                )
                continue
            out.append(
                {"start": _local(o["start"], zone), "end": _local(o["end"], zone), "user": uid}
            )
        return out

    # -- escalation policies and services -----------------------------------------------

    def import_policies(self, services: list[Json]) -> None:
        found = list(pages(self.source, "/escalation_policies", "escalation_policies"))
        taken: set[str] = set()
        names = {
            p["id"]: slug(str(p.get("name") or p["id"]), taken)
            for p in sorted(found, key=lambda p: str(p.get("id", "")))
        }
        handoffs: dict[str, int] = {}
        for p in found:
            name = str(p.get("name") or p["id"])
            handoff = str(p.get("on_call_handoff_notifications") or "if_has_services")
            handoffs[handoff] = handoffs.get(handoff, 0) + 1
            policy = self.policy(p, names[p["id"]], name, services)
            if policy is not None:
                self.policies[p["id"]] = policy
                self.out.add("escalation_policies", policy)
        if handoffs:
            counts = ", ".join(f"{k}: {v}" for k, v in sorted(handoffs.items()))
            self.out.check(
                "escalation policies",
                "on_call_handoff_notifications",
                f"{counts}: Tocsin sends handoff summaries for every schedule "
                "(on_call.handoff_summaries, docs/schedules.md)",
            )

    def policy(self, p: Json, pid: str, name: str, services: list[Json]) -> Json | None:
        out: Json = {"name": pid}
        if p.get("description"):
            out["description"] = str(p["description"])
        team = self.team_of(p.get("teams"), "escalation policy", name)
        if team:
            out["team"] = team
        loops = int(p.get("num_loops") or 0)
        if loops:
            out["repeat"] = min(loops, 20)
        timeouts = {
            s.get("acknowledgement_timeout")
            for s in services
            if (s.get("escalation_policy") or {}).get("id") == p["id"]
        }
        if len(timeouts) == 1 and (timeout := next(iter(timeouts))):
            out["ack_timeout"] = duration(int(timeout))
        elif len(timeouts) > 1:
            self.out.check("escalation policy", name, "its services' ack timeouts differ: none set")
        levels = []
        for i, rule in enumerate(p.get("escalation_rules") or [], 1):
            level = self.level(rule, f"{name} rule {i}")
            if level is not None:
                levels.append(level)
        if not levels:
            self.out.check("escalation policy", name, "no rule with a known target: left out")
            return None
        out["levels"] = levels
        self.out.ok("escalation policy", name, f"-> {pid}: {len(levels)} levels, repeat {loops}")
        return out

    def level(self, rule: Json, where: str) -> Json | None:
        delay = int(rule.get("escalation_delay_in_minutes") or 0)
        if delay < 1:
            self.out.check(
                "escalation rule", where, f"delay {delay}m raised to 1m (Tocsin's least)"
            )
        targets = []
        for t in rule.get("targets") or []:
            kind = str(t.get("type", "")).removesuffix("_reference")
            if kind == "user" and (uid := self.user(t)):
                targets.append({"user": uid})
            elif kind.startswith("schedule") and t.get("id") in self.schedules:
                targets.append({"schedule": self.schedules[t["id"]]})
            else:
                self.out.check("escalation rule", where, f"target {kind} {_ref_name(t)} left out")
        if not targets:
            return None
        out: Json = {"delay": f"{max(delay, 1)}m", "targets": targets}
        strategy = rule.get("escalation_rule_assignment_strategy")
        if isinstance(strategy, list):
            strategy = strategy[0] if strategy else None
        if isinstance(strategy, dict):
            strategy = strategy.get("type")
        if strategy == "round_robin":
            out["mode"] = "round_robin"
            self.out.ok("escalation rule", where, "round robin: mode round_robin")
        return out

    def import_services(self, services: list[Json]) -> None:
        routes: list[Json] = []
        receivers: list[Json] = [{"name": "default"}]
        for s in services:
            name = str(s.get("name") or s["id"])
            if s.get("status") == "disabled":
                self.out.check("service", name, "disabled in PagerDuty: no route made")
                continue
            policy = self.policies.get((s.get("escalation_policy") or {}).get("id", ""))
            if policy is None:
                self.out.check("service", name, "its escalation policy was not imported: no route")
                continue
            # "page-": never the root's "default" (every PagerDuty account has a policy of
            # that name)
            receiver = f"page-{policy['name']}"
            if all(r["name"] != receiver for r in receivers):
                receivers.append({"name": receiver, "escalation_policy": policy["name"]})
            value = name.replace("\\", "\\\\").replace('"', '\\"')
            routes.append({"matchers": [f'service="{value}"'], "receiver": receiver})
            team = self.team_of(s.get("teams"), "service", name)
            if team:
                owner = next(t for t in self.teams.values() if t["name"] == team)
                owner.setdefault("services", []).append(name)
            self.out.ok("service", name, f"-> route service={name!r} -> policy {policy['name']}")
            self.service_findings(s, name)
        self.out.sections["route"] = {"receiver": "default", "group_by": ["..."]}
        if routes:
            self.out.sections["route"]["routes"] = routes
        self.out.sections["receivers"] = receivers
        self.out.check(
            "route",
            "default",
            "the root receiver sends nowhere: merge these routes into your own route tree; "
            'they match the label service="<PagerDuty service name>"',
        )

    def service_findings(self, s: Json, name: str) -> None:
        notes = [
            f"integration {_ref_name(i)} ({str(i.get('type', '')).removesuffix('_reference')})"
            f": create one by hand (`tocsin integration create {slug(name)} --kind pagerduty "
            f"--label service={name}` for Events API senders: its alerts then carry the "
            "service label the routes match) and point the sender at Tocsin"
            for i in s.get("integrations") or []
        ]
        urgency = s.get("incident_urgency_rule") or {}
        if urgency and urgency.get("urgency") != "severity_based":
            rule = " ".join(str(urgency[k]) for k in ("type", "urgency") if urgency.get(k))
            notes.append(
                f"urgency rule {rule}: Tocsin derives urgency from the alert's severity "
                "(incidents.urgency: critical and error page high, warning and info low)"
            )
        if s.get("support_hours") or s.get("scheduled_actions"):
            notes.append("support hours and scheduled actions do not map")
        if s.get("auto_resolve_timeout"):
            notes.append(
                f"auto-resolve after {duration(int(s['auto_resolve_timeout']))}: Tocsin "
                "resolves when the alerts resolve (incidents.auto_resolve)"
            )
        if grouping := (s.get("alert_grouping_parameters") or {}).get("type"):
            notes.append(f"alert grouping {grouping}: use the route's group_by instead")
        if (s.get("auto_pause_notifications_parameters") or {}).get("enabled"):
            notes.append("auto-pause of transient alerts: use the route's min_firing_for")
        for note in notes:
            self.out.check("service", name, note)


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def _ref_name(ref: Any) -> str:
    if not isinstance(ref, dict):
        return "?"
    return str(ref.get("summary") or ref.get("name") or ref.get("id") or "?")
