"""Scheduled drills: each occurrence fires once, at its wall-clock time in its zone (across
daylight saving), across restarts; one missed by more than an hour is skipped, not fired
late."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.drills.conftest import utc
from tocsin.domain.drills import ScheduledDrill, next_occurrence
from tocsin.store import drills as drill_store

# Sundays at 10:00 in Berlin: 09:00 UTC in March until the 29th, 08:00 UTC from then.
WEEKLY = """\
drills:
  scheduled:
    - policy: platform
      rrule: "FREQ=WEEKLY;BYDAY=SU;BYHOUR=10;BYMINUTE=0"
      time_zone: Europe/Berlin
      severity: SEV2
      title: Sunday paging drill
"""


def drill_times(d: Any) -> list[datetime]:
    with d.runtime.db.read() as conn:
        found = drill_store.drills(conn)
    return sorted(i.created_at for i in found)


def step_to(d: Any, t: datetime) -> None:
    """Just before ``t`` (the plan looks ahead), then to ``t``."""
    d.at(t - timedelta(minutes=1))
    d.at(t)


def test_fires_once_at_wall_clock_time_across_daylight_saving(drills: Any) -> None:
    d = drills(WEEKLY)
    expected = [
        utc(2026, 3, 8, 9),
        utc(2026, 3, 15, 9),
        utc(2026, 3, 22, 9),
        utc(2026, 3, 29, 8),  # summer time: still 10:00 in Berlin
        utc(2026, 4, 5, 8),
    ]
    for t in expected:
        d.at(t - timedelta(minutes=2))
        assert len(drill_times(d)) == expected.index(t), "not before its time"
        step_to(d, t)
        d.later(minutes=30)
    assert drill_times(d) == expected
    with d.runtime.db.read() as conn:
        found = drill_store.drills(conn)
    assert {(i.title, i.severity.value, i.policy, i.drill) for i in found} == {
        ("Sunday paging drill", "SEV2", "platform", True)
    }
    mail = d.mails_to("ann@example.com")
    assert len(mail) == len(expected)
    assert all(m["Subject"].startswith("[DRILL] ") for m in mail)


def test_fires_once_across_a_restart(drills: Any) -> None:
    d = drills(WEEKLY)
    step_to(d, utc(2026, 3, 8, 9))
    assert drill_times(d) == [utc(2026, 3, 8, 9)]
    d.h.restart()
    d.settle()
    d.later(minutes=10)
    assert drill_times(d) == [utc(2026, 3, 8, 9)]


def test_a_planned_occurrence_fires_after_a_restart_before_it(drills: Any) -> None:
    d = drills(WEEKLY)
    d.at(utc(2026, 3, 8, 8, 55))  # planned: its timer is in the database
    d.h.restart()
    d.at(utc(2026, 3, 8, 9))
    d.h.restart()
    d.settle()
    assert drill_times(d) == [utc(2026, 3, 8, 9)]


def test_late_but_within_the_hour_fires_late_more_is_skipped(drills: Any) -> None:
    d = drills(WEEKLY)
    d.at(utc(2026, 3, 8, 8, 55))
    d.at(utc(2026, 3, 8, 9, 30))  # Tocsin was away 35 minutes: the drill runs now
    assert drill_times(d) == [utc(2026, 3, 8, 9, 30)]
    d.at(utc(2026, 3, 15, 8, 55))
    d.at(utc(2026, 3, 15, 11))  # two hours late: skipped, and said so
    assert len(drill_times(d)) == 1
    with d.runtime.db.read() as conn:
        runs = drill_store.runs(conn)
    assert [(r.occurrence, r.incident_id is None) for r in runs] == [
        (utc(2026, 3, 15, 9), True),
        (utc(2026, 3, 8, 9), False),
    ]
    assert runs[0].skipped is not None and "missed by 2h" in runs[0].skipped


def test_a_schedule_taken_out_of_the_configuration_does_not_fire(drills: Any) -> None:
    d = drills(WEEKLY)
    d.at(utc(2026, 3, 8, 8, 55))  # planned
    d.h.reload(d.h.config.read_text().replace(WEEKLY, ""))
    d.at(utc(2026, 3, 8, 9, 5))
    assert drill_times(d) == []


@pytest.mark.parametrize(
    ("rule", "zone", "after", "expected"),
    [
        # Berlin, 10:00 each Sunday: CET then CEST.
        ("FREQ=WEEKLY;BYDAY=SU;BYHOUR=10;BYMINUTE=0", "Europe/Berlin",
         utc(2026, 3, 22, 12), utc(2026, 3, 29, 8)),
        ("FREQ=WEEKLY;BYDAY=SU;BYHOUR=10;BYMINUTE=0", "Europe/Berlin",
         utc(2026, 10, 20), utc(2026, 10, 25, 9)),
        # New York, 02:30 daily: on 8 March 2026 the clocks skip it; it happens at 03:00 EDT.
        ("FREQ=DAILY;BYHOUR=2;BYMINUTE=30", "America/New_York",
         utc(2026, 3, 7, 12), utc(2026, 3, 8, 7)),
        # 01:30 on 1 November 2026 happens twice; the drill once, at the first.
        ("FREQ=DAILY;BYHOUR=1;BYMINUTE=30", "America/New_York",
         utc(2026, 10, 31, 12), utc(2026, 11, 1, 5, 30)),
        ("FREQ=DAILY;BYHOUR=1;BYMINUTE=30", "America/New_York",
         utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)),
        # The first Tuesday of each month at 10:00 in Berlin.
        ("FREQ=MONTHLY;BYDAY=1TU;BYHOUR=10;BYMINUTE=0", "Europe/Berlin",
         utc(2026, 3, 1), utc(2026, 3, 3, 9)),
        ("FREQ=MONTHLY;BYDAY=1TU;BYHOUR=10;BYMINUTE=0", "Europe/Berlin",
         utc(2026, 3, 3, 9), utc(2026, 4, 7, 8)),
    ],
)  # fmt: skip
def test_next_occurrence(rule: str, zone: str, after: datetime, expected: datetime) -> None:
    assert next_occurrence(ScheduledDrill("p", rule, zone), after) == expected
