"""`tocsin import opsgenie`: a real HTTP server on 127.0.0.1 answers with JSON shaped as
Opsgenie's REST API v2 documents it, and the importer's tocsin.yaml must compile.

Shapes: https://docs.opsgenie.com/docs/user-api (list users: data, paging.next/prev/first/
last with limit/offset, totalCount), .../user-contacts-api (method, to, status.enabled,
applyOrder), .../notification-rule-api and .../notification-rule-step-api (actionType,
criteria, steps with contact and sendAfter), .../team-api (members: user {id, username},
role), .../schedule-api (timezone, ownerTeam, rotations with expand=rotation),
.../schedule-rotation-api (type, length, startDate, endDate, participants, timeRestriction
time-of-day {restriction} or weekday-and-time-of-day {restrictions}), .../escalation-api
(rules: condition, notifyType, delay {timeAmount, timeUnit}, recipient; repeat).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import yaml
from typer.testing import CliRunner

import tocsin.cli.import_opsgenie  # noqa: F401 - registers `tocsin import opsgenie`
from tests.http_handler import QuickHandler
from tests.importers.json_server import send_json
from tocsin.cli.main import app
from tocsin.integrations.importers.opsgenie_import import import_opsgenie
from tocsin.integrations.importers.sources import ApiSource, FileSource
from tocsin.services.configuration import load_configuration

KEY = "og-test-key"
META = {"took": 0.021, "requestId": "9ae63dd7-ed00-4c81-86f0-c4ffd33142c9"}


def _user(uid: str, username: str, full: str, zone: str, role: str) -> dict[str, Any]:
    return {
        "blocked": False,
        "verified": True,
        "id": uid,
        "username": username,
        "fullName": full,
        "role": {"id": role, "name": role},
        "timeZone": zone,
        "locale": "en_US",
        "userAddress": {"country": "", "state": "", "city": "", "line": "", "zipCode": ""},
        "createdAt": "2023-05-12T08:34:28.72Z",
    }


ANN = _user("u-ann", "ann.example@acme.io", "Ann Example", "Europe/Berlin", "Admin")
BOB = _user("u-bob", "bob@acme.io", "Bob Builder", "America/New_York", "User")
CAT = _user("u-cat", "cat@acme.io", "Cat Stevens", "Etc/UTC", "Observer")
USERS_URL = "https://api.opsgenie.com/v2/users?limit=2&sort=username&offset={}&order=asc"
ENDS = {"first": USERS_URL.format(0), "last": USERS_URL.format(2)}
USERS_PAGE_1 = {
    "totalCount": 3,
    "data": [ANN, BOB],
    "paging": {"next": USERS_URL.format(2), **ENDS},
    **META,
}
USERS_PAGE_2 = {
    "totalCount": 3,
    "data": [CAT],
    "paging": {"prev": USERS_URL.format(0), **ENDS},
    **META,
}


def _contact(cid: str, method: str, to: str, order: int) -> dict[str, Any]:
    return {"id": cid, "method": method, "to": to, "status": {"enabled": True}, "applyOrder": order}


CONTACTS = {
    "u-ann": [
        _contact("c1", "email", "ann.example@acme.io", 0),
        _contact("c2", "sms", "49-15112345678", 1),
        _contact("c3", "voice", "49-15112345678", 2),
        _contact("c4", "mobile", "Ann's phone", 3),
    ],
    "u-bob": [_contact("c5", "sms", "1-2125550100", 0)],
    "u-cat": [],
}


def _step(method: str, to: str, minutes: int) -> dict[str, Any]:
    return {
        "contact": {"method": method, "to": to},
        "sendAfter": {"timeAmount": minutes, "timeUnit": "minutes"},
        "enabled": True,
    }


def _listed(rid: str, name: str, action: str, order: int) -> dict[str, Any]:
    return {"id": rid, "name": name, "actionType": action, "order": order, "enabled": True}


RULES = {
    "u-ann": [
        _listed("r1", "New Alert", "create-alert", 1),
        _listed("r2", "On-call starts", "schedule-start", 2),
    ],
    "u-bob": [_listed("r3", "P1 only", "create-alert", 1)],
    "u-cat": [],
}
RULE_DETAILS = {
    "r1": {
        "id": "r1",
        "name": "New Alert",
        "actionType": "create-alert",
        "order": 1,
        "enabled": True,
        "criteria": {"type": "match-all"},
        "notificationTime": [],
        "steps": [
            _step("email", "ann.example@acme.io", 0),
            _step("sms", "49-15112345678", 1),
            _step("voice", "49-15112345678", 5),
            _step("mobile", "Ann's phone", 0),
        ],
    },
    "r3": {
        "id": "r3",
        "name": "P1 only",
        "actionType": "create-alert",
        "order": 1,
        "enabled": True,
        "criteria": {
            "type": "match-all-conditions",
            "conditions": [
                {"field": "priority", "operation": "equals", "expectedValue": "P1", "not": False}
            ],
        },
        "steps": [_step("sms", "1-2125550100", 0)],
    },
}
TEAM = {
    "id": "t-platform",
    "name": "Platform Team",
    "description": "Runs the platform",
    "members": [
        {"user": {"id": "u-ann", "username": "ann.example@acme.io"}, "role": "admin"},
        {"user": {"id": "u-bob", "username": "bob@acme.io"}, "role": "user"},
    ],
}
TEAMS = {
    "data": [{"id": "t-platform", "name": "Platform Team", "description": "Runs the platform"}],
    **META,
}


def _p(ptype: str, **ref: str) -> dict[str, Any]:
    return {"type": ptype, **ref}


def _span(day: str, hour: int, minute: int, end_day: str, end_hour: int, end_min: int) -> Any:
    return {"startDay": day, "startHour": hour, "startMin": minute,
            "endDay": end_day, "endHour": end_hour, "endMin": end_min}  # fmt: skip


SCHEDULES = {
    "data": [
        {
            "id": "s-platform",
            "name": "platform_schedule",
            "description": "",
            "timezone": "Europe/Berlin",
            "enabled": True,
            "ownerTeam": {"id": "t-platform", "name": "Platform Team"},
            "rotations": [
                {
                    "id": "rot-weekly",
                    "name": "weekly",
                    "startDate": "2024-01-01T08:00:00Z",
                    "type": "weekly",
                    "length": 1,
                    "participants": [
                        _p("user", id="u-ann", username="ann.example@acme.io"),
                        _p("user", id="u-bob", username="bob@acme.io"),
                    ],
                },
                {
                    "id": "rot-business",
                    "name": "business_hours",
                    "startDate": "2024-01-01T08:00:00Z",
                    "type": "daily",
                    "length": 2,
                    "participants": [
                        _p("user", id="u-cat", username="cat@acme.io"),
                        _p("none"),
                        _p("team", id="t-platform", name="Platform Team"),
                    ],
                    "timeRestriction": {
                        "type": "weekday-and-time-of-day",
                        "restrictions": [
                            _span("monday", 9, 0, "friday", 17, 30),
                            _span("saturday", 10, 0, "saturday", 14, 0),
                        ],
                    },
                },
                {
                    "id": "rot-nights",
                    "name": "nights",
                    "startDate": "2024-01-01T19:00:00+01:00",
                    "endDate": "2024-12-31T19:00:00+01:00",
                    "type": "hourly",
                    "length": 12,
                    "participants": [_p("user", id="u-bob", username="bob@acme.io")],
                    "timeRestriction": {
                        "type": "time-of-day",
                        "restriction": {"startHour": 22, "startMin": 0, "endHour": 6, "endMin": 0},
                    },
                },
            ],
        },
        {
            "id": "s-teams",
            "name": "teams_only",
            "description": "",
            "timezone": "Etc/UTC",
            "enabled": True,
            "rotations": [
                {
                    "id": "rot-esc",
                    "name": "escalations",
                    "startDate": "2024-01-01T00:00:00Z",
                    "type": "daily",
                    "length": 1,
                    "participants": [_p("escalation", id="e-x", name="other_escalation")],
                }
            ],
        },
    ],
    "expandable": ["rotation"],
    **META,
}


def _rule(
    condition: str, notify: str, amount: int, recipient: dict[str, Any], unit: str = "minutes"
) -> dict[str, Any]:
    return {
        "condition": condition,
        "notifyType": notify,
        "delay": {"timeAmount": amount, "timeUnit": unit},
        "recipient": recipient,
    }


ESCALATIONS = {
    "data": [
        {
            "id": "e-platform",
            "name": "platform_escalation",
            "description": "Pages the platform",
            "ownerTeam": {"id": "t-platform", "name": "Platform Team"},
            "rules": [
                _rule(
                    "if-not-acked",
                    "default",
                    0,
                    _p("schedule", id="s-platform", name="platform_schedule"),
                ),
                _rule("if-not-acked", "default", 5, _p("user", id="u-bob", username="bob@acme.io")),
                _rule(
                    "if-not-closed", "users", 15, _p("team", id="t-platform", name="Platform Team")
                ),
                _rule(
                    "if-not-acked",
                    "next",
                    15,
                    _p("schedule", id="s-platform", name="platform_schedule"),
                ),
                _rule(
                    "if-not-acked",
                    "default",
                    1,
                    _p("team", id="t-platform", name="Platform Team"),
                    "hours",
                ),
            ],
            "repeat": {
                "waitInterval": 10,
                "count": 2,
                "resetRecipientStates": False,
                "closeAlertAfterAll": False,
            },
        },
        {
            "id": "e-none",
            "name": "teams_only_escalation",
            "rules": [
                _rule("if-not-acked", "default", 0, _p("schedule", id="s-teams", name="teams_only"))
            ],
        },
    ],
    **META,
}


def _answers() -> dict[str, Any]:
    out: dict[str, Any] = {
        "/v2/users?offset=2": USERS_PAGE_2,
        "/v2/users": USERS_PAGE_1,
        "/v2/teams": TEAMS,
        "/v2/teams/t-platform": {"data": TEAM, **META},
        "/v2/schedules?expand=rotation": SCHEDULES,
        "/v2/escalations": ESCALATIONS,
    }
    for uid, contacts in CONTACTS.items():
        out[f"/v2/users/{uid}/contacts"] = {"data": contacts, **META}
        out[f"/v2/users/{uid}/notification-rules"] = {"data": RULES[uid], **META}
    for rid, rule in RULE_DETAILS.items():
        for uid, listed in RULES.items():
            if any(r["id"] == rid for r in listed):
                out[f"/v2/users/{uid}/notification-rules/{rid}"] = {"data": rule, **META}
    return out


class FakeOpsgenie:
    """GET by path, and by path plus one query parameter where the answer depends on it."""

    def __init__(self) -> None:
        self.answers = _answers()
        self.seen: list[tuple[str, dict[str, str], str]] = []
        fake = self

        class Handler(QuickHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                parts = urlsplit(self.path)
                query = dict(parse_qsl(parts.query))
                fake.seen.append((parts.path, query, self.headers.get("Authorization", "")))
                if self.headers.get("Authorization") != f"GenieKey {KEY}":
                    self._send(401, {"message": "Could not authenticate", **META})
                    return
                keys = [f"{parts.path}?{k}={v}" for k, v in query.items()] + [parts.path]
                for key in keys:
                    if key in fake.answers and (
                        key != "/v2/users" or query.get("offset", "0") == "0"
                    ):
                        self._send(200, fake.answers[key])
                        return
                self._send(404, {"message": "not found", **META})

            def _send(self, status: int, body: Any) -> None:
                send_json(self, status, body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def paths(self) -> list[str]:
        return [path for path, _, _ in self.seen]


@pytest.fixture
def opsgenie() -> Iterator[FakeOpsgenie]:
    fake = FakeOpsgenie()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def _invoke(*args: str, token: str | None = KEY) -> Any:
    env = {"TOCSIN_IMPORT_TOKEN": token} if token else {}
    return CliRunner().invoke(app, ["import", "opsgenie", *args], env=env)


def _section(config: dict[str, Any], section: str, name: str) -> dict[str, Any]:
    key = "id" if section == "users" else "name"
    return next(item for item in config[section] if item[key] == name)


def test_from_the_api_writes_a_configuration_that_compiles(
    opsgenie: FakeOpsgenie, tmp_path: Path
) -> None:
    out = tmp_path / "tocsin.yaml"
    result = _invoke("--url", opsgenie.url, "-o", str(out))
    assert result.exit_code == 0, result.output
    load_configuration(str(out))  # every user referenced is declared; it all compiles
    config = yaml.safe_load(out.read_text())

    # The key is sent as Opsgenie wants it, on every request; paging.next was followed.
    assert {auth for _, _, auth in opsgenie.seen} == {f"GenieKey {KEY}"}
    users_asked = [q for path, q, _ in opsgenie.seen if path == "/v2/users"]
    assert [q.get("offset") for q in users_asked] == [None, "2"]
    assert users_asked[1]["limit"] == "2"
    assert ("/v2/schedules", {"expand": "rotation"}) in [(p, q) for p, q, _ in opsgenie.seen]

    assert [u["id"] for u in config["users"]] == ["ann-example", "bob", "cat"]
    ann = _section(config, "users", "ann-example")
    assert ann["name"] == "Ann Example"
    assert ann["email"] == "ann.example@acme.io"
    assert ann["time_zone"] == "Europe/Berlin"
    assert ann["phone"] == "+4915112345678"
    assert ann["role"] == "admin"
    steps = [
        {"method": "email", "delay": "0m"},
        {"method": "sms", "delay": "1m"},
        {"method": "voice", "delay": "5m"},
    ]
    assert ann["notification_rules"] == {"high": steps, "low": steps}
    bob = _section(config, "users", "bob")
    assert bob["phone"] == "+12125550100"
    assert "notification_rules" not in bob  # its only rule has conditions
    assert _section(config, "users", "cat")["role"] == "viewer"

    assert config["teams"] == [
        {
            "name": "platform-team",
            "members": ["bob"],
            "managers": ["ann-example"],
            "description": "Runs the platform",
        }
    ]

    schedule = _section(config, "schedules", "platform_schedule")
    assert schedule["time_zone"] == "Europe/Berlin"
    assert schedule["team"] == "platform-team"
    weekly, business, nights = schedule["layers"]
    assert weekly == {
        "name": "weekly",
        "start": "2024-01-01T09:00:00",  # 08:00Z is 09:00 in Berlin
        "rotation": {
            "type": "weekly",
            "handoff": "09:00",
            "handoff_weekday": 1,
            "virtual_start": "2024-01-01T09:00:00",
        },
        "users": ["ann-example", "bob"],
    }
    assert business["rotation"]["type"] == "daily"
    assert business["rotation"]["length"] == 2
    assert business["users"] == ["cat"]  # 'none' and the team dropped, and reported
    assert business["restrictions"] == [
        {"type": "weekly", "weekday": 1, "start": "09:00", "duration": "4d8h30m"},
        {"type": "weekly", "weekday": 6, "start": "10:00", "duration": "4h"},
    ]
    assert nights["rotation"]["type"] == "hourly"
    assert nights["rotation"]["length"] == 12
    assert nights["start"] == "2024-01-01T19:00:00"
    assert nights["end"] == "2024-12-31T19:00:00"
    assert nights["restrictions"] == [{"type": "daily", "start": "22:00", "duration": "8h"}]
    assert [s["name"] for s in config["schedules"]] == ["platform_schedule"]

    assert config["escalation_policies"] == [
        {
            "name": "platform_escalation",
            "description": "Pages the platform",
            "team": "platform-team",
            "repeat": 2,
            "levels": [
                {"delay": "5m", "targets": [{"schedule": "platform_schedule"}]},
                {"delay": "10m", "targets": [{"user": "bob"}]},
                {"delay": "10m", "targets": [{"user": "ann-example"}, {"user": "bob"}]},
            ],
        }
    ]
    page = {"name": "page-platform_escalation", "escalation_policy": "platform_escalation"}
    assert page in config["receivers"]
    assert config["route"] == {"receiver": "unrouted"}
    assert "wrote" in result.output


def test_the_report_says_what_did_not_map(opsgenie: FakeOpsgenie) -> None:
    imported = import_opsgenie(
        ApiSource(opsgenie.url + "/v2", {"Authorization": f"GenieKey {KEY}"})
    )
    report = imported.report()
    checks = [str(f) for f in imported.unmapped]

    def said(*words: str) -> bool:
        return any(all(w in line for w in words) for line in checks)

    assert said("platform_schedule / business_hours", "'none' turn")
    assert said("platform_schedule / business_hours", "participant team 'Platform Team'")
    assert said("teams_only / escalations", "participant escalation")
    assert said("schedule teams_only", "left out")
    assert said("'weekly' and 'business_hours' overlap", "Monday 09:00")
    assert said("'weekly' and 'nights' overlap")
    # Monday 09:00 to Friday 17:30 is one span (Opsgenie's), so it covers Monday night too.
    assert said("'business_hours' and 'nights' overlap", "Monday 22:00")
    assert said("platform_escalation", "if-not-closed")
    assert said("platform_escalation", "notify next")
    assert said("platform_escalation", "1h", "team's own routing")
    assert said("teams_only_escalation", "left out")
    assert said("bob@acme.io 'P1 only'", "conditions")
    assert said("ann.example@acme.io", "app push", "ntfy_topic")
    assert said("notification rule (all users)", "schedule-start (1)")
    assert said("route", "integrations")
    assert "CHECK" in report and "ok    user ann.example@acme.io: -> ann-example" in report


def test_dry_run_prints_only_the_report(opsgenie: FakeOpsgenie, tmp_path: Path) -> None:
    out = tmp_path / "tocsin.yaml"
    result = _invoke("--url", opsgenie.url + "/v2/", "-o", str(out), "--dry-run")
    assert result.exit_code == 0, result.output
    assert not out.exists()
    assert "Opsgenie:" in result.output and "CHECK" in result.output
    assert "escalation_policies:" not in result.output


def test_a_refused_key_is_one_line_naming_the_url(opsgenie: FakeOpsgenie) -> None:
    result = _invoke("--url", opsgenie.url, "--dry-run", token="wrong")
    assert result.exit_code != 0
    assert "/v2/users: refused (401): check the token" in result.output
    assert "Traceback" not in result.output


def test_without_a_key_or_a_source_it_says_what_to_give(opsgenie: FakeOpsgenie) -> None:
    assert "TOCSIN_IMPORT_TOKEN" in _invoke("--url", opsgenie.url, token=None).output
    assert "--from FOLDER" in _invoke(token=None).output


def _save(folder: Path, path: str, body: Any) -> None:
    file = folder / (path.strip("/") + ".json")
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(json.dumps(body))


def test_from_saved_files(tmp_path: Path) -> None:
    folder = tmp_path / "opsgenie"
    # One saved users.json holding everyone (e.g. ?limit=500); no notification rules saved.
    _save(folder, "users", {"totalCount": 3, "data": [ANN, BOB, CAT], "paging": {}, **META})
    for uid, contacts in CONTACTS.items():
        _save(folder, f"users/{uid}/contacts", {"data": contacts, **META})
    _save(folder, "teams", TEAMS)
    _save(folder, "teams/t-platform", {"data": TEAM, **META})
    _save(folder, "schedules", SCHEDULES)
    _save(folder, "escalations", ESCALATIONS)
    out = tmp_path / "tocsin.yaml"

    result = _invoke("--from", str(folder), "-o", str(out), token=None)

    assert result.exit_code == 0, result.output
    load_configuration(str(out))
    config = yaml.safe_load(out.read_text())
    assert [u["id"] for u in config["users"]] == ["ann-example", "bob", "cat"]
    assert _section(config, "users", "ann-example")["phone"] == "+4915112345678"
    assert "notification_rules" not in _section(config, "users", "ann-example")
    assert len(_section(config, "schedules", "platform_schedule")["layers"]) == 3
    assert "notification rules (all users): not read:" in result.output
    assert "notification-rules.json: missing" in result.output


def test_files_page_by_page_are_not_asked_past_the_first(tmp_path: Path) -> None:
    """A saved page with paging.next: the file holds what there is (FileSource has no
    offsets), so the import stops there instead of failing."""
    folder = tmp_path / "og"
    _save(folder, "users", USERS_PAGE_1)
    for name in ("teams", "schedules", "escalations"):
        _save(folder, name, {"data": [], **META})
    imported = import_opsgenie(FileSource(folder))
    assert [u["id"] for u in imported.sections["users"]] == ["ann-example", "bob"]


def test_odd_rotations_are_reported_not_fatal(tmp_path: Path) -> None:
    folder = tmp_path / "og"
    _save(folder, "users", {"data": [BOB], **META})
    _save(folder, "teams", {"data": [], **META})
    _save(folder, "escalations", {"data": [], **META})
    gone = _p("user", id="u-gone", username="gone@acme.io")
    bob = _p("user", id="u-bob", username="bob@acme.io")
    rotations = [
        {"name": "bad date", "startDate": "soon", "type": "daily", "participants": [bob]},
        {"name": "gone", "startDate": "2024-01-01T00:00:00Z", "type": "daily",
         "participants": [gone, bob]},
    ]  # fmt: skip
    schedule = {"id": "s1", "name": "odd", "timezone": "Mars/Olympus", "rotations": rotations}
    _save(folder, "schedules", {"data": [schedule], **META})

    imported = import_opsgenie(FileSource(folder))

    checks = [str(f) for f in imported.unmapped]
    assert "schedule odd: time zone 'Mars/Olympus' unknown: UTC used" in checks
    assert any("odd / bad date: date-time 'soon' is not ISO 8601" in c for c in checks)
    assert "rotation odd / gone: participant user 'gone@acme.io' is not among the users" in checks
    (layer,) = imported.sections["schedules"][0]["layers"]
    assert layer["users"] == ["bob"]
    assert imported.sections["schedules"][0]["time_zone"] == "UTC"
