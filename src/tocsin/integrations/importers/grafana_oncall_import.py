"""Grafana OnCall OSS (public API v1, ``/api/v1/...``) as tocsin.yaml: users and their
personal notification rules, teams, web and calendar schedules (from their on-call shifts),
escalation chains, and integrations with their routes as a route tree.

Shapes as documented in grafana/oncall ``docs/sources/oncall-api-reference/*.md``: every list
is ``{count, next, previous, results}`` with ``next`` a full URL; the token goes in
``Authorization`` as it is (no ``Bearer``). See docs/import-grafana-oncall.md for what maps.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tocsin.config.users import USER_ID
from tocsin.integrations.importers.grafana_oncall_routes import route_tree
from tocsin.integrations.importers.imported import Imported, slug
from tocsin.integrations.importers.sources import FileSource, JsonSource, SourceError

__all__ = ["api_base", "headers", "import_grafana_oncall"]

Item = dict[str, Any]

#: The label each integration's alerts carry when there are several integrations.
_DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]  # index + 1 = ISO weekday
_UNITS = {"hourly": ("hours", timedelta(hours=1)), "daily": ("days", timedelta(days=1))}
_UNITS["weekly"] = ("weeks", timedelta(weeks=1))
_METHODS = {f"notify_by_{k}": v for k, v in [("email", "email"), ("slack", "slack")]}
_METHODS |= {"notify_by_sms": "sms", "notify_by_phone_call": "voice"}
_METHODS |= {"notify_by_mobile_app": "push", "notify_by_mobile_app_critical": "push"}
_METHODS |= {"notify_by_webhook": "webhook"}
#: What each method needs on the person (the OnCall API gives email and Slack only).
_ADDRESS = {"email": "email", "slack": "slack_user_id", "sms": "phone", "voice": "phone"}
_ADDRESS |= {"push": "ntfy_topic", "webhook": "webhook_url"}


def headers(token: str, grafana_url: str | None = None) -> dict[str, str]:
    """The API key as OnCall's API reference says (``Authorization: <key>``); a service
    account token also needs the Grafana stack's URL."""
    out = {"Authorization": token, "Accept": "application/json"}
    if grafana_url:
        out["X-Grafana-URL"] = grafana_url
    return out


def api_base(url: str) -> str:
    """``https://oncall.example.com`` -> ``https://oncall.example.com/api/v1``."""
    url = url.rstrip("/")
    return url if url.endswith("/api/v1") else url + "/api/v1"


def import_grafana_oncall(source: JsonSource) -> Imported:
    return _Import(source).run()


def _duration(seconds: float) -> str:
    s, out = int(seconds), ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if s >= size:
            out += f"{s // size}{unit}"
            s %= size
    return out or "0m"


def _clock(t: time) -> str:
    return t.strftime("%H:%M:%S" if t.second else "%H:%M")


def _window(start: datetime, length: timedelta, weekday: int | None) -> Item:
    """A restriction: from ``start``'s time of day for ``length``, daily or on ``weekday``."""
    kind: Item = {"type": "daily"} if weekday is None else {"type": "weekly", "weekday": weekday}
    return kind | {"start": _clock(start.time()), "duration": _duration(length.total_seconds())}


def _zone(name: Any) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if isinstance(name, str) and name else None
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def _when(value: Any, zone: ZoneInfo) -> datetime | None:
    """OnCall's ``yyyy-MM-dd'T'HH:mm:ss``, wall-clock time in ``zone``."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(zone) if parsed.tzinfo else parsed.replace(tzinfo=zone)


class _Import:
    def __init__(self, source: JsonSource) -> None:
        self.source = source
        self.out = Imported("Grafana OnCall")
        self.users: dict[str, str] = {}  # OnCall id -> Tocsin id
        self.user_teams: dict[str, list[str]] = {}  # OnCall user id -> OnCall team ids
        self.teams: dict[str, str] = {}  # OnCall id -> Tocsin team name
        self.schedules: dict[str, str | None] = {}  # OnCall id -> Tocsin name (None: not)
        self.policies: dict[str, str] = {}  # chain id -> Tocsin policy name

    def run(self) -> Imported:
        self._users(self._list("/users/"))
        self._rules()
        self._teams()
        schedules = self._list("/schedules/")
        needs_shifts = any(s.get("type") in ("web", "calendar") for s in schedules)
        shifts = self._list("/on_call_shifts/") if needs_shifts else []
        for schedule in schedules:
            self._schedule(schedule, shifts)
        policies = self._list("/escalation_policies/")
        for chain in self._list("/escalation_chains/"):
            steps = [p for p in policies if p.get("escalation_chain_id") == chain.get("id")]
            self._chain(chain, sorted(steps, key=lambda p: p.get("position") or 0))
        route_tree(self.out, self._list("/integrations/"), self._list("/routes/"), self.policies)
        return self.out

    # -- reading --------------------------------------------------------------------------

    def _list(self, path: str, optional: str | None = None) -> list[Item]:
        """Every item of a paginated list, following ``next`` (on the API's own base URL:
        only its path and query are used, so nothing else is ever fetched)."""
        out: list[Item] = []
        seen: set[str] = set()
        params: dict[str, str] = {}
        while True:
            try:
                page = self.source.get(path, params)
            except SourceError as exc:
                if optional is None:
                    raise
                self.out.check(path.strip("/"), "(all)", f"not read ({exc}): {optional}")
                return out
            if isinstance(page, list):
                return out + [r for r in page if isinstance(r, dict)]
            if not isinstance(page, dict) or not isinstance(page.get("results"), list):
                raise SourceError(f"{path}: not an OnCall list ({{count, next, results}})")
            out += [r for r in page["results"] if isinstance(r, dict)]
            nxt = page.get("next")
            if not isinstance(nxt, str) or not nxt:
                return out
            if isinstance(self.source, FileSource):
                self.out.check(path.strip("/"), "(file)", "holds one page of several: save all")
                return out
            parts = urlsplit(nxt)
            marker = parts.path.find("/api/v1/")
            path = parts.path[marker + len("/api/v1") :] if marker >= 0 else parts.path
            params = dict(parse_qsl(parts.query))
            if nxt in seen:
                raise SourceError(f"{path}: the pages loop ({nxt})")
            seen.add(nxt)

    # -- people -----------------------------------------------------------------------------

    def _users(self, users: list[Item]) -> None:
        taken: set[str] = set()
        for u in users:
            username = str(u.get("username") or u.get("email") or u.get("id") or "user")
            ok = re.match(USER_ID, username) is not None and username not in taken
            uid = username if ok else slug(username, taken)
            taken.add(uid)
            self.users[str(u.get("id"))] = uid
            self.user_teams[str(u.get("id"))] = [str(t) for t in u.get("teams") or []]
            entry: Item = {"id": uid, "name": str(u.get("name") or username)}
            if u.get("email"):
                entry["email"] = u["email"]
            if _zone(u.get("timezone")) is not None:
                entry["time_zone"] = u["timezone"]
            elif u.get("timezone"):
                self.out.check("user", uid, f"time zone {u['timezone']!r} unknown: left out")
            slack = u.get("slack")
            slack = slack[0] if isinstance(slack, list) and slack else slack
            slack_id = slack.get("user_id") if isinstance(slack, dict) else None
            if isinstance(slack_id, str) and re.match(r"^[UW][A-Z0-9]{2,20}$", slack_id):
                entry["slack_user_id"] = slack_id
            role = {"admin": "admin", "observer": "viewer", "viewer": "viewer"}
            if u.get("role") in role:
                entry["role"] = role[u["role"]]
            self.out.add("users", entry)
            self.out.ok("user", u.get("username"), f"as {uid} ({entry.get('role', 'responder')})")

    def _rules(self) -> None:
        why = "people get Tocsin's default rules (needs an OnCall API key, not a service account)"
        rules = self._list("/personal_notification_rules/", optional=why)
        people = {u["id"]: u for u in self.out.sections.get("users", [])}
        for oncall_id, uid in self.users.items():
            mine = [r for r in rules if str(r.get("user_id")) == oncall_id]
            if not mine:
                continue
            found: dict[str, list[Item]] = {}
            lost: list[str] = []
            for important in (True, False):
                steps = sorted(
                    (r for r in mine if bool(r.get("important")) is important),
                    key=lambda r: r.get("position") or 0,
                )
                kept: list[Item] = []
                delay = 0
                for r in steps:
                    if r.get("type") == "wait":
                        delay += int(r.get("duration") or 300)
                        continue
                    method = _METHODS.get(str(r.get("type")))
                    if method is None or _ADDRESS[method] not in people[uid]:
                        lost.append(f"{r.get('type')} at {_duration(delay)}")
                        continue
                    kept.append({"method": method, "delay": _duration(delay)})
                if kept:
                    found["high" if important else "low"] = kept
            if "low" in found and "high" not in found:
                found["high"] = found["low"]
            if found:
                people[uid]["notification_rules"] = found
                self.out.ok("rules", uid, "important -> high urgency, default -> low")
            if lost:
                note = "not mapped (OnCall's API has no phone, ntfy topic or webhook URL)"
                self.out.check("rules", uid, f"{', '.join(lost)}: {note}: add them by hand")

    def _teams(self) -> None:
        why = "no teams: add them by hand"
        taken: set[str] = set()
        for team in self._list("/teams/", optional=why):
            name = slug(str(team.get("name") or team.get("id")), taken)
            self.teams[str(team.get("id"))] = name
            tid = str(team.get("id"))
            members = [uid for oid, uid in self.users.items() if tid in self.user_teams[oid]]
            self.out.add("teams", {"name": name, "members": members})
            self.out.ok("team", team.get("name"), f"as {name}, {len(members)} members")

    # -- schedules ------------------------------------------------------------------------

    def _schedule(self, schedule: Item, shifts: list[Item]) -> None:
        sid, label = str(schedule.get("id")), schedule.get("name") or schedule.get("id")
        self.schedules[sid] = None
        if schedule.get("ical_url_overrides"):
            self.out.check("schedule", label, "its iCal overrides calendar is not read: re-enter")
        if schedule.get("type") not in ("web", "calendar"):
            url = schedule.get("ical_url_primary")
            note = "Tocsin schedules are layers, not a calendar feed (and it is not fetched)"
            self.out.check("schedule", label, f"iCal ({url}) not mapped: {note}: rebuild as layers")
            return
        listed = {str(x) for x in schedule.get("shifts") or []}
        mine = [s for s in shifts if str(s.get("schedule")) == sid or str(s.get("id")) in listed]
        # Calendar schedules' shifts are in the schedule's zone; web ones' in UTC, unless
        # the shift names its own (OnCall's convert_to_ical).
        calendar = schedule.get("type") == "calendar"
        default = (schedule.get("time_zone") or "UTC") if calendar else "UTC"
        zones = {s.get("time_zone") or default for s in mine if s.get("type") != "override"}
        zone = zones.pop() if len(zones) == 1 else (schedule.get("time_zone") or "UTC")
        if _zone(zone) is None:
            self.out.check("schedule", label, f"unknown time zone {zone!r}: not mapped")
            return
        if zones:
            self.out.check("schedule", label, f"shifts in several zones: all read as {zone}")
        layers: list[tuple[int, Item]] = []
        overrides: list[Item] = []
        for shift in mine:
            shift_zone = _zone(shift.get("time_zone") or default) or ZoneInfo("UTC")
            if shift.get("type") == "override":
                overrides += self._override(shift, shift_zone, label)
            else:
                layer = self._layer(shift, shift_zone, ZoneInfo(zone), label)
                if layer is not None:
                    layers.append((int(shift.get("level") or 0), layer))
        if not layers:
            self.out.check("schedule", label, "no shift Tocsin can take: not mapped")
            return
        name = str(label)
        self.schedules[sid] = name
        entry: Item = {"name": name, "time_zone": zone}
        if schedule.get("team_id") in self.teams:
            entry["team"] = self.teams[schedule["team_id"]]
        # Higher levels win in OnCall; later layers win in Tocsin.
        entry["layers"] = [layer for _, layer in sorted(layers, key=lambda p: p[0])]
        if overrides:
            entry["overrides"] = overrides
        self.out.add("schedules", entry)
        self.out.ok("schedule", label, f"{len(layers)} layers, {len(overrides)} overrides")

    def _people(self, shift: Item, where: str) -> list[str]:
        """One person per turn: the first of each rolling group (or of ``users``)."""
        if shift.get("type") == "rolling_users":
            groups = [g for g in shift.get("rolling_users") or [] if g]
            first = int(shift.get("start_rotation_from_user_index") or 0) % max(len(groups), 1)
            groups = groups[first:] + groups[:first]
        else:
            groups = [shift.get("users") or []]
        if any(len(g) > 1 for g in groups):
            self.out.check("shift", where, "several people at once: Tocsin keeps the first of each")
        people = []
        for group in groups:
            if group and str(group[0]) in self.users:
                people.append(self.users[str(group[0])])
            elif group:
                self.out.check("shift", where, f"unknown user {group[0]}: left out")
        return people

    def _override(self, shift: Item, zone: ZoneInfo, label: Any) -> list[Item]:
        where = f"{label}/{shift.get('name') or shift.get('id')}"
        begin = _when(shift.get("start"), zone)
        people = self._people(shift, where)
        if begin is None or not people:
            self.out.check("override", where, "no start or no known person: not mapped")
            return []
        end = begin + timedelta(seconds=int(shift.get("duration") or 0))
        if end <= begin:
            return []
        return [{"start": begin.isoformat(), "end": end.isoformat(), "user": people[0]}]

    def _layer(self, shift: Item, zone: ZoneInfo, to: ZoneInfo, label: Any) -> Item | None:
        where = f"{label}/{shift.get('name') or shift.get('id')}"

        def local(value: Any) -> datetime | None:
            t = _when(value, zone)
            return None if t is None else t.astimezone(to).replace(tzinfo=None)

        start, until, rotation_start = (
            local(shift.get(k)) for k in ("start", "until", "rotation_start")
        )
        length = timedelta(seconds=int(shift.get("duration") or 0))
        people = self._people(shift, where)
        if start is None or not people or length <= timedelta(0):
            self.out.check("shift", where, "no start, duration or known person: not mapped")
            return None
        layer: Item = {"name": str(shift.get("name") or shift.get("id")), "start": start}
        kind, freq = shift.get("type"), shift.get("frequency")
        if kind == "single_event" or (kind == "recurrent_event" and not freq):
            end = start + length if until is None else min(start + length, until)
            layer.update(end=end, rotation={"type": "daily"}, users=people[:1])
            return self._clean(layer, where)
        if freq not in _UNITS or shift.get("by_month") or shift.get("by_monthday"):
            self.out.check("shift", where, f"repeats {freq} (by month/day): not mapped")
            return None
        unit, step = _UNITS[str(freq)]
        interval = max(int(shift.get("interval") or 1), 1)
        period = step * interval
        rotation: Item = {"type": freq} if interval == 1 else {"type": "custom", "unit": unit}
        if interval > 1:
            rotation["length"] = interval
        rotation["handoff"] = _clock(start.time())
        days = [d for d in shift.get("by_day") or [] if d in _DAYS]
        anchor = start
        if freq == "weekly":
            week_start = _DAYS.index(shift.get("week_start") or "SU")
            order = sorted(days, key=lambda d: (_DAYS.index(d) - week_start) % 7)
            weekday = _DAYS.index(order[0]) + 1 if order else start.isoweekday()
            rotation["handoff_weekday"] = weekday
            anchor -= timedelta(days=(start.isoweekday() - weekday) % 7)
        restrictions: list[Item] = []
        if days and (len(days) < 7 or length < timedelta(days=1)):
            if freq == "hourly" or length > timedelta(weeks=1):
                self.out.check("shift", where, f"{freq} on chosen days: the days are not kept")
            else:
                restrictions = [_window(start, length, _DAYS.index(d) + 1) for d in days]
            if freq == "daily" and len(people) > 1:
                note = "OnCall hands over on each chosen day, Tocsin every day: check the order"
                self.out.check("shift", where, note)
            if interval > 1:
                self.out.check("shift", where, f"every {interval} {unit} on chosen days: all kept")
        elif not days and length < period:
            if period == timedelta(days=1):
                restrictions = [_window(start, length, None)]
            elif period == timedelta(weeks=1):
                restrictions = [_window(start, length, start.isoweekday())]
            else:
                note = f"on call {_duration(length.total_seconds())} of each turn: all kept"
                self.out.check("shift", where, note)
        if rotation_start is not None and rotation_start > start:
            # OnCall starts the queue at the first turn from rotation_start.
            turns = -((anchor - rotation_start) // period)
            rotation["virtual_start"] = anchor + turns * period
            layer["start"] = rotation_start
        if restrictions:
            layer["restrictions"] = restrictions
        layer.update(rotation=rotation, users=people)
        if until is not None:
            layer["end"] = until
        return self._clean(layer, where)

    def _clean(self, layer: Item, where: str) -> Item | None:
        if layer.get("end") is not None and layer["end"] <= layer["start"]:
            self.out.ok("shift", where, "ended: not imported")
            return None
        for key in ("start", "end"):
            if key in layer:
                layer[key] = layer[key].isoformat()
        rotation = layer["rotation"]
        if "virtual_start" in rotation:
            rotation["virtual_start"] = rotation["virtual_start"].isoformat()
        order = ["name", "start", "end", "rotation", "users", "restrictions"]
        return {k: layer[k] for k in order if k in layer}

    # -- escalation -----------------------------------------------------------------------

    def _chain(self, chain: Item, steps: list[Item]) -> None:
        label = chain.get("name") or chain.get("id")
        levels: list[Item] = []
        closed = True  # a wait closed the last level: the next target opens a new one
        waited, repeat = 0, 0
        for step in steps:
            kind = str(step.get("type"))
            if kind == "wait":
                if levels:
                    levels[-1]["_wait"] += int(step.get("duration") or 0)
                else:
                    waited += int(step.get("duration") or 0)
                closed = True
                continue
            if kind == "repeat_escalation":
                repeat = 5  # OnCall: "from the beginning (5 times max)"
                continue
            targets = self._targets(step, label)
            if not targets:
                continue
            mode = "round_robin" if kind == "notify_person_next_each_time" else "all"
            if step.get("important"):
                self.out.check("escalation", label, "important: Tocsin uses the incident's urgency")
            if not closed and levels[-1]["mode"] != mode:
                self.out.check("escalation", label, f"{kind} paged 1m after the step before it")
                levels[-1]["_wait"] = 60
                closed = True
            if closed:
                levels.append({"_wait": 0, "mode": mode, "targets": []})
                closed = False
            levels[-1]["targets"] += [t for t in targets if t not in levels[-1]["targets"]]
        if waited:
            self.out.check(
                "escalation", label, f"starts with a wait of {_duration(waited)}: dropped"
            )
        levels = [lv for lv in levels if lv["targets"]]
        if not levels:
            self.out.check("escalation", label, "nobody it pages maps: not mapped")
            return
        name = str(label)
        while name in self.policies.values():
            name += " (2)"
        self.policies[str(chain.get("id"))] = name
        entry: Item = {"name": name}
        if chain.get("team_id") in self.teams:
            entry["team"] = self.teams[chain["team_id"]]
        if repeat:
            entry["repeat"] = repeat
            if not levels[-1]["_wait"]:
                self.out.check("escalation", label, "repeats 5m after its last level, not at once")
        entry["levels"] = []
        for level in levels:
            item: Item = {"delay": _duration(max(level["_wait"], 60) if level["_wait"] else 300)}
            if level["mode"] != "all":
                item["mode"] = level["mode"]
            entry["levels"].append(item | {"targets": level["targets"]})
        self.out.add("escalation_policies", entry)
        self.out.ok("escalation", label, f"as policy {name!r}, {len(levels)} levels")

    def _targets(self, step: Item, label: Any) -> list[Item] | None:
        """What a step pages, or None (reported) when Tocsin has no such step."""
        kind = str(step.get("type"))
        if kind == "notify_persons":
            return self._user_targets(step.get("persons_to_notify") or [], label)
        if kind == "notify_person_next_each_time":
            return self._user_targets(step.get("persons_to_notify_next_each_time") or [], label)
        if kind == "notify_on_call_from_schedule":
            name = self.schedules.get(str(step.get("notify_on_call_from_schedule")))
            if name is None:
                self.out.check("escalation", label, "pages a schedule that did not map: left out")
                return None
            return [{"schedule": name}]
        if kind == "notify_team_members":
            team = str(step.get("team_to_notify"))
            ids = [oid for oid, teams in self.user_teams.items() if team in teams]
            self.out.check("escalation", label, "team members: listed as they are now")
            return self._user_targets(ids, label)
        todo = {
            "notify_user_group": "a Slack user group: add its people or a slack_channel",
            "trigger_webhook": "a webhook: add webhook_configs to the route's receiver",
            "resolve": "resolve: Tocsin resolves when the alerts do (auto_resolve)",
            "notify_whole_channel": "the Slack channel: add a slack_channel target",
            "notify_if_time_from_to": "a time condition: use the route's time intervals",
        }
        note = todo.get(kind, f"{kind}: Tocsin has no such step")
        self.out.check("escalation", label, f"step {note}")
        return None

    def _user_targets(self, ids: Iterable[Any], label: Any) -> list[Item]:
        out = []
        for oid in ids:
            if str(oid) in self.users:
                out.append({"user": self.users[str(oid)]})
            else:
                self.out.check("escalation", label, f"unknown user {oid}: left out")
        return out
