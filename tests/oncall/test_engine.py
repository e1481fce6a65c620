"""The engine's on-call duties: coverage-gap alerts routed like any other, handoff
summaries to both people, reminders before a shift, all by email through a real SMTP server,
planned as durable timers that re-check the schedule when they fire."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from tests.notify.conftest import firing
from tests.oncall.conftest import utc
from tocsin.notify.oncall_watch import HANDOFF
from tocsin.store.tables import timers


def gap_alerts(receiver: Any) -> list[dict[str, Any]]:
    return [
        a for body in receiver.bodies("/hook") for a in body["alerts"]
        if a["labels"]["alertname"] == "OnCallGap"
    ]  # fmt: skip


def test_a_coverage_gap_raises_an_alert_and_an_override_resolves_it(oncall: Any) -> None:
    o = oncall()
    o.run()
    [alert] = gap_alerts(o.receiver)
    assert alert["status"] == "firing"
    assert alert["labels"] == {
        "alertname": "OnCallGap",
        "schedule": "daytime",
        "severity": "warning",
    }
    # Cat's day ends at 17:00; the first gap starts then.
    assert "from Sun 2026-03-01 17:00 UTC" in alert["annotations"]["summary"]
    assert alert["generatorURL"].endswith("/api/schedules/daytime/gaps")

    # Fill every night of the coming week (and beyond the horizon) with dan.
    service = o.h.runtime.schedules
    service.add_override("daytime", "dan", utc(2026, 3, 1, 17), utc(2026, 3, 20), "test")
    o.run(600)  # the change re-checks at once; group_interval lets the resolve out
    last = gap_alerts(o.receiver)[-1]
    assert last["status"] == "resolved"


def test_gap_alerts_can_be_turned_off(oncall: Any) -> None:
    o = oncall("  gap_alerts: {enabled: false}")
    o.run()
    assert gap_alerts(o.receiver) == []


def test_handoff_summary_goes_to_both_people(oncall: Any) -> None:
    o = oncall()
    o.run()
    o.h.post(firing("DiskFull", instance="db1"))
    o.h.post({**firing("Flappy"), "startsAt": "2026-03-01T20:00:00Z"})
    o.h.post({**firing("Flappy", n="2"), "startsAt": "2026-03-01T21:00:00Z"})
    o.until(utc(2026, 3, 2, 9) + timedelta(minutes=5))
    [to_ann] = [m for m in o.mails_to("ann@example.com") if "took over" in m["Subject"]]
    [to_bob] = [m for m in o.mails_to("bob@example.com") if "You are on call" in m["Subject"]]
    assert to_bob["Subject"].startswith("[Tocsin] You are on call for primary from Mon")
    assert "ended; bob took over" in to_ann["Subject"]
    body = to_ann.get_content()
    assert "ann -> bob" in body
    assert "10:00 CET" in body  # Ann reads times in Berlin time
    # The three posted and the daytime schedule's gap alert, all during Ann's shift.
    assert "Open alerts now: 4" in body and "OnCallGap {schedule=daytime" in body
    assert "(1 day from Sun 2026-03-01 10:00 CET" in body
    assert "4 alerts fired" in body and "  - Flappy: 2\r\n" in body
    assert to_bob.get_content().count("Your shift runs until Tue 2026-03-03 09:00 UTC") == 1
    kinds = {(m.user, m.kind, m.status) for m in o.messages("handoff")}
    assert ("ann", "handoff", "sent") in kinds and ("bob", "handoff", "sent") in kinds


def test_reminders_before_a_shift(oncall: Any) -> None:
    o = oncall()
    o.until(utc(2026, 3, 2, 8, 5))
    reminders = [m for m in o.messages("shift-reminder") if m.user == "ann"]
    # Ann's next shift starts Tuesday 09:00: a day before is Monday 09:00 (not yet).
    assert reminders == []
    bob = [m.subject for m in o.messages("shift-reminder") if m.user == "bob"]
    # Bob's Monday 09:00 shift: the 1-day reminder was due Sunday 09:00, before the engine
    # first looked (12:00), so only the 1-hour one is sent.
    assert bob == ["[Tocsin] Your primary on-call shift starts in 1 hour"]
    o.until(utc(2026, 3, 2, 9, 5))
    ann = [m.subject for m in o.messages("shift-reminder") if m.user == "ann"]
    assert ann == ["[Tocsin] Your primary on-call shift starts in 1 day"]
    assert len(o.mails_to("bob@example.com")) >= 2  # the reminder and the handoff


def test_an_override_made_after_planning_cancels_the_handoff(oncall: Any) -> None:
    o = oncall()
    o.run()
    # Ann keeps Monday too: no handoff at Monday 09:00 any more.
    o.h.runtime.schedules.add_override(
        "primary", "ann", utc(2026, 3, 2, 8), utc(2026, 3, 3, 9), "t"
    )
    o.until(utc(2026, 3, 2, 9, 30))
    assert [m for m in o.messages("handoff") if "primary" in m.subject] == []
    assert any("daytime" in m.subject for m in o.messages("handoff"))  # cat's still come


def test_people_without_an_address_get_a_failed_message_saying_why(oncall: Any) -> None:
    o = oncall()
    o.run()
    o.h.runtime.schedules.add_override(
        "primary", "dan", utc(2026, 3, 1, 13), utc(2026, 3, 1, 14), "t"
    )
    o.until(utc(2026, 3, 1, 13, 5))
    [to_dan] = [m for m in o.messages("handoff") if m.user == "dan"]
    assert to_dan.status == "failed" and to_dan.last_error == "user 'dan' has no email address"
    assert [m.user for m in o.messages("handoff") if m.status == "sent"] == ["ann"]


def test_planned_handoffs_survive_a_restart_and_are_sent_once(oncall: Any) -> None:
    o = oncall()
    o.run()
    o.h.restart()
    with o.h.runtime.db.read() as conn:
        planned = (
            conn.execute(
                select(timers.c.due_at).where(timers.c.kind == HANDOFF).order_by(timers.c.due_at)
            )
            .scalars()
            .all()
        )
    assert planned[0] == utc(2026, 3, 1, 17)  # cat's day ends
    assert utc(2026, 3, 2, 9) in planned  # ann hands over to bob
    o.until(utc(2026, 3, 2, 9, 5))
    primary = sorted(m.user for m in o.messages("handoff") if "primary" in m.subject)
    assert primary == ["ann", "bob"]
