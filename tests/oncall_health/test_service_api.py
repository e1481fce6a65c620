"""On-call health from what Tocsin really did: the scenario in conftest (escalation, repeated
pages, acknowledgements, a handoff) read back by the service and GET /api/reports/oncall.

Expected figures over [Sun 1 Mar 12:00Z, Tue 3 Mar 12:00Z), by hand:

* ann: on call 12:00Z-Mon 08:00Z = 20 h, 1 shift. Pages: incidents 1 (four messages at
  12:00 and 12:10: one page), 2 and 3 = 3, all on shift: 3.0 a shift, over the budget of 2.
  Tokyo times Sun 21:00, Mon 04:00, Mon 11:00: 2 outside working hours, 1 in sleep hours.
* bob: Mon 08:00Z-Tue 12:00Z = 28 h, 1 shift. Pages: incident 1 (12:05 and 12:15, off
  shift; Berlin Sun 13:05: outside working hours) and 4 (Mon 11:00 Berlin, at work) = 2,
  1 on shift: 1.0 a shift.
* cat: on call in quiet all 48 h, never paged.
* primary's fairness: hours 20/28 (shares 5/12 and 7/12; mean 24, deviation 4: cv 1/6;
  spread 1.4), pages 3/1 (shares 3/4 and 1/4; cv 1/2; spread 3).
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest

from tests.oncall_health.conftest import END, START, utc
from tocsin.errors import InputError
from tocsin.store import messages as message_store

H = timedelta(hours=1)
PERIOD = {"start": "2026-03-01T12:00:00Z", "end": "2026-03-03T12:00:00Z"}


def get(s: Any, **params: str) -> Any:
    return s.h.client.get(
        "/api/reports/oncall",
        params=params,
        headers=s.h.api,
    )


def test_the_report_of_what_happened(scenario: Any) -> None:
    s = scenario()
    ann_messages = [m for m in s.pages() if m.user == "ann" and m.incident_id == 1]
    assert len(ann_messages) == 4  # email and webhook, twice: one page
    report = s.runtime.oncall_health.report(START, END)
    ann, bob, cat = report.people
    assert (ann.person, ann.zone.key, ann.hours, ann.shifts) == ("ann", "Asia/Tokyo", 20 * H, 1)
    assert (ann.pages, ann.off_shift_pages, ann.pages_per_shift, ann.max_pages_per_shift) == (
        3,
        0,
        3.0,
        3,
    )
    assert (ann.off_hours_pages, ann.sleep_pages, ann.over_budget) == (2, 1, True)
    assert ann.by_severity == {"SEV1": 2, "SEV3": 1}
    assert (bob.zone.key, bob.hours, bob.shifts, bob.pages, bob.off_shift_pages) == (
        "Europe/Berlin",
        28 * H,
        1,
        2,
        1,
    )
    assert (bob.pages_per_shift, bob.off_hours_pages, bob.sleep_pages) == (1.0, 1, 0)
    assert (bob.longest_stretch, bob.over_budget) == (28 * H, False)
    assert (cat.hours, cat.pages, cat.zone.key) == (48 * H, 0, "America/New_York")
    primary, quiet = report.schedules
    assert primary.hours_cv == pytest.approx(1 / 6) and primary.hours_spread == pytest.approx(1.4)
    assert primary.pages_cv == pytest.approx(0.5) and primary.pages_spread == 3.0
    assert [(x.person, x.pages, x.pages_share) for x in primary.people] == [
        ("ann", 3, 0.75),
        ("bob", 1, 0.25),
    ]
    assert (quiet.schedule, quiet.pages_spread) == ("quiet", None)


def test_only_pages_count_and_not_cancelled_ones(scenario: Any) -> None:
    s = scenario()

    def add(user: str, kind: str, at: Any, status: str = "sent", incident: int = 2) -> None:
        with s.runtime.db.write() as conn:
            message_store.create(
                conn,
                dedup_key=f"{user}-{kind}-{at.isoformat()}",
                user=user,
                kind=kind,
                subject="s",
                body="b",
                address=None,
                now=at,
                status=status,
                incident_id=incident,
            )

    add("cat", "update-due", utc(2026, 3, 1, 20))  # a reminder to post an update
    add("#C0OPS", "page", utc(2026, 3, 1, 20))  # a channel
    add("cat", "page", utc(2026, 3, 1, 21), status="cancelled")  # never went out
    # Someone asked for cat: New York Mon 07:00, just awake, before work.
    add("cat", "responder", utc(2026, 3, 2, 12))
    add("cat", "responder", utc(2026, 3, 3, 12))  # at the period's end: not in it
    people = {p.person: p for p in s.runtime.oncall_health.report(START, END).people}
    assert set(people) == {"ann", "bob", "cat"}
    cat = people["cat"]
    assert (cat.pages, cat.pages_per_shift, cat.sleep_pages, cat.off_hours_pages) == (1, 1.0, 0, 1)


def test_one_schedule_only(scenario: Any) -> None:
    s = scenario()
    service = s.runtime.oncall_health
    quiet = service.report(START, END, "quiet")
    assert [p.person for p in quiet.people] == ["cat"]
    primary = service.report(START, END, "primary")
    assert [(p.person, p.pages, p.off_shift_pages) for p in primary.people] == [
        ("ann", 3, 0),
        ("bob", 2, 1),
    ]
    with pytest.raises(InputError) as caught:
        service.report(START, END, "nightly")
    assert caught.value.problems[0].field == "schedule"
    assert "known: primary, quiet" in str(caught.value)


def test_the_api_answers_json(scenario: Any) -> None:
    s = scenario()
    answer = get(s, **PERIOD)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["period"] == PERIOD
    assert body["policy"] == {
        "workingDays": ["mon", "tue", "wed", "thu", "fri"],
        "workingHours": {"start": "09:00", "end": "18:00"},
        "sleepHours": {"start": "22:00", "end": "07:00"},
        "pageBudget": 2.0,
    }
    ann = body["people"][0]
    assert ann == {
        "person": "ann",
        "timeZone": "Asia/Tokyo",
        "hoursOnCall": 20.0,
        "shifts": 1,
        "pages": 3,
        "pagesOnShift": 3,
        "offShiftPages": 0,
        "pagesPerShift": 3.0,
        "maxPagesPerShift": 3,
        "offHoursPages": 2,
        "sleepHoursPages": 1,
        "longestStretchHours": 20.0,
        "overPageBudget": True,
        "pagesBySeverity": {"SEV1": 2, "SEV3": 1},
    }
    assert body["overPageBudget"] == ["ann"]
    primary = body["schedules"][0]
    assert (primary["schedule"], primary["hoursCv"], primary["pagesSpread"]) == (
        "primary",
        0.1667,
        3.0,
    )
    assert primary["people"][1] == {
        "person": "bob",
        "hoursOnCall": 28.0,
        "pages": 1,
        "hoursShare": 0.5833,
        "pagesShare": 0.25,
        "hoursVsEven": 1.1667,
        "pagesVsEven": 0.5,
    }
    # The clock is at the period's end: the last two days up to now are the same period.
    assert get(s, since="2d").json() == body
    only = get(s, **PERIOD, schedule="quiet").json()
    assert [p["person"] for p in only["people"]] == ["cat"]


def test_the_api_answers_csv(scenario: Any) -> None:
    s = scenario()
    answer = get(s, **PERIOD, format="csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="oncall-health-20260301-20260303.csv"' in answer.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows == [
        [
            "person",
            "time_zone",
            "hours_on_call",
            "shifts",
            "pages",
            "pages_on_shift",
            "off_shift_pages",
            "pages_per_shift",
            "max_pages_per_shift",
            "off_hours_pages",
            "sleep_hours_pages",
            "longest_stretch_hours",
            "over_page_budget",
        ],
        ["ann", "Asia/Tokyo", "20.00", "1", "3", "3", "0", "3.00", "3", "2", "1", "20.00", "yes"],
        ["bob", "Europe/Berlin", "28.00", "1", "2", "1", "1", "1.00", "1", "1", "0", "28.00", "no"],
        [
            "cat",
            "America/New_York",
            "48.00",
            "1",
            "0",
            "0",
            "0",
            "0.00",
            "0",
            "0",
            "0",
            "48.00",
            "no",
        ],
    ]


@pytest.mark.parametrize(
    "params,field",
    [
        ({"start": "2026-03-01T12:00:00"}, "start"),  # no offset
        ({"start": "yesterday"}, "start"),
        ({"end": "2026-03-01T11:00:00Z", "start": "2026-03-01T12:00:00Z"}, "end"),
        ({"start": "2025-01-01T00:00:00Z", "end": "2026-03-01T00:00:00Z"}, "end"),  # > 366 d
        ({"since": "a while"}, "since"),
        ({"since": "2d", "start": "2026-03-01T00:00:00Z"}, "since"),
        ({"schedule": "nightly"}, "schedule"),
        ({"format": "xml"}, "query.format"),  # as FastAPI names it
    ],
)
def test_bad_parameters_are_named(scenario: Any, params: dict[str, str], field: str) -> None:
    s = scenario(play=False)
    answer = get(s, **params)
    assert answer.status_code == 400, answer.text
    assert [e["field"] for e in answer.json()["errors"]] == [field]


def test_the_api_needs_a_token(scenario: Any) -> None:
    s = scenario(play=False)
    assert s.h.client.get("/api/reports/oncall").status_code == 401


def test_the_policy_comes_from_reports_in_the_configuration(scenario: Any) -> None:
    s = scenario()
    text = s.h.config.read_text()
    s.h.reload(
        text.replace(
            "  page_budget: 2\n",
            '  page_budget: 3\n  sleep_hours: {start: "20:00", end: "05:00"}\n',
        )
    )
    ann = s.runtime.oncall_health.report(START, END).people[0]
    # 3.0 pages a shift is not over a budget of 3; Tokyo 21:00 and 04:00 are now asleep.
    assert (ann.pages_per_shift, ann.over_budget, ann.sleep_pages) == (3.0, False, 2)
