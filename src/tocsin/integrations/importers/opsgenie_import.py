"""Opsgenie (REST API v2) as tocsin.yaml: users (with their contact methods and their
simplest notification rule), teams, schedules (rotations become layers) and escalations
(rules become levels), with a report of what did not map (docs/import-opsgenie.md).

Named ``opsgenie_import`` so it is not taken for ``integrations/opsgenie.py``, the Alert
API intake. Paths are relative to ``<base>/v2``: ``/users``, ``/teams/{id}``,
``/schedules?expand=rotation``, ``/escalations``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tocsin.integrations.importers.imported import Imported, slug
from tocsin.integrations.importers.sources import JsonSource, SourceError

__all__ = ["TOOL", "api_base", "headers", "import_opsgenie", "pages"]

TOOL = "Opsgenie"

_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_WEEK = 7 * 24 * 60
_UNIT_MINUTES = {"minutes": 1, "hours": 60, "days": 24 * 60}
#: Opsgenie role name -> Tocsin role (``User`` is Tocsin's default, responder).
_ROLES = {"owner": "admin", "admin": "admin", "observer": "viewer", "stakeholder": "stakeholder"}


def headers(token: str) -> dict[str, str]:
    """Opsgenie's API key header (https://docs.opsgenie.com/docs/authentication)."""
    return {"Authorization": f"GenieKey {token}"}


def api_base(url: str) -> str:
    """``https://api.opsgenie.com`` (or ``.../v2``, or the EU host) -> ``.../v2``."""
    base = url.rstrip("/")
    return base if base.endswith("/v2") else base + "/v2"


def pages(source: JsonSource, path: str, params: Mapping[str, Any] | None = None) -> list[Any]:
    """Every item of a list answer (``data``), following ``paging.next`` (its ``offset`` and
    ``limit``) until there is none."""
    query: dict[str, Any] = dict(params or {})
    items: list[Any] = []
    seen: set[tuple[tuple[str, Any], ...]] = set()
    while True:
        body = source.get(path, query)
        if body is None:
            break
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise SourceError(f"{path}: expected {{'data': [...]}} in the answer")
        items.extend(data)
        following = (body.get("paging") or {}).get("next")
        if not following or not data:
            break
        query = dict(parse_qsl(urlsplit(following).query))
        key = tuple(sorted(query.items()))
        if key in seen:
            break
        seen.add(key)
    return items


def _one(source: JsonSource, path: str) -> dict[str, Any]:
    body = source.get(path)
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise SourceError(f"{path}: expected {{'data': {{...}}}} in the answer")
    return data


def _minutes(amount: Any, unit: Any) -> int:
    return int(amount or 0) * _UNIT_MINUTES.get(str(unit or "minutes"), 1)


def _duration(minutes: int) -> str:
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    text = (
        (f"{days}d" if days else "") + (f"{hours}h" if hours else "") + (f"{mins}m" if mins else "")
    )
    return text or "0m"


def _phone(to: str) -> str | None:
    """Opsgenie keeps numbers as ``<country code>-<number>`` (``49-15112345678``)."""
    digits = "".join(c for c in to if c.isdigit())
    return "+" + digits if 7 <= len(digits) <= 15 and digits[0] != "0" else None


#: A rotation's name, the minutes of the week it may be on call, its start and end.
_Span = tuple[str, set[int], datetime, datetime | None]


class _Run:
    def __init__(self, source: JsonSource) -> None:
        self.source = source
        self.out = Imported(TOOL)
        self.user_ids: dict[str, str] = {}  # Opsgenie id and username -> Tocsin id
        self.team_names: dict[str, str] = {}  # Opsgenie team id and name -> Tocsin name
        self.team_members: dict[str, list[tuple[str, str]]] = {}  # team -> [(user, role)]
        self.schedules: dict[str, str] = {}  # Opsgenie id and name -> Tocsin name
        self.unread: dict[str, str] = {}  # optional endpoint kind -> why it was not read
        self.other_rules: dict[str, int] = {}  # notification rule action type -> count

    def optional(self, kind: str, path: str) -> Any:
        """An answer the import can do without (contacts, notification rules)."""
        try:
            return self.source.get(path)
        except SourceError as exc:
            self.unread.setdefault(kind, str(exc))
            return None

    def user(self, ref: Mapping[str, Any]) -> str | None:
        return _ref(self.user_ids, ref, "username")

    # -- users ------------------------------------------------------------------------

    def users(self) -> None:
        taken: set[str] = set()
        for raw in pages(self.source, "/users"):
            username = str(raw.get("username") or raw.get("id"))
            uid = slug(username.split("@")[0], taken)
            self.user_ids[str(raw.get("id"))] = uid
            self.user_ids[username] = uid
            person: dict[str, Any] = {"id": uid, "name": raw.get("fullName") or username}
            if "@" in username:
                person["email"] = username
            zone = raw.get("timeZone")
            if zone:
                try:
                    ZoneInfo(zone)
                    person["time_zone"] = zone
                except (ZoneInfoNotFoundError, ValueError, OSError):
                    self.out.check("user", username, f"time zone {zone!r} unknown here; left out")
            role = str((raw.get("role") or {}).get("name") or "User")
            if role.lower() in _ROLES:
                person["role"] = _ROLES[role.lower()]
            elif role.lower() != "user":
                self.out.check("user", username, f"custom role {role!r}: imported as responder")
            self.out.ok("user", username, f"-> {uid}")
            self.contacts(str(raw.get("id")), username, person)
            self.rules(str(raw.get("id")), username, person)
            if raw.get("blocked"):
                self.out.check("user", username, "blocked in Opsgenie: imported; remove if gone")
            self.out.add("users", person)

    def contacts(self, og_id: str, username: str, person: dict[str, Any]) -> None:
        body = self.optional("contacts", f"/users/{og_id}/contacts")
        found = sorted(
            (
                c
                for c in (body or {}).get("data") or []
                if (c.get("status") or {}).get("enabled", True)
            ),
            key=lambda c: int(c.get("applyOrder") or 0),
        )
        for contact in found:
            method, to = str(contact.get("method")), str(contact.get("to") or "")
            if method in ("sms", "voice"):
                number = _phone(to)
                if number is None:
                    self.out.check(
                        "user", username, f"{method} number {to!r} is not E.164; left out"
                    )
                elif "phone" not in person:
                    person["phone"] = number
                elif person["phone"] != number:
                    self.out.check(
                        "user", username, f"second number {to!r}: Tocsin keeps one phone"
                    )
            elif method == "email" and to and to != person.get("email"):
                if "email" in person:
                    self.out.check("user", username, f"second email {to!r}: Tocsin keeps one email")
                else:
                    person["email"] = to
            elif method == "mobile":
                self.out.check(
                    "user", username, "Opsgenie app push: set ntfy_topic for push (docs/paging.md)"
                )

    def rules(self, og_id: str, username: str, person: dict[str, Any]) -> None:
        """The first enabled create-alert rule for every alert, no time restriction, becomes
        the person's rules for both urgencies; every other one is reported."""
        listed = self.optional("notification rules", f"/users/{og_id}/notification-rules")
        chosen = False
        for rule in sorted(
            (listed or {}).get("data") or [], key=lambda r: int(r.get("order") or 0)
        ):
            action = str(rule.get("actionType"))
            if action != "create-alert":
                self.other_rules[action] = self.other_rules.get(action, 0) + 1
                continue
            path = f"/users/{og_id}/notification-rules/{rule.get('id')}"
            detail = (self.optional("notification rules", path) or {}).get("data")
            if not isinstance(detail, dict) or detail.get("enabled") is False:
                continue
            name = f"{username} {detail.get('name') or rule.get('name')!r}"
            simple = (detail.get("criteria") or {}).get("type", "match-all") == "match-all"
            if chosen or not simple or detail.get("timeRestriction"):
                self.out.check(
                    "notification rule",
                    name,
                    "has conditions or a time restriction, or is not the first: Tocsin's rules "
                    "are per urgency (high/low); add it by hand if needed",
                )
                continue
            steps = []
            for step in detail.get("steps") or []:
                method = str((step.get("contact") or {}).get("method"))
                after = step.get("sendAfter") or {}
                delay = _duration(_minutes(after.get("timeAmount"), after.get("timeUnit")))
                address = {"email": "email", "sms": "phone", "voice": "phone"}.get(method)
                if step.get("enabled") is False:
                    continue
                if address is None or address not in person:
                    why = "the Opsgenie app (no push here)" if method == "mobile" else "no address"
                    self.out.check("notification rule", name, f"step {method} at {delay}: {why}")
                    continue
                steps.append({"method": method, "delay": delay})
            if steps:
                person["notification_rules"] = {"high": steps, "low": [dict(s) for s in steps]}
                self.out.ok("notification rule", name, f"-> high and low: {len(steps)} steps")
            chosen = True

    # -- teams ------------------------------------------------------------------------

    def teams(self) -> None:
        taken: set[str] = set()
        for listed in pages(self.source, "/teams"):
            raw = _one(self.source, f"/teams/{listed.get('id')}")
            name = slug(str(raw.get("name") or listed.get("name")), taken)
            self.team_names[str(raw.get("id"))] = name
            self.team_names[str(raw.get("name"))] = name
            members: list[str] = []
            managers: list[str] = []
            pairs: list[tuple[str, str]] = []
            for member in raw.get("members") or []:
                uid = self.user(member.get("user") or {})
                if uid is None:
                    self.out.check(
                        "team", name, f"member {member.get('user')!r} is not a user; left out"
                    )
                    continue
                role = str(member.get("role") or "user")
                pairs.append((uid, role))
                (managers if role == "admin" else members).append(uid)
            self.team_members[name] = pairs
            team: dict[str, Any] = {"name": name, "members": members}
            if managers:
                team["managers"] = managers
            if raw.get("description"):
                team["description"] = str(raw["description"])
            self.out.add("teams", team)
            self.out.ok("team", str(raw.get("name")), f"-> {name}: {len(pairs)} people")

    # -- schedules --------------------------------------------------------------------

    def all_schedules(self) -> None:
        for raw in pages(self.source, "/schedules", {"expand": "rotation"}):
            if "rotations" not in raw:
                raw = {
                    **raw,
                    "rotations": pages(self.source, f"/schedules/{raw.get('id')}/rotations"),
                }
            self.schedule(raw)

    def schedule(self, raw: Mapping[str, Any]) -> None:
        name = str(raw.get("name"))
        try:
            zone_name = str(raw.get("timezone") or "")
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            self.out.check("schedule", name, f"time zone {zone_name!r} unknown: UTC used")
            zone_name, zone = "UTC", ZoneInfo("UTC")
        layers: list[dict[str, Any]] = []
        spans: list[_Span] = []
        for rotation in raw.get("rotations") or []:
            made = self.layer(name, rotation, zone)
            if made is not None:
                layer, span = made
                for other in spans:
                    self.overlap(name, other, span)
                spans.append(span)
                layers.append(layer)
        if not layers:
            self.out.check("schedule", name, "no rotation with users: left out")
            return
        self.schedules[str(raw.get("id"))] = self.schedules[name] = name
        schedule: dict[str, Any] = {"name": name, "time_zone": zone_name}
        if owner := _ref(self.team_names, raw.get("ownerTeam") or {}):
            schedule["team"] = owner
        schedule["layers"] = layers
        if raw.get("enabled") is False:
            self.out.check("schedule", name, "disabled in Opsgenie: imported (it will be used)")
        self.out.add("schedules", schedule)
        self.out.ok("schedule", name, f"{len(layers)} layers")

    def layer(
        self, schedule: str, rotation: Mapping[str, Any], zone: ZoneInfo
    ) -> tuple[dict[str, Any], _Span] | None:
        label = str(rotation.get("name") or rotation.get("id"))
        where = f"{schedule} / {label}"
        kind = str(rotation.get("type"))
        if kind not in ("hourly", "daily", "weekly"):
            self.out.check("rotation", where, f"type {kind!r} unknown: left out")
            return None
        users: list[str] = []
        for p in rotation.get("participants") or []:
            ptype = str(p.get("type"))
            uid = self.user(p) if ptype == "user" else None
            if uid is not None:
                users.append(uid)
            elif ptype == "none":
                self.out.check(
                    "rotation",
                    where,
                    "a 'none' turn (a planned gap) was dropped: the "
                    "turns that follow move up; add an override for the gap",
                )
            else:
                who = p.get("name") or p.get("username") or p.get("id")
                why = (
                    "is not among the users"
                    if ptype == "user"
                    else "left out: Tocsin rotates people only; list the people, or use a "
                    "separate schedule"
                )
                self.out.check("rotation", where, f"participant {ptype} {who!r} {why}")
        if not users:
            self.out.check("rotation", where, "no user participants: left out")
            return None
        try:
            start = _local(str(rotation.get("startDate")), zone)
            end = _local(str(rotation["endDate"]), zone) if rotation.get("endDate") else None
        except SourceError as exc:
            self.out.check("rotation", where, f"{exc}: left out")
            return None
        turn: dict[str, Any] = {"type": kind}
        if int(rotation.get("length") or 1) != 1:
            turn["length"] = int(rotation["length"])
        turn["handoff"] = start.strftime("%H:%M")
        if kind == "weekly":
            turn["handoff_weekday"] = start.isoweekday()
        turn["virtual_start"] = start.isoformat()
        layer: dict[str, Any] = {"name": label, "start": start.isoformat()}
        if end is not None:
            layer["end"] = end.isoformat()
        layer["rotation"] = turn
        layer["users"] = users
        restrictions, mask = self.restrictions(where, rotation.get("timeRestriction") or {})
        if restrictions:
            layer["restrictions"] = restrictions
        self.out.ok(
            "rotation",
            where,
            f"-> layer: {kind} x{turn.get('length', 1)}, "
            f"{len(users)} people, {len(restrictions)} restrictions",
        )
        return layer, (label, mask, start, end)

    def restrictions(
        self, where: str, raw: Mapping[str, Any]
    ) -> tuple[list[dict[str, Any]], set[int]]:
        """Tocsin restrictions, and the minutes of the week (0 = Monday 00:00) they cover."""
        kind = raw.get("type")
        if not kind:
            return [], set(range(_WEEK))
        out: list[dict[str, Any]] = []
        mask: set[int] = set()
        if kind == "time-of-day":
            items = raw.get("restrictions") or [raw.get("restriction") or {}]
            for r in items:
                start = int(r.get("startHour") or 0) * 60 + int(r.get("startMin") or 0)
                end = int(r.get("endHour") or 0) * 60 + int(r.get("endMin") or 0)
                length = (end - start) % (24 * 60) or 24 * 60
                out.append({"type": "daily", "start": _hhmm(start), "duration": _duration(length)})
                for day in range(7):
                    mask.update((day * 1440 + start + m) % _WEEK for m in range(length))
        elif kind == "weekday-and-time-of-day":
            for r in raw.get("restrictions") or []:
                try:
                    first = _DAYS.index(str(r.get("startDay")).lower())
                    last = _DAYS.index(str(r.get("endDay")).lower())
                except ValueError:
                    self.out.check("restriction", where, f"unknown day in {dict(r)!r}: left out")
                    continue
                start = int(r.get("startHour") or 0) * 60 + int(r.get("startMin") or 0)
                end = last * 1440 + int(r.get("endHour") or 0) * 60 + int(r.get("endMin") or 0)
                length = (end - first * 1440 - start) % _WEEK or _WEEK
                out.append(
                    {
                        "type": "weekly",
                        "weekday": first + 1,
                        "start": _hhmm(start),
                        "duration": _duration(length),
                    }
                )
                mask.update((first * 1440 + start + m) % _WEEK for m in range(length))
        else:
            self.out.check(
                "restriction", where, f"type {kind!r} unknown: the layer is unrestricted"
            )
            return [], set(range(_WEEK))
        return out, mask

    def overlap(self, schedule: str, one: _Span, two: _Span) -> None:
        (first, mask, start, end), (second, other, later, until) = one, two
        common, start, end = mask & other, max(start, later), _earlier(end, until)
        if not common or (end is not None and end <= start):
            return
        at = min(common)
        when = f"{_DAYS[at // 1440].title()} {_hhmm(at % 1440)}"
        self.out.check(
            "schedule",
            schedule,
            f"rotations {first!r} and {second!r} overlap (e.g. {when}): Opsgenie notifies the "
            f"on-call people of both, Tocsin only the later layer's ({second!r}). To page "
            "both, make one a schedule of its own and name both in the escalation level",
        )

    # -- escalations ------------------------------------------------------------------

    def escalations(self) -> None:
        for raw in pages(self.source, "/escalations"):
            self.escalation(raw)

    def escalation(self, raw: Mapping[str, Any]) -> None:
        name = str(raw.get("name"))
        groups: dict[int, list[dict[str, str]]] = {}
        mode: dict[int, str] = {}
        for rule in raw.get("rules") or []:
            delay = rule.get("delay") or {}
            minutes = _minutes(delay.get("timeAmount"), delay.get("timeUnit"))
            if rule.get("condition") == "if-not-closed":
                self.out.check(
                    "escalation",
                    name,
                    f"rule at {_duration(minutes)} is if-not-closed: "
                    "Tocsin escalates until acknowledged (see ack_timeout)",
                )
            targets, round_robin = self.targets(name, rule, minutes)
            if targets:
                group = groups.setdefault(minutes, [])
                group.extend(t for t in targets if t not in group)
                if round_robin:
                    mode[minutes] = "round_robin"
        if not groups:
            self.out.check("escalation", name, "no rule maps: left out")
            return
        times = sorted(groups)
        if times[0] > 0:
            self.out.check(
                "escalation",
                name,
                f"the first rule waits {_duration(times[0])}: Tocsin "
                "pages the first level at once (raise the route's group_wait to wait)",
            )
        repeat = raw.get("repeat") or {}
        count = int(repeat.get("count") or 0)
        wait = int(repeat.get("waitInterval") or 0)
        levels = []
        for i, at in enumerate(times):
            after = times[i + 1] - at if i + 1 < len(times) else max(wait, 1)
            level: dict[str, Any] = {"delay": _duration(after), "targets": groups[at]}
            if at in mode:
                level["mode"] = mode[at]
            levels.append(level)
        policy: dict[str, Any] = {"name": name}
        if raw.get("description"):
            policy["description"] = str(raw["description"])
        if team := _ref(self.team_names, raw.get("ownerTeam") or {}):
            policy["team"] = team
        if count:
            policy["repeat"] = min(count, 20)
            if count > 20:
                self.out.check("escalation", name, f"repeats {count} times: Tocsin at most 20")
        if repeat.get("closeAlertAfterAll"):
            self.out.check(
                "escalation", name, "closes the alert after the repeats: Tocsin does not"
            )
        policy["levels"] = levels
        self.out.add("escalation_policies", policy)
        # "page-": never the root's "unrouted", whatever the policies are called
        self.out.add("receivers", {"name": f"page-{name}", "escalation_policy": name})
        self.out.ok(
            "escalation", name, f"-> {len(levels)} levels, repeat {policy.get('repeat', 0)}"
        )

    def targets(
        self, policy: str, rule: Mapping[str, Any], minutes: int
    ) -> tuple[list[dict[str, str]], bool]:
        """The rule's targets, and whether they take turns (a random team member)."""
        r = rule.get("recipient") or {}
        kind, notify = str(r.get("type")), str(rule.get("notifyType") or "default")
        who = r.get("name") or r.get("username") or r.get("id")
        where = f"rule at {_duration(minutes)} ({kind} {who!r}, notify {notify})"
        if kind == "user":
            uid = self.user(r)
            if uid is not None:
                return [{"user": uid}], False
        elif kind == "schedule":
            name = _ref(self.schedules, r)
            if name is not None and notify == "default":
                return [{"schedule": name}], False
            if name is not None:
                self.out.check(
                    "escalation",
                    policy,
                    f"{where}: the {notify} on-call person has no "
                    "equivalent; left out (a second schedule offset by one turn could do)",
                )
                return [], False
        elif kind == "team":
            team = _ref(self.team_names, r)
            members = self.team_members.get(team or "", [])
            chosen = [u for u, role in members if notify != "admins" or role == "admin"]
            if team is not None and notify in ("users", "all", "admins", "random") and chosen:
                if notify == "random":
                    self.out.check(
                        "escalation",
                        policy,
                        f"{where}: a random member -> the members in turn (round_robin)",
                    )
                return [{"user": u} for u in chosen], notify == "random"
            if team is not None:
                self.out.check(
                    "escalation",
                    policy,
                    f"{where}: a team's own routing has no "
                    "equivalent; left out: name its schedule or people instead",
                )
                return [], False
        self.out.check("escalation", policy, f"{where}: recipient not imported; left out")
        return [], False

    # -- all --------------------------------------------------------------------------

    def run(self) -> Imported:
        self.users()
        self.teams()
        self.all_schedules()
        self.escalations()
        for kind, why in self.unread.items():
            self.out.check(kind, "(all users)", f"not read: {why}")
        if self.other_rules:
            kinds = ", ".join(f"{k} ({n})" for k, n in sorted(self.other_rules.items()))
            self.out.check(
                "notification rule",
                "(all users)",
                f"not imported: {kinds}: Tocsin "
                "sends handoff summaries and shift reminders instead (docs/schedules.md)",
            )
        self.out.sections.setdefault("receivers", []).insert(0, {"name": "unrouted"})
        self.out.sections["route"] = {"receiver": "unrouted"}
        self.out.check(
            "route",
            "(all)",
            "Opsgenie's integrations and team routing rules are not "
            "imported: route alerts to the receivers named after each escalation policy "
            "(docs/routing.md); until then nothing pages",
        )
        return self.out


def _local(text: str, zone: ZoneInfo) -> datetime:
    """An Opsgenie date-time (``2017-01-15T08:00:00+02:00``, ``...Z``) as wall-clock time in
    the schedule's zone, without an offset (how tocsin.yaml writes them)."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise SourceError(f"date-time {text!r} is not ISO 8601") from None
    if value.tzinfo is None:
        return value
    return value.astimezone(zone).replace(tzinfo=None)


def _ref(table: Mapping[str, str], ref: Mapping[str, Any], other: str = "name") -> str | None:
    """What an Opsgenie reference (``{"id": ..., "name": ...}``) became."""
    return table.get(str(ref.get("id"))) or table.get(str(ref.get(other)))


def _earlier(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def import_opsgenie(source: JsonSource) -> Imported:
    """Everything the API (or the saved files) hold, as tocsin.yaml sections and a report."""
    return _Run(source).run()
