"""``tocsin import grafana-oncall`` against a real local HTTP server answering like Grafana
OnCall OSS's public API v1, and from the same answers saved as files.

Every answer is shaped like the example responses of OnCall's HTTP API reference
(https://grafana.com/docs/oncall/latest/oncall-api-reference/; grafana/oncall,
docs/sources/oncall-api-reference/{users,teams,personal_notification_rules,schedules,
on_call_shifts,escalation_chains,escalation_policies,integrations,routes}.md): lists are
``{count, next, previous, results, current_page_number, page_size, total_pages}`` with
``next`` a full URL, and the key goes in ``Authorization`` as it is.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from typer.testing import CliRunner

import tocsin.cli.import_grafana_oncall  # noqa: F401 - adds `tocsin import grafana-oncall`
from tests.http_handler import QuickHandler
from tests.importers.json_server import send_json, start
from tocsin.cli.main import app
from tocsin.domain.schedules import oncall_at
from tocsin.integrations.importers.grafana_oncall_import import (
    api_base,
    headers,
    import_grafana_oncall,
)
from tocsin.integrations.importers.grafana_oncall_routes import matchers as to_matchers
from tocsin.integrations.importers.imported import Imported
from tocsin.integrations.importers.sources import ApiSource, FileSource
from tocsin.services.configuration import load_configuration

KEY = "meowmeowmeow"  # the docs' example key
TEAM = "TAAM1K1NNEHAG"


def user(id_: str, username: str, role: str, zone: str, **more: Any) -> dict[str, Any]:
    email = f"{username.replace(' ', '.')}@example.com"
    found = {"id": id_, "grafana_id": len(username), "email": email, "slack": []}
    return found | {"username": username, "role": role, "timezone": zone, "teams": [TEAM]} | more


SLACK = [{"user_id": "UALEXSLACKDJPK", "team_id": "TALEXSLACKDJPK"}]
ALEX = user("U4DNY931HHJS5", "alex", "admin", "Europe/Berlin", slack=SLACK)
BOB = user("U7S8H84ARFTGN", "bob", "user", "UTC")
CAT = user("UC2CHRT5SD34X", "cat.smith", "observer", "Mars/Olympus", teams=[])
DAN = user("UDANBROWN0001", "Dan Brown", "user", "America/New_York")
USERS = [ALEX, BOB, CAT, DAN]

AVATAR = "/avatar/3f49c15916554246daa714b9bd0ee398"
TEAMS = [{"id": TEAM, "grafana_id": 123, "name": "SRE Team", "email": "", "avatar_url": AVATAR}]


def nrule(id_: str, pos: int, kind: str, important: bool = False, **more: Any) -> Any:
    found = {"id": id_, "user_id": ALEX["id"], "position": pos, "important": important}
    return found | {"type": kind, **more}


RULES = [
    nrule("NT79GA9I7E4DJ", 0, "notify_by_slack"),
    nrule("ND9EHN5LN1DUU", 1, "wait", duration=300),
    nrule("NEF49YQ1HNPDD", 2, "notify_by_email"),
    nrule("NEF49YQ1HNPD2", 3, "notify_by_phone_call"),
    nrule("NWAL6WFJNWDD8", 0, "notify_by_slack", important=True),
    nrule("NWAL6WFJNWDD9", 1, "wait", important=True, duration=60),
    nrule("NWAL6WFJNWDDA", 2, "notify_by_phone_call", important=True),
]

SCHEDULES = [
    {
        "id": "SBM7DV7BKFUYU",
        "name": "Demo schedule iCal",
        "type": "ical",
        "team_id": None,
        "ical_url_primary": "https://example.com/meow_calendar.ics",
        "ical_url_overrides": "https://example.com/meow_calendar_overrides.ics",
        "on_call_now": [ALEX["id"]],
        "slack": {"channel_id": "MEOW_SLACK_ID", "user_group_id": "MEOW_SLACK_ID"},
    },
    {
        "id": "SWEB0000PRIMA",
        "name": "Primary",
        "type": "web",
        "team_id": TEAM,
        "time_zone": "Europe/Berlin",
        "on_call_now": [ALEX["id"]],
        "shifts": [],
        "slack": {"channel_id": None, "user_group_id": None},
    },
    {
        "id": "S3Z477AHDXTMF",
        "name": "Demo schedule Calendar",
        "type": "calendar",
        "team_id": None,
        "time_zone": "America/New_York",
        "on_call_now": [ALEX["id"]],
        "shifts": ["OH3V5FYQEYJ6M", "O9WTH7CKM3KZW"],
        "ical_url_overrides": None,
        "slack": {"channel_id": "MEOW_SLACK_ID", "user_group_id": "MEOW_SLACK_ID"},
    },
]


def shift(id_: str, name: str, kind: str, start: str, duration: int, **more: Any) -> Any:
    base = {"id": id_, "name": name, "type": kind, "team_id": None, "time_zone": None}
    return base | {"level": 0, "start": start, "duration": duration, "rotation_start": start} | more


def rolling(id_: str, name: str, start: str, duration: int, freq: str, **more: Any) -> Any:
    """A rolling_users shift with every recurrence field the serializer returns."""
    rule = {"frequency": freq, "interval": 1, "until": None, "by_day": None, "by_month": None}
    rule |= {"by_monthday": None, "start_rotation_from_user_index": 0}
    rule |= {"week_start": "SU"} if freq == "weekly" else {}
    return shift(id_, name, "rolling_users", start, duration, **rule) | more


WEB, AB = {"schedule": "SWEB0000PRIMA"}, {"rolling_users": [[ALEX["id"]], [BOB["id"]]]}
SHIFTS = [
    # Web schedule shifts name their schedule; times are UTC.
    rolling("OWEEKLY000001", "weekly", "2024-01-01T08:00:00", 604800, "weekly", week_start="MO")
    | WEB
    | AB,
    rolling("OBUSINESS0001", "business hours", "2024-01-03T07:00:00", 36000, "weekly")
    | WEB
    | {
        "level": 1,
        "week_start": "MO",
        "by_day": ["MO", "TU", "WE", "TH", "FR"],
        "rolling_users": [[CAT["id"]], [DAN["id"], BOB["id"]]],
        "start_rotation_from_user_index": 1,
    },
    shift("OOVERRIDE0001", "dentist", "override", "2024-03-05T12:00:00", 3600, users=[BOB["id"]])
    | WEB,
    # Calendar schedule shifts: listed by the schedule (or naming it); times in its zone.
    shift("OH3V5FYQEYJ6M", "Demo single event", "single_event", "2020-09-10T08:00:00", 10800)
    | {"level": 2, "users": [CAT["id"]]},
    rolling("O9WTH7CKM3KZW", "Demo daily", "2020-09-07T09:00:00", 28800, "daily") | AB,
    shift("OMONTHLY00001", "Demo monthly", "recurrent_event", "2020-09-10T16:00:00", 10800)
    | {"schedule": "S3Z477AHDXTMF", "frequency": "monthly", "interval": 1, "by_monthday": [1]}
    | {"users": [ALEX["id"]]},
]

CHAINS = [
    {"id": "F5JU6KJET33FE", "name": "default", "team_id": None},
    {"id": "FICALONLY0001", "name": "ical only", "team_id": None},
    {"id": "FSRE000000001", "name": "sre", "team_id": TEAM},
]


def step(id_: str, chain: str, pos: int, kind: str, **more: Any) -> Any:
    return {"id": id_, "escalation_chain_id": chain, "position": pos, "type": kind, **more}


CD, CI, CS = "F5JU6KJET33FE", "FICALONLY0001", "FSRE000000001"  # chain ids
STEPS = [
    step("E5JJTU52M5YM4", CD, 4, "notify_person_next_each_time")
    | {"persons_to_notify_next_each_time": [CAT["id"], DAN["id"]]},
    step("E3GA6SJETWWJS", CD, 1, "wait", duration=300),
    step("E0000000000D0", CD, 0, "notify_on_call_from_schedule", important=False)
    | {"notify_on_call_from_schedule": "SWEB0000PRIMA"},
    step("E0000000000D2", CD, 2, "notify_persons", important=True)
    | {"persons_to_notify": [ALEX["id"], BOB["id"]]},
    step("E0000000000D3", CD, 3, "wait", duration=600),
    step("E0000000000D5", CD, 5, "trigger_webhook", action_to_trigger="WHOOK00000001"),
    step("E0000000000D6", CD, 6, "repeat_escalation"),
    step("E0000000000I0", CI, 0, "notify_on_call_from_schedule")
    | {"notify_on_call_from_schedule": "SBM7DV7BKFUYU"},
    step("E0000000000S0", CS, 0, "wait", duration=120),
    step("E0000000000S1", CS, 1, "notify_persons", persons_to_notify=[BOB["id"]]),
    step("E0000000000S2", CS, 2, "notify_user_group", group_to_notify="GSLACK0000001"),
]

TEMPLATES = {"grouping_key": None, "resolve_signal": None, "acknowledge_signal": None}
INTEGRATIONS = [
    {
        "id": "CFRPV98RPR1U8",
        "name": "Prometheus",
        "team_id": None,
        "link": "{{API_URL}}/integrations/v1/alertmanager/mReAoNwDm0eMwKo1mTeTwYo/",
        "inbound_email": None,
        "type": "alertmanager",
        "default_route": {
            "id": "RVBE4RKQSCGJ2",
            "escalation_chain_id": CD,
            "slack": {"channel_id": "CH23212D"},
        },
        "templates": TEMPLATES,
    },
    {
        "id": "CGRAFANA00001",
        "name": "Grafana Alerting",
        "team_id": TEAM,
        "link": "{{API_URL}}/integrations/v1/grafana_alerting/abc/",
        "inbound_email": None,
        "type": "grafana_alerting",
        "default_route": {"id": "RDEFAULT00002", "escalation_chain_id": CS, "slack": {}},
        "templates": TEMPLATES,
    },
]


def route(id_: str, integ: str, chain: str | None, regex: str, pos: int, last: bool) -> Any:
    found = {"id": id_, "integration_id": integ, "escalation_chain_id": chain}
    found |= {"routing_regex": regex, "position": pos, "is_the_last_route": last}
    return found | {"slack": {"channel_id": None}}


P, G = "CFRPV98RPR1U8", "CGRAFANA00001"
ROUTES = [
    route("RIYGUJXCPFHXY", P, CS, '"severity": "critical"', 0, False),
    route("R000000000002", P, CI, '\\"team\\": \\"(db|api)\\"', 1, False),
    route("R000000000003", P, CD, "us-(east|west)", 2, False),
    route("RVBE4RKQSCGJ2", P, CD, ".*", 3, True),
    route("R000000000004", G, CD, '{{ payload.commonLabels.service == "checkout" }}', 0, False)
    | {"routing_type": "jinja2"},
    route("RDEFAULT00002", G, CS, ".*", 1, True),
]

ANSWERS = {
    "users": USERS,
    "teams": TEAMS,
    "personal_notification_rules": RULES,
    "schedules": SCHEDULES,
    "on_call_shifts": SHIFTS,
    "escalation_chains": CHAINS,
    "escalation_policies": STEPS,
    "integrations": INTEGRATIONS,
    "routes": ROUTES,
}


def page(results: list[Any], count: int, nxt: str | None, prev: str | None, n: int) -> Any:
    return {"count": count, "next": nxt, "previous": prev, "results": results} | {
        "current_page_number": n,
        "page_size": 2,
        "total_pages": (count + 1) // 2,
    }


class OnCallServer:
    """Answers GET /api/v1/<name>/ (users in pages of two) and records each request."""

    def __init__(self) -> None:
        self.answers: dict[str, tuple[int, Any]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(QuickHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                server.requests.append((self.path, dict(self.headers.items())))
                status, body = server.answers.get(self.path, (404, {"detail": "Not found."}))
                if self.headers.get("Authorization") != KEY:
                    status, body = 401, {"detail": "Invalid token."}
                send_json(self, status, body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd, self.url = start(Handler)
        for name, items in ANSWERS.items():
            self.answers[f"/api/v1/{name}/"] = (200, page(items, len(items), None, None, 1))
        users = f"{self.url}/api/v1/users/"
        self.answers["/api/v1/users/"] = (200, page(USERS[:2], 4, users + "?page=2", None, 1))
        # The last page's link names another host: only its path and query are followed.
        third = "https://oncall.internal:8080/api/v1/users/?page=3"
        self.answers["/api/v1/users/?page=2"] = (200, page(USERS[2:3], 4, third, users, 2))
        self.answers["/api/v1/users/?page=3"] = (200, page(USERS[3:], 4, None, users, 3))

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]


@pytest.fixture
def oncall() -> Iterator[OnCallServer]:
    server = OnCallServer()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


def saved(folder: Path) -> Path:
    """The answers as a user saves them: one file per list, every page in one."""
    folder.mkdir()
    for name, items in ANSWERS.items():
        (folder / f"{name}.json").write_text(json.dumps(page(items, len(items), None, None, 1)))
    return folder


def compiled(imported: Imported, tmp_path: Path) -> Any:
    path = tmp_path / "imported.yaml"
    path.write_text(imported.yaml_text())
    return load_configuration(str(path))


def by(items: list[Any], key: str, value: str) -> Any:
    return next(item for item in items if item[key] == value)


def notes(imported: Imported) -> str:
    return "\n".join(str(f) for f in imported.unmapped)


def test_reads_the_api_with_its_key_and_follows_next(oncall: OnCallServer, tmp_path: Path) -> None:
    imported = import_grafana_oncall(ApiSource(api_base(oncall.url), headers(KEY)))
    assert oncall.paths()[:3] == [
        "/api/v1/users/",
        "/api/v1/users/?page=2",
        "/api/v1/users/?page=3",
    ]
    assert all(h["Authorization"] == KEY for _, h in oncall.requests)  # no "Bearer"
    assert "X-Grafana-URL" not in oncall.requests[0][1]
    check_mapping(imported, tmp_path)


def test_reads_saved_files(tmp_path: Path) -> None:
    check_mapping(import_grafana_oncall(FileSource(saved(tmp_path / "saved"))), tmp_path)


def check_mapping(imported: Imported, tmp_path: Path) -> None:
    config = compiled(imported, tmp_path)
    s = imported.sections
    report = notes(imported)

    # People: ids are the usernames (slugged when they cannot be handles).
    assert [u["id"] for u in s["users"]] == ["alex", "bob", "cat.smith", "dan-brown"]
    alex = by(s["users"], "id", "alex")
    assert alex["slack_user_id"] == "UALEXSLACKDJPK" and alex["role"] == "admin"
    assert alex["time_zone"] == "Europe/Berlin"
    assert by(s["users"], "id", "cat.smith")["role"] == "viewer"
    assert "time_zone" not in by(s["users"], "id", "cat.smith")
    assert "Mars/Olympus" in report
    assert alex["notification_rules"] == {
        "high": [{"method": "slack", "delay": "0m"}],
        "low": [{"method": "slack", "delay": "0m"}, {"method": "email", "delay": "5m"}],
    }
    assert "notify_by_phone_call at 1m, notify_by_phone_call at 5m" in report
    assert s["teams"] == [{"name": "sre-team", "members": ["alex", "bob", "dan-brown"]}]

    # Schedules: iCal ones are reported, not fetched.
    assert [x["name"] for x in s["schedules"]] == ["Primary", "Demo schedule Calendar"]
    assert "iCal (https://example.com/meow_calendar.ics) not mapped" in report
    assert "overrides calendar is not read" in report
    primary = by(s["schedules"], "name", "Primary")
    assert primary["time_zone"] == "UTC" and primary["team"] == "sre-team"
    weekly, business = primary["layers"]  # level 0 below level 1
    assert weekly["rotation"] == {"type": "weekly", "handoff": "08:00", "handoff_weekday": 1}
    assert weekly["users"] == ["alex", "bob"] and "restrictions" not in weekly
    # Starts on a Wednesday, but the turn is the week from Monday (week_start MO).
    assert business["rotation"] == {"type": "weekly", "handoff": "07:00", "handoff_weekday": 1}
    assert business["users"] == ["dan-brown", "cat.smith"]  # start_rotation_from_user_index 1
    assert business["restrictions"][0] == {
        "type": "weekly",
        "weekday": 1,
        "start": "07:00",
        "duration": "10h",
    }
    assert [r["weekday"] for r in business["restrictions"]] == [1, 2, 3, 4, 5]
    assert "several people at once" in report
    assert primary["overrides"] == [
        {"start": "2024-03-05T12:00:00+00:00", "end": "2024-03-05T13:00:00+00:00", "user": "bob"}
    ]
    cal = by(s["schedules"], "name", "Demo schedule Calendar")
    assert cal["time_zone"] == "America/New_York"
    daily, single = cal["layers"]
    assert daily["rotation"] == {"type": "daily", "handoff": "09:00"}
    assert daily["restrictions"] == [{"type": "daily", "start": "09:00", "duration": "8h"}]
    assert single["start"] == "2020-09-10T08:00:00" and single["end"] == "2020-09-10T11:00:00"
    assert "repeats monthly" in report

    # Who is on call, as Tocsin computes it from the imported layers.
    sched = config.schedules["Primary"]
    at = lambda text: datetime.fromisoformat(text).replace(tzinfo=UTC)  # noqa: E731
    assert oncall_at(sched, at("2024-01-06T12:00:00")) == "alex"  # Saturday: weekly layer
    assert oncall_at(sched, at("2024-01-08T12:00:00")) == "cat.smith"  # Monday, week 2
    assert oncall_at(sched, at("2024-01-03T08:00:00")) == "dan-brown"  # Wednesday, week 1
    assert oncall_at(sched, at("2024-01-09T18:00:00")) == "bob"  # after hours, week 2
    assert oncall_at(sched, at("2024-03-05T12:30:00")) == "bob"  # the override
    ny = config.schedules["Demo schedule Calendar"]
    local = lambda text: datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("America/New_York"))  # noqa: E731
    assert oncall_at(ny, local("2020-09-07T10:00:00")) == "alex"
    assert oncall_at(ny, local("2020-09-08T10:00:00")) == "bob"
    assert oncall_at(ny, local("2020-09-08T20:00:00")) is None
    assert oncall_at(ny, local("2020-09-10T09:00:00")) == "cat.smith"  # the single event

    # Escalation chains, steps in position order.
    default = by(s["escalation_policies"], "name", "default")
    assert default["repeat"] == 5
    assert default["levels"] == [
        {"delay": "5m", "targets": [{"schedule": "Primary"}]},
        {"delay": "10m", "targets": [{"user": "alex"}, {"user": "bob"}]},
        {
            "delay": "5m",
            "mode": "round_robin",
            "targets": [{"user": "cat.smith"}, {"user": "dan-brown"}],
        },
    ]
    sre = by(s["escalation_policies"], "name", "sre")
    assert sre["team"] == "sre-team"
    assert sre["levels"] == [{"delay": "5m", "targets": [{"user": "bob"}]}]
    assert "starts with a wait of 2m" in report
    assert "step a webhook" in report and "step a Slack user group" in report
    assert "escalation ical only: nobody it pages maps" in report
    assert [p["name"] for p in s["escalation_policies"]] == ["default", "sre"]

    # Integrations and routes: a route tree keyed on the integration label.
    assert s["route"] == {
        "receiver": "unrouted",
        "group_by": ["alertname"],
        "routes": [
            {
                "matchers": ['oncall_integration="prometheus"'],
                "receiver": "page-default",
                "routes": [
                    {"matchers": ['severity="critical"'], "receiver": "page-sre"},
                    {"matchers": ['team=~"db|api"'], "receiver": "no-escalation"},
                ],
            },
            {
                "matchers": ['oncall_integration="grafana-alerting"'],
                "receiver": "page-sre",
                "routes": [{"matchers": ['service="checkout"'], "receiver": "page-default"}],
            },
        ],
    }
    assert {r["name"]: r.get("escalation_policy") for r in s["receivers"]} == {
        "page-default": "default",
        "page-sre": "sre",
        "no-escalation": None,
        "unrouted": None,
    }
    assert "tocsin integration create prometheus --kind alertmanager-webhook" in report
    assert "tocsin integration create grafana-alerting --kind alertmanager" in report
    assert "route Prometheus/us-(east|west): not a plain label match" in report
    assert "its escalation chain did not map" in report
    assert "Slack channels" in report
    assert config.receiver_policies == {"page-default": "default", "page-sre": "sre"}


def test_one_integration_is_the_root_and_steps_share_levels(tmp_path: Path) -> None:
    folder = saved(tmp_path / "saved")
    one = page(INTEGRATIONS[:1], 1, None, None, 1)
    (folder / "integrations.json").write_text(json.dumps(one))
    (folder / "teams.json").unlink()  # optional: reported
    (folder / "personal_notification_rules.json").unlink()
    steps = [
        step("E1", CD, 0, "notify_persons", persons_to_notify=[ALEX["id"]]),
        step(
            "E2",
            CD,
            1,
            "notify_on_call_from_schedule",
            notify_on_call_from_schedule="SWEB0000PRIMA",
        ),
        step(
            "E3",
            CD,
            2,
            "notify_person_next_each_time",
            persons_to_notify_next_each_time=[BOB["id"]],
        ),
        step("E4", CD, 3, "wait", duration=90),
    ]
    (folder / "escalation_policies.json").write_text(json.dumps(steps))  # a bare list
    imported = import_grafana_oncall(FileSource(folder))
    compiled(imported, tmp_path)
    route_ = imported.sections["route"]
    assert route_["receiver"] == "page-default" and "matchers" not in route_
    assert route_["routes"][0] == {"matchers": ['severity="critical"'], "receiver": "no-escalation"}
    assert imported.sections["escalation_policies"][0]["levels"] == [
        {"delay": "1m", "targets": [{"user": "alex"}, {"schedule": "Primary"}]},
        {"delay": "1m30s", "mode": "round_robin", "targets": [{"user": "bob"}]},
    ]
    report = notes(imported)
    assert "teams (all): not read" in report and "personal_notification_rules (all)" in report
    assert "paged 1m after the step before it" in report
    assert "teams" not in imported.sections


def test_cli_from_the_api(oncall: OnCallServer, tmp_path: Path) -> None:
    out = tmp_path / "tocsin.yaml"
    env = {"TOCSIN_IMPORT_TOKEN": KEY}
    args = ["import", "grafana-oncall", "--url", oncall.url, "-o", str(out)]
    result = CliRunner().invoke(app, [*args, "--grafana-url", "https://g.example.com"], env=env)
    assert result.exit_code == 0, result.output
    assert "Grafana OnCall:" in result.stderr and "CHECK" in result.stderr
    assert oncall.requests[0][1]["X-Grafana-URL"] == "https://g.example.com"
    load_configuration(str(out))
    assert yaml.safe_load(out.read_text())["users"][0]["id"] == "alex"
    assert KEY not in out.read_text() and KEY not in result.output
    again = CliRunner().invoke(app, args, env=env)
    assert again.exit_code == 1 and "exists" in again.output


def test_cli_dry_run_from_files_and_refusals(oncall: OnCallServer, tmp_path: Path) -> None:
    folder = saved(tmp_path / "saved")
    result = CliRunner().invoke(
        app, ["import", "grafana-oncall", "--from", str(folder), "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert "users:" not in result.stdout and "ok    user alex" in result.stderr
    base = ["import", "grafana-oncall", "--url", oncall.url]
    no_key = CliRunner().invoke(app, base, env={"TOCSIN_IMPORT_TOKEN": ""})
    assert no_key.exit_code == 1 and "TOCSIN_IMPORT_TOKEN" in no_key.output
    wrong = CliRunner().invoke(app, base, env={"TOCSIN_IMPORT_TOKEN": "nope"})
    assert wrong.exit_code == 1 and "refused (401)" in wrong.output
    assert "Traceback" not in wrong.output
    (folder / "routes.json").unlink()
    missing = CliRunner().invoke(app, ["import", "grafana-oncall", "--from", str(folder)])
    assert missing.exit_code == 1 and "routes.json: missing" in missing.output


@pytest.mark.parametrize(
    ("regex", "kind", "matchers"),
    [
        ('"severity": "critical"', None, ['severity="critical"']),
        ('\\"severity\\":\\"critical\\"', "regex", ['severity="critical"']),
        ('"env": "prod|staging"', None, ['env=~"prod|staging"']),
        ('"env": "(prod|staging)"', None, ['env=~"prod|staging"']),
        (".*", None, []),
        ("", None, []),
        ("us-(east|west)", None, None),
        ('"severity": "crit.*"', None, None),
        ("{{ payload.labels.team == 'db' }}", "jinja2", ['team="db"']),
        ('{{ payload.commonLabels.team == "db" and true }}', "jinja2", None),
        ('{{ payload.commonLabels.team == "db" }}', "regex", None),
    ],
)
def test_routing_regex_to_matchers(regex: str, kind: str | None, matchers: Any) -> None:
    assert to_matchers({"routing_regex": regex, "routing_type": kind}) == matchers


def test_api_base() -> None:
    assert api_base("https://oncall.example.com/") == "https://oncall.example.com/api/v1"
    assert api_base("https://x/api/v1") == "https://x/api/v1"
    assert headers("k") == {"Authorization": "k", "Accept": "application/json"}


def test_rotations_that_map_only_approximately(tmp_path: Path) -> None:
    folder = saved(tmp_path / "saved")
    shifts = [
        # Restarted rotation: the queue begins with alex at the first turn from rotation_start.
        rolling("OA", "restarted", "2024-01-01T08:00:00", 604800, "weekly", week_start="MO")
        | WEB
        | AB
        | {"rotation_start": "2024-01-17T08:00:00"},
        rolling("OB", "weekdays", "2024-01-01T09:00:00", 28800, "daily", level=1)
        | WEB
        | AB
        | {"by_day": ["MO", "TU", "WE", "TH", "FR"]},
        rolling("OC", "8h", "2024-01-01T06:00:00", 28800, "hourly", level=2, interval=8)
        | WEB
        | AB
        | {"until": "2025-01-01T00:00:00"},
        rolling("OD", "fortnight", "2024-01-01T00:00:00", 86400, "weekly", level=3, interval=2)
        | WEB
        | AB,
        shift("OE", "old", "single_event", "2020-01-01T00:00:00", 3600, users=[BOB["id"]])
        | WEB
        | {"level": 4},
    ]
    (folder / "on_call_shifts.json").write_text(json.dumps(shifts))
    imported = import_grafana_oncall(FileSource(folder))
    config = compiled(imported, tmp_path)
    layers = by(imported.sections["schedules"], "name", "Primary")["layers"]
    restarted, weekdays, hours, fortnight, old = layers
    assert restarted["start"] == "2024-01-17T08:00:00"
    assert restarted["rotation"]["virtual_start"] == "2024-01-22T08:00:00"
    assert weekdays["rotation"] == {"type": "daily", "handoff": "09:00"}
    assert [r["weekday"] for r in weekdays["restrictions"]] == [1, 2, 3, 4, 5]
    assert hours["rotation"] == {"type": "custom", "unit": "hours", "length": 8, "handoff": "06:00"}
    assert hours["end"] == "2025-01-01T00:00:00" and "restrictions" not in hours
    assert fortnight["rotation"]["length"] == 2 and "restrictions" not in fortnight
    assert old["end"] == "2020-01-01T01:00:00"
    report = notes(imported)
    assert "shift Primary/weekdays: OnCall hands over on each chosen day" in report
    assert "shift Primary/fortnight: on call 1d of each turn: all kept" in report
    sched = config.schedules["Primary"]
    at = lambda text: datetime.fromisoformat(text).replace(tzinfo=UTC)  # noqa: E731
    # The fortnight layer (level 3) wins; its turns are whole, where OnCall's last a day.
    assert oncall_at(sched, at("2024-01-10T12:00:00")) == "alex"
    assert oncall_at(sched, at("2024-01-23T12:00:00")) == "bob"
    assert oncall_at(sched, at("2024-01-29T12:00:00")) == "alex"
