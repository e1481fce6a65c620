"""``tocsin import pagerduty`` against a real local HTTP server answering like PagerDuty's
REST API v2, and from the same answers saved as files.

Every answer is shaped like the "Response Example" of the endpoint in PagerDuty's OpenAPI
description (https://developer.pagerduty.com/api-reference; github.com/PagerDuty/api-schema,
reference/REST/openapiv3.json): GET /users (include[]=contact_methods,notification_rules),
/users/{id}/contact_methods, /users/{id}/notification_rules, /teams, /teams/{id}/members,
/schedules, /schedules/{id}, /schedules/{id}/overrides, /escalation_policies, /services.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from typer.testing import CliRunner

import tocsin.cli.import_pagerduty  # noqa: F401 - adds `tocsin import pagerduty`
from tests.http_handler import QuickHandler
from tests.importers.json_server import send_json, start
from tocsin.cli.main import app
from tocsin.domain.schedules import oncall_at
from tocsin.integrations.importers import pagerduty_import
from tocsin.integrations.importers.imported import Imported
from tocsin.integrations.importers.pagerduty_import import (
    duration,
    import_pagerduty,
    pagerduty_headers,
)
from tocsin.integrations.importers.sources import ApiSource, FileSource, SourceError
from tocsin.services.configuration import load_configuration

NOW = datetime(2026, 3, 1, tzinfo=UTC)
TOKEN = "y_NbAkKc66ryYTWUXYEu"
API = "https://api.pagerduty.com"


def ref(kind: str, id_: str, summary: str) -> dict[str, Any]:
    """A ``*_reference`` as the API gives it."""
    plural = {"user": "users", "schedule": "schedules", "team": "teams"}.get(kind, kind + "s")
    return {
        "id": id_,
        "type": f"{kind}_reference",
        "summary": summary,
        "self": f"{API}/{plural}/{id_}",
        "html_url": f"https://subdomain.pagerduty.com/{plural}/{id_}",
    }


EARLINE = ref("user", "PXPGF42", "Earline Greenholt")
KYLER = ref("user", "PAM4FGS", "Kyler Kuhn")
ANN = ref("user", "PQ00001", "Ann Example")
GONE = ref("user", "PDELETD", "Deleted User")
ENGINEERING = ref("team", "PQ9K7I8", "Engineering")


def cm(id_: str, kind: str, label: str, address: str, **more: Any) -> dict[str, Any]:
    return {"id": id_, "type": kind, "summary": label, "label": label, "address": address, **more}


def rule(id_: str, urgency: str, delay: int, method: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": id_,
        "type": "assignment_notification_rule",
        "summary": f"{delay} minutes: channel {method['id']}",
        "start_delay_in_minutes": delay,
        "urgency": urgency,
        "contact_method": {"id": method["id"], "type": method["type"] + "_reference"},
    }


EMAIL = cm("PTDVERC", "email_contact_method", "Default", "earline.greenholt@example.com")
PHONE = cm("PPHONE1", "phone_contact_method", "Mobile", "5555550123", country_code=1)
SMS = cm("PSMS001", "sms_contact_method", "Mobile", "5555550123", country_code=1)
BAD_SMS = cm("PBADSMS", "sms_contact_method", "Old", "12", country_code=1)
PUSH = cm("PPUSH01", "push_notification_contact_method", "iPhone", "abc", device_type="ios")


def user(r: dict[str, Any], email: str, zone: str, role: str, **more: Any) -> dict[str, Any]:
    return {
        **r,
        "type": "user",
        "name": r["summary"],
        "email": email,
        "time_zone": zone,
        "color": "green",
        "role": role,
        "avatar_url": "https://pd-static-assets.pagerduty.com/users/blank-avatar.png",
        "invitation_sent": False,
        "teams": [ENGINEERING],
        **more,
    }


USERS = [
    user(
        EARLINE,
        "earline.greenholt@example.com",
        "America/Lima",
        "admin",
        contact_methods=[EMAIL, PHONE, SMS, PUSH],
        notification_rules=[
            rule("PR1", "high", 0, EMAIL),
            rule("PR2", "high", 0, PUSH),
            rule("PR3", "high", 2, SMS),
            rule("PR4", "high", 5, PHONE),
            rule("PR5", "low", 0, EMAIL),
        ],
    ),
    # Only references: the importer asks the per-user endpoints.
    user(
        KYLER,
        "kyler@example.com",
        "Asia/Hong_Kong",
        "user",
        contact_methods=[
            {"id": "PVMGSML", "type": "email_contact_method_reference", "summary": "Work"}
        ],
        notification_rules=[
            {"id": "P8GRWKK", "type": "assignment_notification_rule_reference", "summary": "x"}
        ],
    ),
    user(ANN, "ann@example.com", "Europe/Berlin", "observer", contact_methods=[]),
    user(
        ref("user", "PQ00002", "Ann Other"),
        "ann@corp.example",
        "Mars/Olympus",
        "user",
        contact_methods=[BAD_SMS],
        notification_rules=[rule("PR9", "high", 0, BAD_SMS)],
    ),
]
KYLER_METHODS = [
    cm("PVMGSML", "email_contact_method", "Work", "kyler@example.com", send_short_email=False),
    cm("PKSMS01", "sms_contact_method", "Mobile", "7911123456", country_code=44),
]
KYLER_RULES = [
    rule("P8GRWKK", "high", 0, KYLER_METHODS[0]),
    rule("P8GRWKL", "high", 1, KYLER_METHODS[1]),
]


def layer(name: str, start: str, vstart: str, turn: int, users: list[Any], **more: Any) -> Any:
    return {
        "name": name,
        "id": "L" + name.replace(" ", "")[:6].upper(),
        "start": start,
        "end": None,
        "rotation_virtual_start": vstart,
        "rotation_turn_length_seconds": turn,
        "users": [{"user": u} for u in users],
        "restrictions": [],
        "rendered_schedule_entries": [],
        "rendered_coverage_percentage": None,
        **more,
    }


DAILY = ref("schedule", "PI7DH85", "Daily Engineering Rotation")
SUN = ref("schedule", "PSUN001", "Follow the sun")
DAILY_RESTRICTIONS = [
    {"type": "daily_restriction", "start_time_of_day": "09:00:00", "duration_seconds": 32400},
    {"type": "weekly_restriction", "start_time_of_day": "10:00:00", "duration_seconds": 14400,
     "start_day_of_week": 6},
]  # fmt: skip
# fmt: off
SCHEDULES = {
    "PI7DH85": {
        **DAILY, "type": "schedule", "name": DAILY["summary"], "time_zone": "America/New_York",
        "description": "Rotation schedule for engineering", "teams": [ENGINEERING],
        "users": [EARLINE, KYLER, ANN],
        # As the API lists them: the highest priority first.
        "schedule_layers": [
            layer("Business hours", "2025-01-06T09:00:00-05:00", "2025-01-06T09:00:00-05:00",
                  86400, [KYLER, ANN], restrictions=DAILY_RESTRICTIONS),
            layer("Night Shift", "2025-01-01T00:00:00-05:00", "2025-01-06T14:00:00Z", 604800,
                  [EARLINE, KYLER, GONE]),
            layer("Old layer", "2024-01-01T00:00:00-05:00", "2024-01-01T00:00:00-05:00", 86400,
                  [ANN], end="2025-01-01T00:00:00-05:00"),
        ],
        "overrides_subschedule": {"name": "Overrides", "rendered_schedule_entries": []},
        "final_schedule": {"name": "Final Schedule", "rendered_schedule_entries": []},
    },
    "PSUN001": {
        **SUN, "type": "schedule", "name": SUN["summary"], "time_zone": "UTC", "teams": [],
        "schedule_layers": [
            layer("Layer 3", "2026-01-05T00:00:00Z", "2026-01-05T00:00:00Z", 5400, [ANN]),
            layer("Layer 1", "2026-01-05T00:00:00Z", "2026-01-05T06:00:00Z", 43200, [KYLER]),
            layer("Layer 2", "2026-01-05T00:00:00Z", "2026-01-07T08:30:00Z", 1209600, [EARLINE]),
        ],
    },
}
OVERRIDES = {
    "PI7DH85": [],
    "PSUN001": [
        {"id": "PQ47DCP", "start": "2026-03-05T00:00:00Z", "end": "2026-03-06T00:00:00Z",
         "user": EARLINE},
        {"id": "PQ47DCQ", "start": "2026-02-01T00:00:00Z", "end": "2026-02-02T00:00:00Z",
         "user": KYLER},
        {"id": "PQ47DCR", "start": "2026-03-07T00:00:00Z", "end": "2026-03-08T00:00:00Z",
         "user": GONE},
    ],
}
# fmt: on


def policy(id_: str, name: str, rules: list[Any], **more: Any) -> dict[str, Any]:
    return {
        "id": id_,
        "type": "escalation_policy",
        "summary": name,
        "self": f"{API}/escalation_policies/{id_}",
        "html_url": f"https://subdomain.pagerduty.com/escalation_policies/{id_}",
        "name": name,
        "escalation_rules": rules,
        "services": [],
        "num_loops": 0,
        "teams": [],
        "on_call_handoff_notifications": "if_has_services",
        **more,
    }


# fmt: off
POLICIES = [
    policy("PANZZEQ", "Engineering Escalation Policy", [
        {"id": "R1", "escalation_delay_in_minutes": 30, "targets": [EARLINE, DAILY]},
        {"id": "R2", "escalation_delay_in_minutes": 15, "targets": [SUN, KYLER],
         "escalation_rule_assignment_strategy": "round_robin"},
    ], num_loops=2, teams=[ENGINEERING]),
    policy("PT20YPA", "Another Escalation Policy", [
        {"id": "R3", "escalation_delay_in_minutes": 0,
         "targets": [KYLER, ref("schedule", "PGONE01", "Deleted schedule")]},
    ], on_call_handoff_notifications="always"),
    policy("PEMPTY1", "Empty Policy", [{"escalation_delay_in_minutes": 5, "targets": [GONE]}]),
]
# fmt: on


def service(id_: str, name: str, policy_id: str, **more: Any) -> dict[str, Any]:
    return {
        "id": id_,
        "summary": name,
        "type": "service",
        "self": f"{API}/services/{id_}",
        "name": name,
        "auto_resolve_timeout": None,
        "acknowledgement_timeout": None,
        "status": "active",
        "alert_creation": "create_alerts_and_incidents",
        "integrations": [],
        "escalation_policy": ref("escalation_policy", policy_id, policy_id),
        "teams": [],
        "incident_urgency_rule": {"type": "constant", "urgency": "severity_based"},
        **more,
    }


# fmt: off
SERVICES = [
    service(
        "PIJ90N7", "My Application Service", "PT20YPA",
        auto_resolve_timeout=14400, acknowledgement_timeout=600, teams=[ENGINEERING],
        integrations=[{
            "id": "PQ12345", "type": "events_api_v2_inbound_integration", "summary": "Prometheus",
            "name": "Prometheus", "integration_key": "8b3d1b1e0b8e4d2c9e1f0a1b2c3d4e5f",
        }],
        incident_urgency_rule={
            "type": "use_support_hours",
            "during_support_hours": {"type": "constant", "urgency": "high"},
            "outside_support_hours": {"type": "constant", "urgency": "low"},
        },
        support_hours={
            "type": "fixed_time_per_day", "time_zone": "America/Lima", "start_time": "09:00:00",
            "end_time": "17:00:00", "days_of_week": [1, 2, 3, 4, 5],
        },
        alert_grouping_parameters={"type": "intelligent"},
        auto_pause_notifications_parameters={"enabled": True, "timeout": 300},
    ),
    service("PSVC002", 'Checkout "API"', "PANZZEQ"),
    service("PSVC003", "Legacy", "PANZZEQ", status="disabled"),
    service("PSVC004", "Orphan", "PEMPTY1"),
]
# fmt: on
TEAMS = [
    {
        **ENGINEERING,
        "type": "team",
        "name": "Engineering",
        "description": "All engineering",
    }
]
MEMBERS = [
    {"user": EARLINE, "role": "manager"},
    {"user": KYLER, "role": "responder"},
    {"user": ANN, "role": "observer"},
    {"user": GONE, "role": "responder"},
]
LISTS = {
    "/users": ("users", USERS),
    "/teams": ("teams", TEAMS),
    "/teams/PQ9K7I8/members": ("members", MEMBERS),
    "/schedules": (
        "schedules",
        [{k: v for k, v in s.items() if k != "schedule_layers"} for s in SCHEDULES.values()],
    ),
    "/escalation_policies": ("escalation_policies", POLICIES),
    "/services": ("services", SERVICES),
}
SINGLE = {
    "/users/PAM4FGS/contact_methods": {"contact_methods": KYLER_METHODS},
    "/users/PAM4FGS/notification_rules": {"notification_rules": KYLER_RULES},
    **{f"/schedules/{k}": {"schedule": v} for k, v in SCHEDULES.items()},
    **{f"/schedules/{k}/overrides": {"overrides": v} for k, v in OVERRIDES.items()},
}


class PagerDutyServer:
    """PagerDuty's REST API on 127.0.0.1: lists paged by offset/limit (with ``more``),
    every request recorded, 401 without the right token."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, list[str]], dict[str, str]]] = []
        server = self

        class Handler(QuickHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                headers = {k.lower(): v for k, v in self.headers.items()}
                server.requests.append((parts.path, query, headers))
                status, body = server.answer(parts.path, query, headers)
                send_json(self, status, body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd, self.url = start(Handler)

    def answer(
        self, path: str, query: dict[str, list[str]], headers: dict[str, str]
    ) -> tuple[int, Any]:
        if headers.get("authorization") != f"Token token={TOKEN}":
            return 401, {"error": {"message": "Unauthorized", "code": 2006}}
        if path in LISTS:
            key, items = LISTS[path]
            offset, limit = int(query["offset"][0]), int(query["limit"][0])
            page = items[offset : offset + limit]
            more = offset + limit < len(items)
            return 200, {key: page, "limit": limit, "offset": offset, "more": more, "total": None}
        if path in SINGLE:
            return 200, SINGLE[path]
        return 404, {"error": {"message": "Not Found", "code": 2100}}

    def paths(self) -> list[str]:
        return [p for p, _, _ in self.requests]


@pytest.fixture
def pd(monkeypatch: pytest.MonkeyPatch) -> Iterator[PagerDutyServer]:
    monkeypatch.setattr(pagerduty_import, "PAGE", 2)  # so every list takes two pages
    server = PagerDutyServer()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


def saved(folder: Path) -> Path:
    """The answers saved as files, as docs/import-pagerduty.md says."""
    for path, (key, items) in LISTS.items():
        answer = {key: items, "limit": 100, "offset": 0, "more": False, "total": None}
        _write(folder, path, answer)
    for path, answer in SINGLE.items():
        _write(folder, path, answer)
    return folder


def _write(folder: Path, path: str, answer: Any) -> None:
    file = folder / (path.strip("/") + ".json")
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(json.dumps(answer))


def compiled(imported: Imported, tmp_path: Path) -> Any:
    file = tmp_path / "tocsin.yaml"
    file.write_text(imported.yaml_text())
    return load_configuration(str(file))


def by(items: list[Any], key: str, value: str) -> Any:
    return next(i for i in items if i[key] == value)


def test_reads_the_api_with_its_token_and_pages(pd: PagerDutyServer, tmp_path: Path) -> None:
    imported = import_pagerduty(ApiSource(pd.url, pagerduty_headers(TOKEN)), NOW)
    for _, _, headers in pd.requests:
        assert headers["authorization"] == f"Token token={TOKEN}"
        assert headers["accept"] == "application/vnd.pagerduty+json;version=2"
    users = [q for p, q, _ in pd.requests if p == "/users"]
    assert [q["offset"] for q in users] == [["0"], ["2"]]
    assert users[0]["include[]"] == ["contact_methods", "notification_rules"]
    assert [q["offset"] for p, q, _ in pd.requests if p == "/escalation_policies"] == [
        ["0"],
        ["2"],
    ]
    assert "/users/PAM4FGS/contact_methods" in pd.paths()
    assert "/users/PXPGF42/contact_methods" not in pd.paths()  # included whole
    overrides = next(q for p, q, _ in pd.requests if p == "/schedules/PSUN001/overrides")
    assert overrides["since"] == [NOW.isoformat()]
    assert overrides["until"] == [(NOW + timedelta(days=90)).isoformat()]
    check_mapping(imported, tmp_path)


def test_reads_saved_files(tmp_path: Path) -> None:
    imported = import_pagerduty(FileSource(saved(tmp_path / "pd")), NOW)
    check_mapping(imported, tmp_path)


def test_a_saved_page_that_says_there_is_more_is_not_taken_for_all(tmp_path: Path) -> None:
    folder = saved(tmp_path / "pd")
    path, (key, items) = next(iter(LISTS.items()))
    _write(folder, path, {key: items[:1], "limit": 1, "offset": 0, "more": True, "total": None})
    with pytest.raises(SourceError, match="says there is more"):
        import_pagerduty(FileSource(folder), NOW)


def check_mapping(imported: Imported, tmp_path: Path) -> None:
    config = compiled(imported, tmp_path)
    s = imported.sections
    # Users: ids from the email's local part, unique and stable (by PagerDuty id).
    assert [u["id"] for u in s["users"]] == ["earline-greenholt", "kyler", "ann", "ann-2"]
    earline = by(s["users"], "id", "earline-greenholt")
    assert earline["phone"] == "+15555550123"
    assert earline["role"] == "admin"
    assert earline["notification_rules"] == {
        "high": [
            {"method": "email", "delay": "0m"},
            {"method": "sms", "delay": "2m"},
            {"method": "voice", "delay": "5m"},
        ],
        "low": [{"method": "email", "delay": "0m"}],
    }
    kyler = by(s["users"], "id", "kyler")
    assert kyler["phone"] == "+447911123456"
    assert kyler["notification_rules"]["high"][1] == {"method": "sms", "delay": "1m"}
    assert by(s["users"], "id", "ann")["role"] == "stakeholder"
    assert {"time_zone", "phone", "notification_rules"}.isdisjoint(by(s["users"], "id", "ann-2"))
    # Teams and their roles.
    team = s["teams"][0]
    assert team["name"] == "engineering"
    assert team["members"] == ["earline-greenholt", "kyler", "ann"]
    assert team["managers"] == ["earline-greenholt"]
    assert team["services"] == ["My Application Service"]
    # Schedules: lowest priority first; history left out; times local to the schedule.
    daily = by(s["schedules"], "name", "daily-engineering-rotation")
    assert daily["time_zone"] == "America/New_York" and daily["team"] == "engineering"
    night, business = daily["layers"]
    assert night["name"] == "Night Shift" and business["name"] == "Business hours"
    assert night["users"] == ["earline-greenholt", "kyler"]
    assert night["rotation"] == {
        "type": "weekly",
        "handoff": "09:00",
        "handoff_weekday": 1,
        "virtual_start": "2025-01-06T09:00:00",
    }
    assert night["start"] == "2025-01-01T00:00:00"
    assert business["rotation"]["type"] == "daily"
    assert business["restrictions"] == [
        {"type": "daily", "start": "09:00", "duration": "9h"},
        {"type": "weekly", "start": "10:00", "weekday": 6, "duration": "4h"},
    ]
    sun = by(s["schedules"], "name", "follow-the-sun")
    assert [x["name"] for x in sun["layers"]] == ["Layer 1", "Layer 2", "Layer 3"]
    one, two, three = (x["rotation"] for x in sun["layers"])
    assert (one["type"], one["length"], one["unit"], one["handoff"]) == (
        "custom",
        12,
        "hours",
        "06:00",
    )
    assert (two["length"], two["unit"], two["handoff_weekday"]) == (2, "weeks", 3)
    assert (three["length"], three["unit"]) == (2, "hours")
    assert sun["overrides"] == [
        {"start": "2026-03-05T00:00:00", "end": "2026-03-06T00:00:00", "user": "earline-greenholt"}
    ]
    # Who is on call, as PagerDuty would say: the weekly night layer, the daily layer in
    # business hours (it wins), the override above both.
    compiled_daily = config.schedules["daily-engineering-rotation"]
    assert oncall_at(compiled_daily, datetime(2026, 3, 4, 8, tzinfo=UTC)) == "earline-greenholt"
    assert oncall_at(compiled_daily, datetime(2026, 3, 4, 17, tzinfo=UTC)) == "kyler"
    assert oncall_at(compiled_daily, datetime(2026, 3, 5, 17, tzinfo=UTC)) == "ann"
    assert oncall_at(config.schedules["follow-the-sun"], datetime(2026, 3, 5, 12, tzinfo=UTC)) == (
        "earline-greenholt"
    )
    # Escalation policies.
    eng = by(s["escalation_policies"], "name", "engineering-escalation-policy")
    assert eng["repeat"] == 2 and eng["team"] == "engineering"
    assert eng["levels"] == [
        {"delay": "30m",
         "targets": [{"user": "earline-greenholt"}, {"schedule": "daily-engineering-rotation"}]},
        {"delay": "15m", "targets": [{"schedule": "follow-the-sun"}, {"user": "kyler"}],
         "mode": "round_robin"},
    ]  # fmt: skip
    other = by(s["escalation_policies"], "name", "another-escalation-policy")
    assert other["levels"] == [{"delay": "1m", "targets": [{"user": "kyler"}]}]
    assert other["ack_timeout"] == "10m"
    assert "empty-policy" not in config.escalation_policies
    # A route per active service whose policy was imported.
    assert s["route"]["routes"] == [
        {
            "matchers": ['service="My Application Service"'],
            "receiver": "page-another-escalation-policy",
        },
        {
            "matchers": ['service="Checkout \\"API\\""'],
            "receiver": "page-engineering-escalation-policy",
        },
    ]
    assert config.receiver_policies == {
        "page-another-escalation-policy": "another-escalation-policy",
        "page-engineering-escalation-policy": "engineering-escalation-policy",
    }
    # The report: what did not map, and what to do.
    report = imported.report()
    for text in [
        "push to the PagerDuty app",
        "role observer has no exact Tocsin match: made stakeholder",
        "time zone 'Mars/Olympus' unknown",
        "phone Old (12): not an E.164 number",
        "rule at 0m by sms_contact_method: no Tocsin address for it",
        "user Deleted User: not a user",
        "ended 2025-01-01T00:00:00-05:00: history, left out",
        "layer order taken as the API's",
        "turns of 1h30m rounded to 2h",
        "override for Deleted User left out",
        "delay 0m raised to 1m",
        "target schedule Deleted schedule left out",
        "Empty Policy: no rule with a known target",
        "Legacy: disabled in PagerDuty",
        "Orphan: its escalation policy was not imported",
        "tocsin integration create my-application-service --kind pagerduty",
        "urgency rule use_support_hours",
        "support hours and scheduled actions do not map",
        "auto-resolve after 4h",
        "alert grouping intelligent",
        "always: 1, if_has_services: 2",
        "ann is an observer",
        "the root receiver sends nowhere",
    ]:
        assert text in report, text
    assert TOKEN not in report and TOKEN not in imported.yaml_text()


def test_cli_from_the_api(pd: PagerDutyServer, tmp_path: Path) -> None:
    out = tmp_path / "tocsin.yaml"
    env = {"TOCSIN_IMPORT_TOKEN": TOKEN}
    result = CliRunner().invoke(
        app, ["import", "pagerduty", "--url", pd.url, "-o", str(out)], env=env
    )
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output
    data = yaml.safe_load(out.read_text())
    assert [u["id"] for u in data["users"]][:2] == ["earline-greenholt", "kyler"]
    load_configuration(str(out))
    again = CliRunner().invoke(
        app, ["import", "pagerduty", "--url", pd.url, "-o", str(out)], env=env
    )
    assert again.exit_code != 0 and "exists" in again.output


def test_cli_dry_run_from_files_and_refusals(pd: PagerDutyServer, tmp_path: Path) -> None:
    folder = saved(tmp_path / "pd")
    result = CliRunner().invoke(app, ["import", "pagerduty", "--from", str(folder), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "PagerDuty:" in result.output and "users:" not in result.output
    no_token = CliRunner().invoke(
        app, ["import", "pagerduty", "--url", pd.url], env={"TOCSIN_IMPORT_TOKEN": ""}
    )
    assert no_token.exit_code != 0 and "TOCSIN_IMPORT_TOKEN" in no_token.output
    wrong = CliRunner().invoke(
        app, ["import", "pagerduty", "--url", pd.url], env={"TOCSIN_IMPORT_TOKEN": "nope"}
    )
    assert wrong.exit_code != 0 and "refused (401)" in wrong.output
    assert "Traceback" not in wrong.output
    (folder / "teams.json").unlink()
    missing = CliRunner().invoke(app, ["import", "pagerduty", "--from", str(folder)])
    assert missing.exit_code != 0 and "teams.json: missing" in missing.output


@pytest.mark.parametrize(
    ("seconds", "text"), [(32400, "9h"), (5400, "1h30m"), (90061, "1d1h1m1s"), (0, "0")]
)
def test_durations(seconds: int, text: str) -> None:
    assert duration(seconds) == text
