"""The schedules API, overrides and shift swaps, calendar feeds, and the CLI over them."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import icalendar
from typer.testing import CliRunner

from tests.oncall.conftest import OnCall, utc
from tocsin.cli.main import app

H = timedelta(hours=1)


def get(o: OnCall, path: str, **params: Any) -> Any:
    response = o.h.client.get(path, params=params, headers=o.h.api)
    return response


def post(o: OnCall, path: str, body: dict[str, Any] | None = None) -> Any:
    return o.h.client.post(path, json=body, headers=o.h.api)


def test_who_is_on_call_shifts_gaps_and_hours(oncall: Any) -> None:
    o = oncall()
    now = get(o, "/api/oncall").json()
    assert now == [
        {
            "schedule": "daytime",
            "timeZone": "UTC",
            "user": "cat",
            "since": "2026-03-01T09:00:00Z",
            "until": "2026-03-01T17:00:00Z",
        },
        {
            "schedule": "primary",
            "timeZone": "UTC",
            "user": "ann",
            "since": "2026-03-01T09:00:00Z",
            "until": "2026-03-02T09:00:00Z",
        },
    ]
    at = get(o, "/api/schedules/primary/oncall", at="2026-03-02T10:00:00+01:00").json()
    # 10:00 in Berlin is 09:00 UTC: the handoff instant belongs to the incoming person.
    assert at["user"] == "bob" and at["at"] == "2026-03-02T09:00:00Z"
    shifts = get(o, "/api/schedules/primary/shifts", **{"from": "2026-03-01T12:00:00Z"}).json()
    assert [s["user"] for s in shifts["shifts"]] == ["ann", "bob"] * 4
    assert shifts["shifts"][0]["hours"] == 21 and shifts["shifts"][1]["hours"] == 24
    gaps = get(o, "/api/schedules/daytime/gaps", to="2026-03-03T00:00:00Z").json()["gaps"]
    assert gaps == [
        {"start": "2026-03-01T17:00:00Z", "end": "2026-03-02T09:00:00Z"},
        {"start": "2026-03-02T17:00:00Z", "end": "2026-03-03T00:00:00Z"},
    ]
    hours = get(
        o, "/api/oncall/hours", **{"from": "2026-03-02T00:00:00Z"}, to="2026-03-04T00:00:00Z"
    )
    assert hours.json()["total"] == {"bob": 24.0, "ann": 24.0, "cat": 16.0}
    assert hours.json()["schedules"]["daytime"] == {"cat": 16.0}


def test_bad_queries_name_the_field(oncall: Any) -> None:
    o = oncall()
    bad = get(o, "/api/schedules/primary/shifts", **{"from": "yesterday"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "from"
    bad = get(o, "/api/schedules/primary/oncall", at="2026-03-02T10:00:00")
    assert bad.status_code == 400 and "UTC offset" in bad.json()["errors"][0]["problem"]
    bad = get(
        o,
        "/api/schedules/primary/shifts",
        **{"from": "2026-03-02T00:00:00Z"},
        to="2026-03-01T00:00:00Z",
    )
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "to"
    bad = get(o, "/api/schedules/primary/shifts", to="2028-03-01T00:00:00Z")
    assert bad.status_code == 400 and "366 days" in bad.text
    assert get(o, "/api/schedules/nope/oncall").status_code == 404
    assert o.h.client.get("/api/oncall").status_code == 401


def test_overrides_by_api(oncall: Any) -> None:
    o = oncall()
    body = {
        "user": "dan",
        "start": "2026-03-01T13:00:00Z",
        "end": "2026-03-01T14:00:00Z",
        "createdBy": "ann",
        "note": "dentist",
    }
    created = post(o, "/api/schedules/primary/overrides", body)
    assert created.status_code == 201, created.text
    assert (
        get(o, "/api/schedules/primary/oncall", at="2026-03-01T13:30:00Z").json()["user"] == "dan"
    )
    listed = get(o, "/api/schedules/primary/overrides").json()
    assert [(x["user"], x["note"]) for x in listed] == [("dan", "dentist")]
    # The later override wins where two overlap.
    post(
        o,
        "/api/schedules/primary/overrides",
        {**body, "user": "cat", "start": "2026-03-01T13:30:00Z"},
    )
    assert (
        get(o, "/api/schedules/primary/oncall", at="2026-03-01T13:45:00Z").json()["user"] == "cat"
    )

    bad = post(
        o,
        "/api/schedules/primary/overrides",
        {**body, "user": "zed", "end": "2026-03-01T12:30:00Z"},
    )
    assert bad.status_code == 400
    assert {(e["field"], e["problem"]) for e in bad.json()["errors"]} == {
        ("user", "unknown user 'zed'"),
        ("end", "must be after start"),
    }
    bad = post(o, "/api/schedules/primary/overrides", {**body, "start": "2026-03-01T13:00:00"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "body.start"
    assert len(get(o, "/api/schedules/primary/overrides").json()) == 2  # nothing stored

    removed = o.h.client.delete(f"/api/overrides/{created.json()['id']}", headers=o.h.api)
    assert removed.status_code == 200
    assert (
        get(o, "/api/schedules/primary/oncall", at="2026-03-01T13:15:00Z").json()["user"] == "ann"
    )


def test_a_shift_swap_becomes_an_override_and_both_are_told(oncall: Any) -> None:
    o = oncall()
    part = {"start": "2026-03-02T12:00:00Z", "end": "2026-03-02T18:00:00Z"}
    # Monday is bob's: ann cannot offer it.
    refused = post(o, "/api/schedules/primary/swaps", {"user": "ann", **part})
    assert refused.status_code == 400 and "ann is not on call" in refused.text
    offered = post(o, "/api/schedules/primary/swaps", {"user": "bob", "to": "cat", **part})
    assert offered.status_code == 201, offered.text
    swap = offered.json()
    assert swap["status"] == "open" and swap["offeredTo"] == "cat"
    wrong = post(o, f"/api/swaps/{swap['id']}/take", {"user": "ann"})
    assert wrong.status_code == 409 and "offered to cat only" in wrong.text
    taken = post(o, f"/api/swaps/{swap['id']}/take", {"user": "cat"})
    assert taken.status_code == 200 and taken.json()["status"] == "taken"
    assert post(o, f"/api/swaps/{swap['id']}/take", {"user": "cat"}).status_code == 409
    at = get(o, "/api/schedules/primary/oncall", at="2026-03-02T13:00:00Z").json()
    assert at["user"] == "cat"
    [override] = get(o, "/api/schedules/primary/overrides").json()
    assert override["swapId"] == swap["id"] and override["user"] == "cat"
    o.run()
    told = {(m.user, m.kind, m.status) for m in o.messages() if m.kind.startswith("swap")}
    assert told == {
        ("cat", "swap-offered", "sent"),
        ("cat", "swap-taken", "sent"),
        ("bob", "swap-taken", "sent"),
    }
    [mail] = [m for m in o.mails_to("bob@example.com") if "takes" in m["Subject"]]
    assert "cat is now on call for primary" in mail.get_content()


def test_calendar_feeds(oncall: Any) -> None:
    o = oncall()
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["user", "calendar-token", "ann", "--config", o.h.config.as_posix(),
         "--database-url", o.h.db_url, "--url", "http://tocsin.test"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    url = result.output.strip()
    token = url.split("token=")[1]
    assert url.startswith("http://tocsin.test/ical/users/ann.ics?token=")

    feed = o.h.client.get(f"/ical/users/ann.ics?token={token}")
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(feed.content)
    events = [e for e in cal.walk("VEVENT")]
    starts = [e.decoded("dtstart") for e in events]
    assert utc(2026, 3, 1, 9) in starts and utc(2026, 3, 3, 9) in starts
    assert all(e.decoded("dtend") - e.decoded("dtstart") == timedelta(days=1) for e in events[1:-1])
    assert {str(e["summary"]) for e in events} == {"On call: primary (ann)"}
    # Stable UIDs: the same feed twice names the same events.
    again = icalendar.Calendar.from_ical(
        o.h.client.get(f"/ical/users/ann.ics?token={token}").content
    )
    assert [str(e["uid"]) for e in again.walk("VEVENT")] == [str(e["uid"]) for e in events]

    assert o.h.client.get(f"/ical/users/bob.ics?token={token}").status_code == 404
    assert o.h.client.get("/ical/users/ann.ics?token=nope").status_code == 404
    team = o.h.client.get(f"/ical/schedules/primary.ics?token={token}")
    users = {str(e["summary"]) for e in icalendar.Calendar.from_ical(team.content).walk("VEVENT")}
    assert users == {"On call: primary (ann)", "On call: primary (bob)"}
    assert o.h.client.get("/ical/schedules/primary.ics").status_code == 401


def test_cli_overrides_swaps_gaps_and_hours(oncall: Any) -> None:
    o = oncall()
    common = ["--config", o.h.config.as_posix(), "--database-url", o.h.db_url]
    runner = CliRunner(env={"COLUMNS": "200"})
    # The CLI runs on the real clock: work a few days from today.
    day = datetime.combine(datetime.now(UTC).date() + timedelta(days=3), time(12), UTC)

    def run(*args: str) -> Any:
        return runner.invoke(app, [*args, *common])

    def iso(t: datetime) -> str:
        return t.isoformat()

    added = run("schedule", "override", "add", "primary", "dan", "--from", iso(day),
                "--to", iso(day + 6 * H), "--author", "ann", "--note", "covering")  # fmt: skip
    assert added.exit_code == 0, added.output
    listed = run("schedule", "override", "list", "primary")
    assert "dan" in listed.output and "covering" in listed.output
    assert "dan" in run("oncall", "primary", "--at", iso(day + 3 * H)).output
    bad = run("schedule", "override", "add", "primary", "zed", "--from", iso(day),
              "--to", iso(day + H), "--author", "ann")  # fmt: skip
    assert bad.exit_code == 1 and "user: unknown user 'zed'" in bad.output

    gaps = run("schedule", "gaps", "daytime", "--days", "2", "--from", iso(day))
    assert gaps.exit_code == 1 and f"{day:%a %Y-%m-%d} 17:00" in gaps.output
    covered = run("schedule", "gaps", "primary", "--days", "14")
    assert covered.exit_code == 0 and "covered for the next 14 days" in covered.output

    hours = run("schedule", "hours", "--from", iso(day), "--to", iso(day + timedelta(days=2)))
    assert hours.exit_code == 0, hours.output
    assert "cat" in hours.output and "16.0" in hours.output and "dan" in hours.output

    later = day + timedelta(days=1)
    owner = o.h.runtime.schedules.oncall("primary", later)
    other = "ann" if owner == "bob" else "bob"
    offered = run("schedule", "swap", "offer", "primary", str(owner), "--from", iso(later),
                  "--to", iso(later + H))  # fmt: skip
    assert offered.exit_code == 0, offered.output
    swap_id = offered.output.strip()
    taken = run("schedule", "swap", "take", swap_id, "--user", other)
    assert taken.exit_code == 0 and f"{other} is on call for primary" in taken.output
    assert "taken" in run("schedule", "swap", "list").output
    assert other in run("oncall", "primary", "--at", iso(later + H / 2)).output
    removed = run("schedule", "override", "remove", added.output.strip())
    assert removed.exit_code == 0
    assert "dan" not in run("oncall", "primary", "--at", iso(day + 3 * H)).output
